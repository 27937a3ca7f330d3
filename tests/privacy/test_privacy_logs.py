"""Logs at INFO carry platform ids and row ids, never message text, never a secret."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from sqlalchemy import JSON, String, Text, select

from adapters.console.replay import Replay
from bot.app import TicebotApp
from bot.clock import FakeClock
from bot.config import load_settings
from bot.db.models import Base

TOKEN = "tok-FAKE-s3cr3t-9f8e7d"
PASSWORD = "pw-FAKE-hunter2-xyz"
TEXTS = [
    "Comment projeter mon écran Brontosaure-Vert sans fil ?",
    "Essaie l'adaptateur Céladon-Pivoine du placard.",
    "Ma séquence Ornithorynque-Bleu en quatrième",
    "Quel niveau Papaye-Indigo ?",
    "En quatrième Mandragore-Rose.",
]
SCENARIO = f"""space demo referential=c2i2e delay=4d
member alice
member bruno
trainer fabienne
coordinator claire
at 2026-09-07T09:00
alice in sos: {TEXTS[0]}
+2d
bruno reply: {TEXTS[1]}
alice react ✅
alice dm: /declare B2-3 {TEXTS[2]}
fabienne dm: /precisions #1 {TEXTS[3]}
alice dm: {TEXTS[4]}
fabienne dm: /valider #1
alice dm: /mes-donnees
alice dm: /oublier
alice dm: /oublier confirmer
+5d
"""
CONFIG = """
[bot]
language = "fr"

[matrix]
homeserver = "https://matrix.example.org"
user_id = "@ticebot:example.org"
password_env = "TEST_TICEBOT_MATRIX_PASSWORD"

[discord]
token_env = "TEST_TICEBOT_DISCORD_TOKEN"

[[spaces]]
id = "demo"
referential = "c2i2e"
privacy_notice = "https://inspe.example.org/rgpd"
"""


async def test_a_full_scenario_logs_no_message_text_and_no_secret(tmp_path: Path, monkeypatch, caplog) -> None:
    monkeypatch.setenv("TICEBOT_DATA_DIR", str(tmp_path / "exports"))
    monkeypatch.setenv("TEST_TICEBOT_DISCORD_TOKEN", TOKEN)
    monkeypatch.setenv("TEST_TICEBOT_MATRIX_PASSWORD", PASSWORD)
    caplog.set_level(logging.INFO)
    config = tmp_path / "ticebot.toml"
    config.write_text(CONFIG, encoding="utf-8")
    settings = load_settings(config)
    assert settings.discord is not None and settings.discord.token() == TOKEN
    assert settings.matrix is not None and settings.matrix.secret() == ("password", PASSWORD)
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    from datetime import UTC, datetime

    app = await TicebotApp.create(settings, clock=FakeClock(datetime(2026, 9, 7, tzinfo=UTC)), database_url=url)
    await app.run_once()
    stored = []
    async with app.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            for row in (await session.execute(select(*columns))).all() if columns else []:
                stored += [v if isinstance(v, str) else json.dumps(v) for v in row if v is not None]
    await app.close()
    assert stored and not [v for v in stored if TOKEN in v or PASSWORD in v]

    replay = Replay()
    try:
        await replay.run_script(SCENARIO)
    finally:
        await replay.close()
    assert any(r.levelno >= logging.INFO for r in caplog.records), "the scenario logs something"
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    for secret in (TOKEN, PASSWORD):
        assert secret not in logged
    for text in TEXTS:
        for word in text.split():
            if "-" in word:  # the distinctive words
                assert word.strip("?.") not in logged, word
    for path in (tmp_path / "exports").rglob("*"):  # erased with the member, but check whatever is left
        if not path.is_file():
            continue
        content = path.read_bytes()
        assert TOKEN.encode() not in content and PASSWORD.encode() not in content
