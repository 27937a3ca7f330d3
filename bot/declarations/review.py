"""The review state machine, who may review, and the optimistic lock that settles concurrent reviews.

declared → in_review (a validator opened it) → validated | not_validated | needs_info;
needs_info → in_review when the member answers. Every transition is a Review row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from bot.context import UserError
from bot.db.models import Declaration, Review
from bot.members import roles_of

TRANSITIONS: dict[str, frozenset[str]] = {
    "declared": frozenset({"in_review"}),
    "in_review": frozenset({"validated", "not_validated", "needs_info"}),
    # A validator may decide after an exchange by DM, or ask a further question.
    "needs_info": frozenset({"in_review", "validated", "not_validated", "needs_info"}),
    "validated": frozenset(),
    "not_validated": frozenset(),
}
DECISIONS = ("validated", "not_validated", "needs_info")


class Conflict(UserError):
    """Another validator changed the declaration between our read and our write."""

    def __init__(self, declaration_id: int) -> None:
        super().__init__("declarations/conflict", id=declaration_id)
        self.declaration_id = declaration_id


def validator_roles(settings: dict) -> tuple[str, ...]:
    """Roles allowed to review in a space (its `review.validators`), from the stored space settings."""
    review = (settings or {}).get("review") or {}
    return tuple(review.get("validators") or ("tutor", "trainer", "coordinator"))


async def check_reviewer(session: AsyncSession, decl: Declaration, member_id: int, validators: tuple[str, ...]) -> None:
    """Refuse (politely) anyone who is not a validator of the declaration's space, and self-validation."""
    roles = await roles_of(session, decl.space_id, member_id)
    if not roles.intersection(validators):
        raise UserError("declarations/refuse_role", roles=list(validators))
    if decl.member_id == member_id:
        raise UserError("declarations/refuse_self", id=decl.id, code=decl.code)


async def transition(
    session: AsyncSession, decl: Declaration, to_state: str, actor_id: int | None, now: datetime,
    comment: str | None = None,
) -> Review:
    """Move `decl` to `to_state` and record it; raises Conflict when someone else moved it first.

    The UPDATE carries `WHERE version = <the version we read>` (SQLAlchemy's version_id_col): if a
    concurrent review committed in between, no row matches and StaleDataError tells us we lost.
    """
    from_state, decl_id = decl.state, decl.id
    if to_state not in TRANSITIONS.get(from_state, frozenset()):
        raise ValueError(f"transition {from_state} → {to_state} not allowed")
    try:
        async with session.begin_nested():
            decl.state, decl.updated_at = to_state, now
            await session.flush()
    except StaleDataError as exc:
        raise Conflict(decl_id) from exc  # decl is expired by the rollback: do not touch it here
    review = Review(declaration_id=decl_id, actor_id=actor_id, from_state=from_state, to_state=to_state,
                    comment=comment, at=now)
    session.add(review)
    await session.flush()
    return review


async def open_review(session: AsyncSession, decl: Declaration, actor_id: int, now: datetime) -> None:
    """A validator looked at it: `declared` becomes `in_review` (other states are left alone)."""
    if decl.state == "declared":
        await transition(session, decl, "in_review", actor_id, now)


async def decide(
    session: AsyncSession, decl: Declaration, to_state: str, actor_id: int, now: datetime, comment: str | None
) -> Review:
    """A validator's decision; a decided declaration is refused with "déjà validée / refusée"."""
    if decl.state in ("validated", "not_validated"):
        raise UserError("declarations/already", id=decl.id, code=decl.code, state=decl.state)
    await open_review(session, decl, actor_id, now)
    return await transition(session, decl, to_state, actor_id, now, comment)
