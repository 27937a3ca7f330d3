"""/bilan: the member's own bilan, the jury's content, sent privately as an HTML file."""

from __future__ import annotations

import asyncio
import html
from pathlib import Path

import pytest
from decl_support import Run
from typer.testing import CliRunner

from adapters.console.replay import Replay
from bot.declarations.cli import export_app


def _file(text: str) -> Path:
    assert "[fichier : " in text, text
    return Path(text.split("[fichier : ", 1)[1].rstrip("]"))


def _cells(page: str) -> list[list[str]]:
    rows = []
    for chunk in page.split("<tr>")[2:]:
        rows.append([html.unescape(c.split("</td>")[0]) for c in chunk.split("<td>")[1:]])
    return rows


async def test_bilan_by_dm_is_my_rows_of_the_jury_bilan_as_a_private_file(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICEBOT_DATA_DIR", str(tmp_path / "data"))
    replay = await run("""
alice in general: /declare B2-3 https://exemple.org/recherche
fabienne reply: /valider
bruno in general: /declare A1-1 Liste des personnes ressources
alice in general: /bilan
expect declarations/bilan_ready to alice
""")
    [sent] = [d for d in replay.delivered if d.template == "declarations/bilan_ready"]
    assert sent.to == "alice" and not sent.channel  # privately, although asked in a channel
    assert "1 compétence validée sur 27" in sent.text and "en privé" in sent.text
    path = _file(sent.text)
    assert path.parent == tmp_path / "data" and path.name.startswith("ticebot-donnees-")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    page = path.read_text(encoding="utf-8")
    mine = _cells(page)
    assert len(mine) == 27 and {r[0] for r in mine} == {"alice"}  # nobody else's rows
    b23 = next(r for r in mine if r[3] == "B2-3")
    assert b23[5] == "validated" and b23[7] == "fabienne" and b23[10] == "crcn 1.1"
    assert "une validation C2i2e ne vaut pas un niveau CRCN" in page


def _crcn_db(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'crcn.db'}"

    async def build() -> None:
        replay = Replay(database_url=url)
        try:
            await replay.run_script("""space crcn referential=crcn
member alice
trainer fabienne
at 2026-09-07T09:00
alice in general: /positionner 2.3 4 Un pad collaboratif
fabienne reply: /valider niveau 3
alice in general: /positionner 1.1 2 Recherche au CDI
""")
        finally:
            await replay.close()

    asyncio.run(build())
    return url


def test_jury_bilan_of_a_crcn_space_has_levels_and_a_profile_chart(tmp_path: Path) -> None:
    url = _crcn_db(tmp_path)
    out = tmp_path / "bilan.html"
    result = CliRunner().invoke(export_app, ["bilan", "--space", "crcn", "--format", "html", "--out", str(out),
                                             "--database", url])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    rows = {r[3]: r for r in _cells(page.split("</figure>")[-1])}
    assert (rows["2.3"][5], rows["2.3"][8], rows["2.3"][9]) == ("validated", "4", "3")
    assert (rows["1.1"][5], rows["1.1"][8], rows["1.1"][9]) == ("declared", "2", "")
    assert page.count('<img alt="profil de niveaux de alice" src="data:image/png;base64,') == 1
    csv_out = CliRunner().invoke(export_app, ["bilan", "--space", "crcn", "--database", url]).output
    assert csv_out.splitlines()[0].endswith("validator,level_declared,level_validated,crosswalk")
