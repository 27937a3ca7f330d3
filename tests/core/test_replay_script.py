"""The replay language's forms, and its error messages (users write these scripts by hand)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.console.replay import replay_text
from adapters.console.script import ScriptError, parse_line, parse_script


def test_every_line_form_parses() -> None:
    steps = parse_script("""
# a comment
space demo referential=crcn delay=90s policy=working lang=en
member alice group=A lang=en
formateur fabienne group=A
channel entraide kind=sos
at 2026-09-07 09:00
+1d 12h
alice in entraide [Partage]: Comment faire ? #B2-3  # the post keeps #B2-3, the comment goes
bruno reply: ok
thread 1
alice react ✅
alice edit: corrigé
alice dm: /portfolio
expect no sos/nudge
""")
    kinds = [s.kind for s in steps]
    assert kinds == ["space", "person", "person", "channel", "at", "advance", "post", "reply", "thread", "react",
                     "edit", "dm", "expect"]
    assert steps[2].target == "trainer" and steps[1].options == {"group": "A", "lang": "en"}
    assert steps[5].delta == timedelta(days=1, hours=12)
    assert steps[6].options["title"] == "Partage" and steps[6].text == "Comment faire ? #B2-3"


@pytest.mark.parametrize("line,fragment", [
    ("alice dance", "ligne incomprise"),
    ("+3 jours", "durée illisible"),
    ("at demain", "date illisible"),
    ("channel x", "kind="),
    ("thread one", "thread N"),
])
def test_bad_lines_say_what_is_wrong_and_how_to_write_it(line: str, fragment: str) -> None:
    with pytest.raises(ScriptError) as error:
        parse_line(line, 7)
    assert "ligne 7" in str(error.value) and fragment in str(error.value)


async def test_a_member_language_applies_to_private_messages() -> None:
    delivered = await replay_text("space demo\nmember alice lang=en\nalice dm: /aide\n")
    help_message = next(d for d in delivered if d.template == "general/help")
    assert help_message.text.startswith("**ticebot commands**")


async def test_going_back_in_time_is_refused() -> None:
    with pytest.raises(ScriptError, match="remonte pas le temps"):
        await replay_text("member alice\nat 2026-09-08T09:00\nalice in sos: Question ?\nat 2026-09-07T09:00\n")
