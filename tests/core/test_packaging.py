"""A normal (non-editable) install works: `pip wheel .` ships prompts/, referential/, the demo scenario
and the migrations, and `ticebot demo` runs from any folder in a fresh virtualenv."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("wheel")
    # A copy of what the repository ships, so the build leaves no build/ or egg-info in the checkout.
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("bot", "adapters", "prompts", "referential"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    # What a user types (`pip wheel .`): pip fetches setuptools for the isolated build from the index.
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--quiet", "-w", str(out)],
                   check=True, timeout=300, cwd=out)
    [built] = out.glob("ticebot-*.whl")
    yield built


def test_the_wheel_carries_the_data_and_every_module(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    prompts = sorted(p.relative_to(ROOT / "prompts").as_posix() for p in (ROOT / "prompts").rglob("*.md.j2"))
    referential = sorted(p.name for p in (ROOT / "referential").iterdir() if p.suffix in {".yaml", ".jsonl"})
    assert prompts and referential
    assert [p for p in prompts if f"bot/_prompts/{p}" not in names] == []
    assert [r for r in referential if f"bot/_referential/{r}" not in names] == []
    assert "adapters/console/scenarios/demo.tice" in names
    modules = sorted(p.relative_to(ROOT).as_posix() for d in ("bot", "adapters") for p in (ROOT / d).rglob("*.py")
                     if "__pycache__" not in p.parts)
    assert [m for m in modules if m not in names] == [], "a package is missing from [tool.setuptools] packages"


def test_ticebot_demo_runs_from_a_wheel_installed_in_a_fresh_venv(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    fresh_site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    # The dependencies come from this test's environment (already installed: nothing to download); only
    # their directory is added, so the checkout's editable ticebot is not visible there.
    ours = Path(sysconfig.get_path("purelib"))
    (fresh_site / "deps.pth").write_text(f"{ours}\n", encoding="utf-8")
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
                   check=True, timeout=300, env=env, cwd=tmp_path)
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    where = subprocess.run([str(python), "-c", "import bot; print(bot.__file__)"], capture_output=True, text=True,
                           check=True, env=env, cwd=elsewhere, timeout=60).stdout.strip()
    assert where.startswith(str(fresh_site)), where  # the installed copy, not the checkout
    demo = subprocess.run([str(venv / "bin" / "ticebot"), "demo"], input="", capture_output=True, text=True,
                          env=env, cwd=elsewhere, timeout=300, check=False)
    assert demo.returncode == 0, demo.stderr[-2000:]
    assert "[sos/nudge]" in demo.stdout and "[sos/resolved]" in demo.stdout
    assert not list(elsewhere.iterdir()), "the demo writes nothing in the current folder"
