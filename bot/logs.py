"""Log levels for `ticebot run`: `[bot] log_level` for the bot, and the noisy libraries kept in check.

The database drivers log SQL, its parameters and result rows at DEBUG (SQLAlchemy's engine and pool,
aiosqlite's calls with their arguments, asyncpg): that is people's messages in the log. They stay at
WARNING whatever `log_level` says, unless `[bot] log_database = true` asks for them explicitly.
"""

from __future__ import annotations

import logging

from bot.config import BotConfig

DATABASE_LOGGERS = ("sqlalchemy", "aiosqlite", "asyncpg")
# matrix-nio logs every event of every sync at INFO ("handling event of type …"), alembic its plugins.
CHATTY_AT_INFO = ("nio", "alembic.runtime.plugins")
FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging(config: BotConfig) -> None:
    logging.basicConfig(level=config.log_level, format=FORMAT)
    apply_levels(config)


def apply_levels(config: BotConfig) -> None:
    """Set the libraries' levels from the bot's configuration (the root level is the caller's)."""
    level = logging.getLevelName(config.log_level)
    for name in DATABASE_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if config.log_database else logging.WARNING)
    for name in CHATTY_AT_INFO:
        logging.getLogger(name).setLevel(logging.WARNING if level >= logging.INFO else logging.NOTSET)
