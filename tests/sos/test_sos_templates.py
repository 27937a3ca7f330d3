"""Every SOS message exists in French and English, and README's template table lists each one."""

from __future__ import annotations

import re
from pathlib import Path

from bot.templates import render, template_names

ROOT = Path(__file__).resolve().parents[2]
USED = re.compile(r'"(sos/[a-z_]+)"')


def _used_in_code() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "bot" / "sos").glob("*.py"):
        if not path.name.startswith("simulate"):
            names |= set(USED.findall(path.read_text(encoding="utf-8")))
    return names


def test_every_sos_template_used_by_the_code_exists_in_both_languages() -> None:
    fr = {n for n in template_names("fr") if n.startswith("sos/")}
    en = {n for n in template_names("en") if n.startswith("sos/")}
    assert fr == en
    used = _used_in_code()
    assert used and used <= fr, sorted(used - fr)


def test_readme_lists_every_sos_template_with_when_it_is_sent() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## SOS TICE"):]
    section = section[:section.index("\n## ", 5)]
    first_cells = re.findall(r"^\| ([^|]*`sos/[^|]*) \|", section, flags=re.MULTILINE)
    listed = {name for cell in first_cells for name in re.findall(r"`(sos/[a-z_]+)`", cell)}
    public = {n for n in template_names("fr") if n.startswith("sos/") and not n.split("/")[1].startswith("_")}
    assert listed == public, (sorted(public - listed), sorted(listed - public))


def test_an_assignment_says_what_to_do_in_each_language() -> None:
    from datetime import UTC, datetime

    from bot.refs import UserRef

    values = dict(asker=UserRef("console", "alice", "Alice"), question="Partager sans ENT ?", link="#sos/m1",
                  deadline=datetime(2026, 9, 11, 7, tzinfo=UTC), remaining=datetime(2026, 9, 11, 7, tzinfo=UTC)
                  - datetime(2026, 9, 9, 7, tzinfo=UTC), late=None, number=12, ack_due=None,
                  peer={"author": UserRef("console", "bruno", "Bruno"), "text": "Par le drive."})
    fr = render("fr", "sos/oncall", **values).text
    en = render("en", "sos/oncall", **values).text
    assert "/claim #12" in fr and "/passer #12" in fr and "✅ sur la réponse de Bruno" in fr
    assert "/claim #12" in en and "/passer #12" in en and "✅ on Bruno's reply" in en
    # On Matrix, where there are no buttons, the same actions read as the bot's commands there.
    matrix = render("fr", "sos/oncall", platform="matrix", **values).text
    assert "`!claim #12`" in matrix and "`!passer #12 [raison]`" in matrix and "/claim" not in matrix
