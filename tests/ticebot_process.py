"""`ticebot run` as a user starts it: a subprocess with a TOML file, secrets in the environment, data in tmp.

Used by the end-to-end tests of tests/matrix and tests/discord; they talk to it only over the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass
class TicebotProcess:
    process: subprocess.Popen[bytes]
    directory: Path

    @property
    def stdout_path(self) -> Path:
        return self.directory / "ticebot.stdout"

    @property
    def stderr_path(self) -> Path:
        return self.directory / "ticebot.stderr"

    def output(self) -> str:
        parts = []
        for path in (self.stdout_path, self.stderr_path):
            with contextlib.suppress(FileNotFoundError):
                parts.append(path.read_text(errors="replace"))
        return "\n".join(parts)

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def assert_alive(self) -> None:
        code = self.process.poll()
        assert code is None, f"ticebot run exited with {code}:\n{self.tail()}"

    async def wait_exit(self, within: float) -> int | None:
        """The exit code, or None if still running after `within` seconds. Waits in a thread: the event
        loop stays free for the servers the test runs in-process (the bot talks to them while it stops)."""
        try:
            return await asyncio.to_thread(self.process.wait, within)
        except subprocess.TimeoutExpired:
            return None

    async def stop(self, sig: int = signal.SIGTERM, within: float = 10.0) -> tuple[int, float]:
        """Send `sig`; (exit code, seconds it took to exit). Killed (and the test failed) after `within`."""
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = await self.wait_exit(within)
        if code is None:
            self.kill()
            raise AssertionError(f"ticebot run did not exit within {within}s of {sig!r}:\n{self.tail()}")
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)

    @contextlib.contextmanager
    def explained(self) -> Iterator[None]:
        """Failures inside the block carry the bot's last log lines (and whether it is still running)."""
        try:
            yield
        except AssertionError as exc:
            state = "running" if self.process.poll() is None else f"exited with {self.process.returncode}"
            raise AssertionError(f"{exc}\n--- ticebot run ({state}), last log lines:\n{self.tail()}") from exc


def start_ticebot(directory: Path, config_text: str, env: dict[str, str]) -> TicebotProcess:
    """Write `directory/ticebot.toml` and start `python -m bot.cli run --config` on it, cwd = `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "ticebot.toml"
    config.write_text(config_text, encoding="utf-8")
    data_dir = directory / "data"
    data_dir.mkdir(exist_ok=True)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TICEBOT_")}
    full_env.update({"TICEBOT_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", **env})
    with (directory / "ticebot.stdout").open("wb") as out, (directory / "ticebot.stderr").open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--config", str(config)],
            cwd=directory,
            stdout=out,
            stderr=err,
            env=full_env,
        )
    return TicebotProcess(process, directory)


def toml_string(value: str) -> str:
    """A TOML basic string."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
