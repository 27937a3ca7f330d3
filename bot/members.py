"""Members and their roles per space: lookups every service needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.attach import EntityColumns, attached, columns_of
from bot.db.claim_ride import send_claim_with_next
from bot.db.direct import execute_direct
from bot.db.models import Declaration, Member, ProcessedEvent, Role
from bot.hooks import THREAD_PARAMS, RowAlong
from bot.refs import UserRef

VALIDATOR_ROLES = ("tutor", "trainer", "coordinator")
STAFF_ROLES = ("trainer", "coordinator")


def platform_of_user_id(raw: str) -> tuple[str, str]:
    """Config lists people by id; the id's shape says its platform ("discord:42" forces one)."""
    prefix, sep, rest = raw.partition(":")
    if sep and not raw.startswith("@") and prefix.isalpha() and prefix.islower():
        return prefix, rest
    if raw.startswith("@") and ":" in raw:
        return "matrix", raw
    if raw.isdigit():
        return "discord", raw
    return "console", raw


async def find_member(session: AsyncSession, raw: str) -> Member | None:
    """For admin commands: by platform id (`@alice:hs`, Discord id, console name) or `platform:id`;
    else by display name, only when exactly one member has it."""
    platform, ident = platform_of_user_id(raw.strip())
    exact = (await session.execute(
        select(Member).where(Member.platform == platform, Member.platform_user_id == ident)
    )).scalar_one_or_none()
    if exact is not None:
        return exact
    named = list((await session.execute(
        select(Member).where(Member.display_name == raw.strip()).limit(2)
    )).scalars())
    return named[0] if len(named) == 1 else None


NAME_LENGTH = 255  # Member.display_name; Matrix allows 256 characters


async def get_or_create_member(session: AsyncSession, user: UserRef, now: datetime) -> Member:
    display = user.display[:NAME_LENGTH]
    member = (
        await session.execute(
            select(Member).where(Member.platform == user.platform, Member.platform_user_id == user.id)
        )
    ).scalar_one_or_none()
    if member is None:
        member = Member(
            platform=user.platform,
            platform_user_id=user.id,
            display_name=display or user.id[:NAME_LENGTH],
            created_at=now,
        )
        session.add(member)
        await session.flush()
    elif display and member.display_name != display and member.erased_at is None:
        member.display_name = display
    return member


@dataclass(frozen=True, slots=True)
class Acting:
    """Who acts, as read in this event's transaction: the member, their roles in the space, and whether
    a validator is waiting for their answer on a declaration (lets a post skip that observer)."""

    member: Member
    roles: set[str]
    awaits_info: bool
    read_along: dict[str, Any]  # the observers' read-alongs (bot/hooks.py), by label; {} when none


_PROCESSED = ProcessedEvent.__table__
# The event's claim as a data-modifying CTE of the member read (PostgreSQL only; SQLite has no DML in
# WITH, the claim rides in the read's trip there: bot/db/claim_ride.py): PostgreSQL runs it to completion
# whatever the SELECT returns, and a duplicate event id fails the whole statement with the same unique
# violation as the claim's own INSERT.
_CLAIM_CTE = _PROCESSED.insert().values(
    platform=bindparam("claim_platform", type_=_PROCESSED.c.platform.type),
    event_id=bindparam("claim_event_id", type_=_PROCESSED.c.event_id.type),
    processed_at=bindparam("claim_at", type_=_PROCESSED.c.processed_at.type)).cte("claim")


def claim_params(platform: str, event_id: str, at: datetime) -> dict[str, Any]:
    """The parameters of a member query built with `claims=True`."""
    return {"claim_platform": platform, "claim_event_id": event_id, "claim_at": at}


@dataclass(frozen=True, slots=True)
class MemberQuery:
    """`member_with_roles`' statement for a space, and what rides along in each of its rows: the scalar
    read-alongs' labels, then the joined rows (`bot.hooks.RowAlong`; a reply's thread is named by
    `thread_along_params`). `claims`: the statement inserts the event's claim (a CTE)."""

    statement: Select[Any]
    labels: tuple[str, ...]
    rows: tuple[RowAlong, ...] = ()
    claims: bool = False
    # The member and each row along come as their columns (`direct`): made into objects by `attached`.
    columns: tuple[EntityColumns, ...] = ()


