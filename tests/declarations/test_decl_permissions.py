"""Permission table: role × action, every cell, plus self-validation for every role."""

from __future__ import annotations

import pytest
from decl_support import Run, declarations

ROLES = ("member", "tutor", "trainer", "coordinator")
REVIEW = {"valider": ("/valider ok", "declarations/validated", "validated"),
          "refuser": ("/refuser motif clair", "declarations/not_validated", "not_validated"),
          "precisions": ("/precisions une question ?", "declarations/needs_info", "needs_info")}  # fmt: skip


def _script(role: str) -> str:
    return f"space demo referential=c2i2e\nmember alice\n{role} actor\ntrainer fabienne\n"


@pytest.mark.parametrize("role", ROLES)
async def test_declare_allowed_for_every_role(run: Run, role: str) -> None:
    replay = await run(_script(role) + "actor in general: /declare A1-1 trace\nexpect declarations/declared\n")
    assert [d.state for d in await declarations(replay)] == ["declared"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(REVIEW))
async def test_review_on_someone_else(run: Run, role: str, action: str) -> None:
    line, template, state = REVIEW[action]
    expected = "declarations/refuse_role" if role == "member" else template
    replay = await run(_script(role) + f"alice in general: /declare A1-1 trace\nactor reply: {line}\n"
                       f"expect {expected}\n")
    [decl] = await declarations(replay)
    assert decl.state == ("declared" if role == "member" else state)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(REVIEW))
async def test_self_review_refused(run: Run, role: str, action: str) -> None:
    line, _template, _state = REVIEW[action]
    expected = "declarations/refuse_role" if role == "member" else "declarations/refuse_self"
    replay = await run(_script(role) + f"actor in general: /declare A1-1 trace\nactor reply: {line}\n"
                       f"expect {expected}\nactor dm: {line.split()[0]} #1 {' '.join(line.split()[1:])}\n"
                       f"expect {expected} to actor\n")
    assert [d.state for d in await declarations(replay)] == ["declared"]


async def test_space_validators_config_restricts_roles(run: Run) -> None:
    """`review.validators` without tutors: a tutor is refused."""
    from adapters.console.replay import Replay
    from bot.config import ReviewPolicy

    replay = Replay()
    try:
        await replay.run_script("space demo referential=c2i2e\nmember alice\ntutor tom\n")
        replay.spaces["demo"].config.review = ReviewPolicy(validators=["trainer", "coordinator"])
        await replay.run_script("alice in general: /declare A1-1 trace\ntom reply: /valider\n"
                                "expect declarations/refuse_role\n")
    finally:
        await replay.close()
