"""One import registers every privacy capability (observer, commands, scheduled steps)."""

from bot.privacy import commands as _commands  # noqa: F401
from bot.privacy import consent as _consent  # noqa: F401
from bot.privacy import erase as _erase  # noqa: F401
from bot.privacy import retention as _retention  # noqa: F401
