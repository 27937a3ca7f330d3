"""Where the bot's data is: the prompts, the referentials and the demo scenario.

In the repository they are the top-level folders `prompts/` and `referential/` (the layout people edit).
A wheel ships them inside the package as `bot/_prompts` and `bot/_referential` (pyproject.toml maps
them), so an installed ticebot finds them wherever it runs from.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(shipped: str, checkout: str) -> Path:
    installed = _PACKAGE / shipped
    return installed if installed.is_dir() else _PACKAGE.parent / checkout


PROMPTS_DIR = _data_dir("_prompts", "prompts")
REFERENTIAL_DIR = _data_dir("_referential", "referential")
