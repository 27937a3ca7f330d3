"""Every declaration message exists in French and English."""

from __future__ import annotations

from bot.templates import template_names


def test_same_templates_in_both_languages() -> None:
    fr = {n for n in template_names("fr") if n.startswith("declarations/")}
    en = {n for n in template_names("en") if n.startswith("declarations/")}
    assert fr == en and len(fr) >= 25
