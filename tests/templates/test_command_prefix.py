"""Commands are shown with the prefix of the platform the message is read on: `!` on Matrix, `/` elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import bot.services  # noqa: F401  (registers the commands whose names the renderer rewrites)
from bot.refs import UserRef
from bot.templates import command_prefix, render, template_names


def test_prefix_per_platform() -> None:
    assert (command_prefix("matrix"), command_prefix("discord"), command_prefix("console")) == ("!", "/", "/")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_command_in_a_templates_text_is_written_with_bang_on_matrix_only(lang: str) -> None:
    values = {"asker": UserRef("matrix", "@alice:hs", "Alice"), "deadline": datetime(2026, 9, 11, 9, tzinfo=UTC),
              "suggestions": []}
    on_matrix = render(lang, "sos/received", platform="matrix", **values).text
    assert "`!resolu`" in on_matrix and "/resolu" not in on_matrix
    for platform in ("discord", "console", None):
        elsewhere = render(lang, "sos/received", platform=platform, **values).text
        assert "`/resolu`" in elsewhere and "!resolu" not in elsewhere


def test_a_command_named_by_a_value_and_the_help_list_get_the_prefix() -> None:
    need_id = render("fr", "declarations/need_id", platform="matrix", command="valider").text
    assert "`!valider #12 …`" in need_id and "`!a-valider`" in need_id
    helped = render("fr", "general/help", platform="matrix", commands=["/declare <code> <trace>", "/sla"]).text
    assert "`!declare <code> <trace>`" in helped and "`!sla`" in helped and "/" not in helped.replace("</", "")


def test_urls_paths_and_people_quoting_commands_are_left_alone() -> None:
    from bot.templates import _command_pattern

    pattern = _command_pattern(frozenset({"sos", "portfolio"}))
    untouched = "voir https://exemple.org/sos et a/portfolio"
    assert pattern.sub("!", untouched) == untouched
    assert pattern.sub("!", "tapez /sos ou `/portfolio`") == "tapez !sos ou `!portfolio`"
    assert pattern.sub("!", "/sosie /portfolios") == "/sosie /portfolios"  # not a command name


def test_no_template_left_with_a_hard_coded_slash_command_on_matrix() -> None:
    """Every template, rendered for Matrix, with its literal text scanned: no `/command` survives."""
    from bot.templates import _command_names, _environment
    from bot.wiring import build_registry

    names = _command_names()
    for lang in ("fr", "en"):
        env = _environment(lang, "!", names)
        for name in template_names(lang):
            source = env.loader.get_source(env, f"{name}.md.j2")[0]  # type: ignore[union-attr]
            processed = env.preprocess(source, name)
            for command in build_registry().commands:
                assert f"`/{command}" not in processed, (lang, name, command)
