"""Bilan (CSV, HTML, PDF) and Open Badges 3.0 exports, parsed back."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest
from decl_support import HEADER
from typer.testing import CliRunner

from adapters.console.replay import Replay
from bot.declarations.cli import export_app

SCRIPT = """
alice in general: /declare B2-3 A1-1 https://exemple.org/sequence
fabienne reply: /valider B2-3 Bravo
fabienne reply: /refuser A1-1 Trace absente
bruno dm: /declare A2-1 MOOC suivi
"""


async def _build(url: str) -> None:
    replay = Replay(database_url=url)
    try:
        await replay.run_script(HEADER + SCRIPT)
    finally:
        await replay.close()


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A database filled by a replay; the CLI (which runs its own event loop) reads it afterwards."""
    database = f"sqlite+aiosqlite:///{tmp_path / 'bilan.db'}"
    asyncio.run(_build(database))
    return database


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(export_app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_bilan_csv(url: str, tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(_invoke("bilan", "--space", "demo", "--format", "csv", "--database", url))))
    by_key = {(r["member"], r["code"]): r for r in rows}
    assert len(rows) == 2 * 27  # alice and bruno × 27 competences
    assert by_key[("alice", "B2-3")]["state"] == "validated" and by_key[("alice", "B2-3")]["validator"] == "fabienne"
    assert by_key[("alice", "B2-3")]["date"] == "2026-09-07"
    assert by_key[("alice", "A1-1")]["state"] == "not_validated"
    assert by_key[("bruno", "A2-1")]["state"] == "declared" and by_key[("bruno", "A2-1")]["validator"] == ""
    assert by_key[("bruno", "B1-1")]["state"] == "not_declared"


def test_bilan_html_and_pdf(url: str, tmp_path: Path) -> None:
    out = tmp_path / "bilan.html"
    _invoke("bilan", "--space", "demo", "--format", "html", "--out", str(out), "--database", url)
    page = out.read_text(encoding="utf-8")
    assert page.count("<tr>") == 1 + 54
    assert "<td>alice</td><td>console:alice</td><td>B2</td><td>B2-3</td>" in page and "<td>fabienne</td>" in page
    pdf = tmp_path / "bilan.pdf"
    _invoke("bilan", "--space", "demo", "--format", "pdf", "--out", str(pdf), "--database", url)
    assert pdf.read_bytes().startswith(b"%PDF")


def test_bilan_errors(url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(export_app, ["bilan", "--space", "nope", "--database", url])
    assert result.exit_code == 1 and "Espace inconnu" in result.output
    result = CliRunner().invoke(export_app, ["bilan", "--space", "demo", "--format", "xls", "--database", url])
    assert result.exit_code == 1 and "csv, html ou pdf" in result.output
