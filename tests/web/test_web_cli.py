"""The commands as an admin types them: replay/simulate into a database, `ticebot web link`, `ticebot web`."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner
from web_support import SCENARIO, token_of

from bot.cli import _mount, app
from bot.config import ConfigError, load_settings
from bot.db.database import Database
from bot.db.models import KeyValue, Question, Role
from bot.web import auth

_mount()
runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]


async def _count(url: str, model: type, *where: object) -> int:
    db = Database(url)
    try:
        async with db.transaction() as session:
            return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)
    finally:
        await db.dispose()


def test_replay_keeps_its_state_in_the_given_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'replay.db'}"
    result = runner.invoke(app, ["replay", str(SCENARIO), "--json", "--database", url])
    assert result.exit_code == 0, result.output
    assert asyncio.run(_count(url, Question, Question.space_id == "lettres")) == 5
    assert asyncio.run(_count(url, Question, Question.space_id == "maths")) == 1


def test_simulate_keeps_the_run_with_ticebot_in_the_given_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sim.db'}"
    result = runner.invoke(app, ["simulate", "--days", "7", "--seed", "2", "--json", "--database", url])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert asyncio.run(_count(url, Question, Question.space_id == "simulation")) == report["with_bot"]["questions"]
    assert asyncio.run(_count(url, Role, Role.space_id == "simulation", Role.role == "coordinator")) == 1


async def _consume(url: str, link: str) -> int | None:
    db = Database(url)
    try:
        async with db.transaction() as session:
            return await auth.consume_link(session, token_of(link), datetime.now(UTC))
    finally:
        await db.dispose()


def test_web_link_prints_a_one_time_link_for_a_member(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'replay.db'}"
    assert runner.invoke(app, ["replay", str(SCENARIO), "--json", "--database", url]).exit_code == 0
    result = runner.invoke(app, ["web", "link", "--member", "console:claire", "--database", url,
                                 "--public-url", "https://tableau.example.org"])
    assert result.exit_code == 0, result.output
    link = result.stdout.strip().splitlines()[0]
    assert link.startswith("https://tableau.example.org/connexion/")
    assert asyncio.run(_consume(url, link)) is not None
    assert asyncio.run(_consume(url, link)) is None  # once
    unknown = runner.invoke(app, ["web", "link", "--member", "console:personne", "--database", url])
    assert unknown.exit_code == 1 and "Aucun membre" in unknown.output


def test_a_bad_web_section_names_the_key(tmp_path: Path) -> None:
    config = tmp_path / "ticebot.toml"
    config.write_text('[web]\nbind = "8080"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="web.bind"):
        load_settings(config)
    config.write_text('[web]\npublic_url = "tableau.example.org"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="web.public_url"):
        load_settings(config)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str, data: bytes | None = None) -> tuple[int, dict[str, str], str]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, data=data), timeout=5) as answer:
            return answer.status, dict(answer.headers), answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_ticebot_web_serves_the_database_until_sigterm(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'replay.db'}"
    assert runner.invoke(app, ["replay", str(SCENARIO), "--json", "--database", url]).exit_code == 0
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "TICEBOT_DATA_DIR": str(tmp_path / "data")}
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "web", "--database", url, "--bind",
                                f"127.0.0.1:{port}"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        status = 0
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status, headers, body = _get(base + "/")
                break
            except OSError:
                time.sleep(0.2)  # waiting for a real server to listen
        assert status == 401 and headers["X-Frame-Options"] == "DENY" and "/tableau" in body
        # /tableau on the bot's side now knows where links point.
        assert asyncio.run(_count(url, KeyValue, KeyValue.key == auth.PUBLIC_URL_KEY)) == 1
        link = runner.invoke(app, ["web", "link", "--member", "claire", "--database", url]).stdout.split()[0]
        assert link.startswith(base + "/connexion/")
        status, headers, _ = _get(base + "/connexion", f"token={token_of(link)}".encode())
        assert status == 303 and "HttpOnly" in headers["Set-Cookie"]
        secret = tmp_path / "data" / "web-secret"
        assert secret.stat().st_mode & 0o777 == 0o600
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=20)[0].decode()
    assert process.returncode == 0, output
    assert "connexion/" not in output  # no token in the logs
