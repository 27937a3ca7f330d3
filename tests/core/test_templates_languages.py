"""Every message the bot writes exists in French and in English, and the runtime's own messages render."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.delivery_failures import FailedDelivery
from bot.templates import render, template_names


def test_same_templates_in_both_languages() -> None:
    assert set(template_names("fr")) == set(template_names("en"))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_runtime_messages_render(lang: str) -> None:
    at = datetime(2026, 9, 7, 8, 0, tzinfo=UTC)
    failure = FailedDelivery(12, at, "sos/received", "thread", "sos", "403 Missing Access", 1)
    text = render(lang, "delivery/failures", space="gfp", failures=[failure], total=3, since=at).text
    assert "12" in text and "ticebot outbox retry" in text and "403 Missing Access" in text
    assert ("et 2 autres" if lang == "fr" else "and 2 more") in text  # 3 failures, 1 shown
    assert "/sla" in render(lang, "errors/command_failed", command="sla", failure=4).text
    assert "4" in render(lang, "errors/post_failed", parts=["sos"], failures=[4]).text
    assert "✅" in render(lang, "errors/reaction_failed", emoji="✅", failures=[4]).text
    assert render(lang, "errors/not_recorded").text
