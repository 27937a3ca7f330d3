"""Importing a service registers its commands, observers and step handlers. One line per capability."""

from bot.declarations import service as _declarations  # noqa: F401
from bot.digest import service as _digest  # noqa: F401
from bot.privacy import service as _privacy  # noqa: F401
from bot.services import general  # noqa: F401
from bot.sos import commands as _sos_commands  # noqa: F401
from bot.sos import ladder as _sos_ladder  # noqa: F401
from bot.sos import questions as _sos_questions  # noqa: F401
from bot.tagging import service as _tagging_service  # noqa: F401