def thread_along_params(platform: str, channel_id: str, root_id: str) -> dict[str, str]:
    """The bound values naming the thread of a reply's rows along (`bot.hooks.THREAD_PARAMS`)."""
    return dict(zip(THREAD_PARAMS, (platform, channel_id, root_id), strict=True))


def member_query(space_id: str, along: dict[str, Any] | None = None, claims: bool = False,
                 rows: tuple[RowAlong, ...] = (), direct: bool = False) -> MemberQuery:
    """The statement of `member_with_roles` for a space (built once per space and reused: the user is a
    bound parameter), and the labels of the read-alongs it carries. `claims`: it also inserts the
    event's processed row (`claim_params`), one round trip for both. `rows`: rows outer-joined to
    it, named by bound values (the statement stays one per space and kind of event)."""
    awaits = (select(Declaration.id)
              .where(Declaration.member_id == Member.id, Declaration.state == "needs_info")
              .exists().label("awaits_info"))
    labels = tuple(along or ())
    # `direct`: the member's and the rows along's columns rather than entities, a Core statement run past
    # SQLAlchemy's execution (bot/db/direct.py: the one-trip driver, or asyncpg since stop 32), made into
    # the session's objects by `attached` without the ORM's loading (about a third of an event's member
    # read). Through the stock execution, columns cost more than entities (the ORM's result, one by one).
    entities = (_MEMBER, *(columns_of(joined.entity) for joined in rows)) if direct else ()
    member = _MEMBER.columns if direct else (Member,)
    statement = (
        select(*member, Role.role, awaits, *(along[label].label(label) for label in labels))  # type: ignore[index]
        .outerjoin(Role, (Role.member_id == Member.id) & (Role.space_id == space_id))
        .where(Member.platform == bindparam("user_platform"), Member.platform_user_id == bindparam("user_id"))
    )
    for i, joined in enumerate(rows):  # not correlated with the member: one row or NULLs, by its own index
        row = entities[1 + i].columns if direct else (joined.entity,)
        statement = statement.outerjoin(joined.entity, joined.onclause).add_columns(*row, *joined.extras)
    if claims:
        statement = statement.add_cte(_CLAIM_CTE)
    return MemberQuery(statement, labels, rows, claims, columns=entities)


_MEMBER = columns_of(Member)


def _shaped(session: AsyncSession, query: MemberQuery, rows: list[Any]) -> list[Any]:
    """Rows of columns (`query.columns`) in the entities' shape: (member, role, awaits, *labels, then each
    row along and its extras) for the first row, (member, role) for the others (one per role)."""
    first = rows[0]
    member_columns, *along = query.columns
    member = attached(session, member_columns, tuple(first[:member_columns.width]))
    at = member_columns.width + 2 + len(query.labels)
    shaped = [member, *first[member_columns.width:at]]
    for joined, entity in zip(query.rows, along, strict=True):
        shaped.append(attached(session, entity, tuple(first[at:at + entity.width])))
        at += entity.width
        shaped.extend(first[at:at + len(joined.extras)])
        at += len(joined.extras)
    return [tuple(shaped), *((member, row[member_columns.width]) for row in rows[1:])]


