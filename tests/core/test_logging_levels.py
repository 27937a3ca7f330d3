"""`[bot] log_level = "DEBUG"` must not put message texts in the log through the database drivers'
loggers (SQLAlchemy result rows, aiosqlite calls with their parameters); `[bot] log_database = true`
lets them through for someone who asks explicitly."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from adapters.console.replay import Replay
from bot.config import BotConfig
from bot.logs import DATABASE_LOGGERS, apply_levels

SECRET_TEXT = "Mon-ordinateur-Zygomatique clignote"
SCENARIO = f"""space demo referential=c2i2e
member alice
trainer fabienne
at 2026-09-07T09:00
alice in sos: {SECRET_TEXT} quand je lance Pronote ?
+1d
"""


@pytest.fixture(autouse=True)
def _restore_levels() -> Iterator[None]:
    names = [*DATABASE_LOGGERS, "nio", "alembic.runtime.plugins"]
    before = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)


async def _debug_log_of_a_scenario(caplog: pytest.LogCaptureFixture, database_url: str) -> str:
    caplog.set_level(logging.DEBUG)
    replay = Replay(database_url=database_url)
    try:
        await replay.run_script(SCENARIO)
    finally:
        await replay.close()
    return caplog.text


async def test_at_debug_the_database_drivers_do_not_log_message_texts(caplog: pytest.LogCaptureFixture,
                                                                       empty_database_url: str) -> None:
    # A first start (migrations included): the most the drivers and the bot ever log.
    apply_levels(BotConfig(log_level="DEBUG"))
    logged = await _debug_log_of_a_scenario(caplog, empty_database_url)
    assert any(r.levelno == logging.DEBUG for r in caplog.records), "DEBUG is on for the bot's own loggers"
    assert "Zygomatique" not in logged
    assert not [r for r in caplog.records if r.name.split(".")[0] in DATABASE_LOGGERS and r.levelno < logging.WARNING]


async def test_log_database_lets_the_drivers_speak(caplog: pytest.LogCaptureFixture, sqlite_url: str) -> None:
    apply_levels(BotConfig(log_level="DEBUG", log_database=True))
    logged = await _debug_log_of_a_scenario(caplog, sqlite_url)
    assert "Zygomatique" in logged  # what the default protects against, when asked for on purpose


def test_a_log_level_that_does_not_exist_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="log_level"):
        BotConfig(log_level="BAVARD")
