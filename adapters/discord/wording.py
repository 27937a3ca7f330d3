"""What the Discord adapter writes itself (acknowledgements, notices): templates in
`prompts/<lang>/discord/`, in the language of the person's Discord client (French unless English)."""

from __future__ import annotations

from typing import Any

from bot.templates import render


def language(interaction: Any) -> str:
    locale = str(getattr(interaction, "locale", "") or "")
    return "en" if locale.startswith("en") else "fr"


def say(lang: str, name: str, **values: Any) -> str:
    return render(lang, f"discord/{name}", **values).text