async def member_with_roles(session: AsyncSession, user: UserRef, now: datetime, space_id: str,
                            query: MemberQuery | None = None, claim: dict[str, Any] | None = None,
                            row_params: dict[str, str] | None = None, create: bool = True) -> Acting | None:
    """The member (created if new), their roles in `space_id` and whether one of their declarations
    awaits their answer, read together in one query (never cached: they change while the bot runs).
    `query`: `member_query(space_id, …)` built beforehand, with its read-alongs (not read for a new member);
    `claim`: the event's `claim_params`, inserted by the query's CTE when it was built with
    `claims=True`, else sent right before it in the same trip (SQLite); `row_params`: the
    values naming its rows along (`thread_along_params` for a reply's thread). `create=False`: None
    for a member not stored yet (the caller then takes its own path, which creates them if it must)."""
    query = query or member_query(space_id)
    params = {"user_platform": user.platform, "user_id": user.id, **(row_params or {})}
    if claim is not None and query.claims:
        params.update(claim)
    elif claim is not None:
        await _claim_before(session, claim)
    if query.columns:
        rows: Any = await execute_direct(session, query.statement, params)
    else:
        rows = (await session.execute(query.statement, params)).all()
    if not rows:  # a new member: no roles and no declarations yet
        if not create:
            return None
        return Acting(await get_or_create_member(session, user, now), set(), False, {})
    if query.columns:
        rows = _shaped(session, query, rows)
    member = rows[0][0]
    display = user.display[:NAME_LENGTH]
    if display and member.display_name != display and member.erased_at is None:
        member.display_name = display
    first = rows[0]
    read_along: dict[str, Any] = {label: first[3 + i] for i, label in enumerate(query.labels)}
    at = 3 + len(query.labels)
    for joined in query.rows:
        width = 1 + len(joined.extras)
        read_along[joined.label] = tuple(first[at:at + width])
        at += width
    return Acting(member, {row[1] for row in rows if row[1] is not None}, bool(first[2]), read_along)


async def _claim_before(session: AsyncSession, claim: dict[str, Any]) -> None:
    """The claim, in the same trip as the statement that follows (or alone without the one-trip driver)."""
    values = (claim["claim_platform"], claim["claim_event_id"], claim["claim_at"])
    if not await send_claim_with_next(session, *values):
        await session.execute(_PROCESSED.insert(), dict(zip(("platform", "event_id", "processed_at"), values,
                                                            strict=True)))


def user_ref(member: Member) -> UserRef:
    return UserRef(member.platform, member.platform_user_id, member.display_name)


async def roles_of(session: AsyncSession, space_id: str, member_id: int) -> set[str]:
    rows = await session.execute(
        select(Role.role).where(Role.space_id == space_id, Role.member_id == member_id)
    )
    return set(rows.scalars())


async def ensure_role(session: AsyncSession, space_id: str, member_id: int, role: str, group: str = "") -> None:
    existing = await session.get(Role, (space_id, member_id, role))
    if existing is None:
        session.add(Role(space_id=space_id, member_id=member_id, role=role, group=group))
    elif group and existing.group != group:
        existing.group = group


async def members_with_role(session: AsyncSession, space_id: str, role: str) -> list[Member]:
    rows = await session.execute(
        select(Member)
        .join(Role, Role.member_id == Member.id)
        .where(Role.space_id == space_id, Role.role == role, Member.erased_at.is_(None))
        .order_by(Member.id)
    )
    return list(rows.scalars().unique())


async def group_of(session: AsyncSession, space_id: str, member_id: int) -> str:
    rows = await session.execute(
        select(Role.group).where(Role.space_id == space_id, Role.member_id == member_id, Role.group != "")
    )
    return rows.scalars().first() or ""


async def referents_of(session: AsyncSession, space_id: str, member_id: int) -> list[Member]:
    """The member's group trainers; without groups every trainer of the space is a referent."""
    trainers = await members_with_role(session, space_id, "trainer")
    group = await group_of(session, space_id, member_id)
    if not group:
        return trainers
    in_group = await session.execute(
        select(Role.member_id).where(
            Role.space_id == space_id, Role.role == "trainer", Role.group == group
        )
    )
    ids = set(in_group.scalars())
    return [t for t in trainers if t.id in ids] or trainers


async def roles_by_space(session: AsyncSession, member_id: int) -> dict[str, set[str]]:
    """Every role of the member, by space, in one read (a private message: which space, which roles)."""
    found: dict[str, set[str]] = {}
    for space_id, role in (await session.execute(_ROLES_BY_SPACE, {"member_id": member_id})).all():
        found.setdefault(space_id, set()).add(role)
    return found


_ROLES_BY_SPACE = select(Role.space_id, Role.role).where(Role.member_id == bindparam("member_id"))


async def spaces_of(session: AsyncSession, member_id: int) -> list[str]:
    rows = await session.execute(select(Role.space_id).where(Role.member_id == member_id).distinct())
    return sorted(rows.scalars())
