"""Right of access: /mes-donnees and `ticebot member export` give every kind of record, nothing of others."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.console.replay import Replay
from bot.privacy.cli import member_app

SCENARIO = """space demo referential=c2i2e
tutor alice
member bruno
trainer fabienne
coordinator claire
at 2026-09-07T09:00
alice in sos: Comment intégrer une carte mentale #B2-3 pour mes quatrièmes ? Zéphyrine-Ouïe
+1d
bruno reply: Essaie Framindmap, c'est ce que j'utilise avec Gaspard-Xylophone.
alice react ✅
alice dm: /declare B2-3 https://example.org/zephyrine-carte
fabienne dm: /precisions #1 Avec quelle classe ?
alice dm: Une classe de quatrième, Zéphyrine-Ouïe encore.
fabienne dm: /valider #1 Très bien
bruno dm: /declare B3-1 Mon tableau Gaspard-Xylophone
alice dm: /valider #2 Bravo
alice dm: /consentement public
"""


def _files(replay: Replay) -> list[Path]:
    paths = []
    for d in replay.delivered:
        if "[fichier : " in d.text:
            paths.append(Path(d.text.split("[fichier : ", 1)[1].rstrip("]")))
    return paths


async def _export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Replay, dict, str]:
    monkeypatch.setenv("TICEBOT_DATA_DIR", str(tmp_path / "exports"))
    replay = Replay()
    await replay.run_script(SCENARIO + "alice dm: /mes-donnees\n")
    json_path, md_path = _files(replay)
    assert json_path.suffix == ".json" and md_path.suffix == ".md"
    assert json_path.parent == tmp_path / "exports"
    assert oct(json_path.stat().st_mode & 0o777) == "0o600"
    return replay, json.loads(json_path.read_text(encoding="utf-8")), md_path.read_text(encoding="utf-8")


async def test_export_by_dm_has_every_kind_of_record_and_nothing_of_others(tmp_path, monkeypatch) -> None:
    replay, data, summary = await _export(tmp_path, monkeypatch)
    try:
        sent = [d for d in replay.delivered if d.template in ("privacy/export_ready", "privacy/export_summary")]
        assert [d.to for d in sent] == ["alice", "alice"] and all(not d.channel for d in sent)
        assert data["member"]["platform_user_id"] == "alice" and data["member"]["welcomed_at"]
        assert data["consents"]["consent_public"] is True
        assert {(r["space"], r["role"]) for r in data["roles"]} >= {("demo", "tutor")}
        texts = [p["text"] for p in data["posts"]]
        assert any("Zéphyrine-Ouïe" in (t or "") for t in texts) and any("/mes-donnees" in (t or "") for t in texts)
        assert any(t["code"] == "B2-3" for t in data["tags"])
        [question] = data["questions"]
        assert question["status"] in ("answered", "resolved") and question["first_response_at"]
        [decl] = data["declarations"]
        assert decl["code"] == "B2-3" and decl["state"] == "validated" and "zephyrine" in decl["trace"]
        assert [r["to"] for r in decl["reviews"]] == ["in_review", "needs_info", "in_review", "validated"]
        assert {r["by"] for r in decl["reviews"]} == {"self", "validator"}
        given = data["reviews_given"]
        assert [(r["code"], r["to"]) for r in given] == [("B3-1", "in_review"), ("B3-1", "validated")]
        assert given[-1]["comment"] == "Bravo"
        assert any(m["template"] == "privacy/welcome" for m in data["messages_received"])
        # Nothing about others: their names, their words, their ids.
        dump = json.dumps(data, ensure_ascii=False)
        for other in ("bruno", "fabienne", "claire", "Gaspard-Xylophone", "Framindmap"):
            assert other not in dump and other not in summary
        # The summary is readable and complete.
        for heading in ("## Consentements", "## Rôles", "## Messages", "## Questions SOS posées", "## Déclarations",
                        "## Avis donnés comme validateur", "Zéphyrine-Ouïe"):
            assert heading in summary
    finally:
        await replay.close()


def test_cli_export_and_space_filter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICEBOT_DATA_DIR", str(tmp_path / "exports"))
    replay = Replay(database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    asyncio.run(replay.run_script(SCENARIO))
    asyncio.run(replay.close())
    url = replay.database_url
    out = tmp_path / "out" / "alice.json"
    result = CliRunner().invoke(member_app, ["export", "--member", "console:alice", "--database", url,
                                             "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["member"]["platform_user_id"] == "alice" and data["declarations"] and data["reviews_given"]
    assert out.with_suffix(".md").exists()
    other = CliRunner().invoke(member_app, ["export", "--member", "alice", "--space", "autre", "--database", url,
                                            "--out", str(tmp_path / "none.json")])
    assert other.exit_code == 0, other.output
    scoped = json.loads((tmp_path / "none.json").read_text(encoding="utf-8"))
    assert scoped["posts"] == [] and scoped["declarations"] == [] and scoped["scope"] == {"space": "autre"}
    missing = CliRunner().invoke(member_app, ["export", "--member", "@nobody:example.org", "--database", url])
    assert missing.exit_code == 1
