"""What people write is stored in full; every message of the bot that quotes someone shows a bounded
excerpt ("…" and a link to the original where there is one), with limits from `[limits]`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.console.replay import Replay
from bot.config import ConfigError, LimitsConfig, load_settings
from bot.db.models import Declaration, Member, Review
from bot.limits import current_limits, excerpt, use_limits
from bot.templates import PROMPTS_DIR, render

# Template variables that carry someone's own words (question, comment, trace…) or what they typed.
PEOPLE_WORDS = {"question", "comment", "answer", "trace", "text", "title", "written"}
ECHOED_CODES = {"declarations/unknown_code", "declarations/foreign_code"}  # the code as typed
# The person's own data export (a file, complete by right), and a member's /sos question the Discord
# adapter publishes for them in the forum (their own words, in full, split by the adapter at 2,000).
NOT_A_MESSAGE = {"privacy/export_file", "discord/sos_post"}
HUGE = " ".join(f"mot{n}" for n in range(20_000))  # ≈ 140,000 characters


@pytest.fixture(autouse=True)
def _default_limits() -> Iterator[None]:
    before = current_limits()
    yield
    use_limits(before)


def test_a_short_text_is_quoted_as_is() -> None:
    assert excerpt("Avec l'adaptateur du placard.") == "Avec l'adaptateur du placard."


def test_a_long_text_is_cut_at_a_word_with_an_ellipsis_and_a_link() -> None:
    cut = excerpt(HUGE, link="https://matrix.to/#/!r:hs/$e")
    assert len(cut) <= 300 + len("… (suite : https://matrix.to/#/!r:hs/$e)")
    assert cut.endswith("… (suite : https://matrix.to/#/!r:hs/$e)")
    assert re.fullmatch(r"(mot\d+ )*mot\d+….*", cut)  # whole words only
    assert excerpt(HUGE, link="L", lang="en").endswith("… (more: L)")
    assert excerpt("\n".join(["ligne"] * 30)).count("\n") == 7  # quote_lines = 8
    assert excerpt("voir `" + "x" * 400).count("`") == 2  # an inline code span is closed


def test_every_template_that_quotes_someone_uses_the_excerpt_filter() -> None:
    expression = re.compile(r"\{\{(.*?)\}\}", re.S)
    offenders = []
    for path in sorted(PROMPTS_DIR.rglob("*.md.j2")):
        name = str(path.relative_to(PROMPTS_DIR).with_suffix("").with_suffix("")).split("/", 1)[1]
        if name in NOT_A_MESSAGE:
            continue
        for expr in expression.findall(path.read_text(encoding="utf-8")):
            value = expr.split("|")[0].strip()
            last = re.split(r"[.\s]", value)[-1] if re.fullmatch(r"[\w.]+", value) else ""
            quotes = last in PEOPLE_WORDS or (name in ECHOED_CODES and value == "code" and "s.code" not in expr)
            if quotes and "excerpt" not in expr:
                offenders.append(f"{path.relative_to(PROMPTS_DIR)}: {{{{{expr}}}}}")
    assert offenders == []


async def test_a_huge_trace_and_a_huge_motive_are_stored_whole_and_quoted_short(database_url: str) -> None:
    replay = Replay(database_url=database_url)
    try:
        await replay.run_script(f"""space demo referential=c2i2e
member alice
trainer fabienne
at 2026-09-07T09:00
alice dm: /declare B2-3 {HUGE}
fabienne dm: /refuser #1 {HUGE}
alice in sos: {HUGE} ?
+3d
""")
        assert replay.app is not None
        async with replay.app.db.transaction() as session:
            decl = (await session.execute(select(Declaration))).scalar_one()
            review = (await session.execute(select(Review).where(Review.comment.is_not(None)))).scalar_one()
        assert decl.trace_text == HUGE and review.comment == HUGE  # stored as written
        sent = {d.template: d.text for d in replay.delivered}
        assert {"declarations/notify_validator", "declarations/not_validated", "sos/referent",
                "sos/trainers_alert"} <= set(sent)
        assert len(sent["declarations/notify_validator"]) < 1600  # trace_chars 1000 + the message itself
        for template in ("declarations/not_validated", "sos/referent", "sos/trainers_alert"):
            assert len(sent[template]) < 900, template
        assert max(len(d.text) for d in replay.delivered) < 2000  # one Discord message each
        assert "…" in sent["declarations/not_validated"]
    finally:
        await replay.close()


def test_limits_come_from_the_configuration(tmp_path: Path) -> None:
    config = tmp_path / "ticebot.toml"
    config.write_text("[limits]\nquote_chars = 60\n", encoding="utf-8")
    use_limits(load_settings(config).limits)
    text = render("fr", "declarations/needs_info", who=_user(), validator=_user(), code="B2-3", label="l", id=1,
                  comment=HUGE, private=True).text
    quoted = next(line for line in text.splitlines() if line.startswith("> "))
    assert len(quoted) <= 2 + 60 + 2
    config.write_text("[limits]\nquote_chars = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="limits.quote_chars"):
        load_settings(config)
    assert LimitsConfig().quote_chars == 300


async def test_a_display_name_longer_than_the_column_is_kept_short(database_url: str) -> None:
    replay = Replay(database_url=database_url)
    try:
        await replay.run_script("space demo referential=c2i2e\nmember alice\nat 2026-09-07T09:00\n"
                                "alice in sos: Bonjour, une question ?\n")
        assert replay.app is not None
        from bot.events import PostCreated
        from bot.refs import ChannelRef, MessageRef, UserRef

        sos = ChannelRef("console", "sos")
        long_name = "Zoé " + "très-long-pseudo " * 30  # Matrix allows 256 characters, the column 255
        await replay.app.submit(PostCreated("ev-long", UserRef("console", "zoe", long_name), sos,
                                            MessageRef(sos, "z1"), "Comment faire un QCM ?"))
        async with replay.app.db.transaction() as session:
            zoe = (await session.execute(select(Member).where(Member.platform_user_id == "zoe"))).scalar_one()
        assert zoe.display_name == long_name[:255]
    finally:
        await replay.close()


def _user():  # type: ignore[no-untyped-def]
    from bot.refs import UserRef

    return UserRef("console", "alice", "alice")
