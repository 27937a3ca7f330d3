"""The schema. The database is the single source of truth: deadlines, escalations and outgoing messages
are rows, so a restart loses nothing. Platform ids are strings; nothing else here knows a platform."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    insert_sentinel,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC (SQLite has no time zones), always returned aware in UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: the core works in aware UTC")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Space(Base):
    __tablename__ = "spaces"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    referential_id: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(5), default="fr")
    # The space's policies (SpaceConfig as JSON): a sweeping instance needs nothing but the database.
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("platform", "platform_user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    platform_user_id: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(255), default="")
    language: Mapped[str | None] = mapped_column(String(5), default=None)
    consent_public: Mapped[bool] = mapped_column(Boolean, default=False)
    declarations_public: Mapped[bool] = mapped_column(Boolean, default=False)
    digest_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    welcomed_at: Mapped[datetime | None] = mapped_column(default=None)
    erased_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]


class Role(Base):
    __tablename__ = "roles"
    space_id: Mapped[str] = mapped_column(ForeignKey("spaces.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    group: Mapped[str] = mapped_column(String(100), default="")
    source: Mapped[str] = mapped_column(String(20), default="config")  # config | platform


class Channel(Base):
    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("platform", "platform_channel_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[str] = mapped_column(ForeignKey("spaces.id"))
    platform: Mapped[str] = mapped_column(String(20))
    platform_channel_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20))  # sos | trainers | announcements | general
    name: Mapped[str] = mapped_column(String(100), default="")


class ProcessedEvent(Base):
    """Idempotency: a platform event id seen once is never handled again."""

    __tablename__ = "processed_events"
    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    processed_at: Mapped[datetime]


class EventFailure(Base):
    """A handler that failed on an event: the post is kept, the failing step can be replayed
    (`ticebot events replay`). handler is "core" (the event could not be stored at all: then the event is
    not marked processed and a redelivery is handled afresh), "/name" (a command) or an observer's
    dotted name. Only the exception's type is kept: its text may quote the message."""

    __tablename__ = "event_failures"
    __table_args__ = (UniqueConstraint("platform", "event_id", "handler"),
                      Index("ix_event_failures_at", "at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(255))
    handler: Mapped[str] = mapped_column(String(200))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), default=None)
    error: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime]
    replayed_at: Mapped[datetime | None] = mapped_column(default=None)


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("platform", "platform_channel_id", "platform_post_id"),
        Index("ix_posts_space_created", "space_id", "created_at"),
        Index("ix_posts_thread", "platform", "platform_channel_id", "thread_root_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[str | None] = mapped_column(ForeignKey("spaces.id"))
    platform: Mapped[str] = mapped_column(String(20))
    platform_channel_id: Mapped[str] = mapped_column(String(255))
    platform_post_id: Mapped[str] = mapped_column(String(255))
    thread_root_id: Mapped[str] = mapped_column(String(255))  # the root post's id; == own id for a root
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    text: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(String(255), default="")
    is_direct: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str] = mapped_column(String(20), default="post")  # question | answer | post | command
    created_at: Mapped[datetime]
    edited_at: Mapped[datetime | None] = mapped_column(default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_thread", "platform", "platform_channel_id", "thread_root_id"),
                      Index("ix_questions_space_created", "space_id", "created_at"),
                      Index("ix_questions_space_status", "space_id", "status"),
                      Index("ix_questions_space_status_resolved", "space_id", "status", "resolved_at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[str] = mapped_column(ForeignKey("spaces.id"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    asker_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    platform: Mapped[str] = mapped_column(String(20))
    platform_channel_id: Mapped[str] = mapped_column(String(255))
    thread_root_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | answered | resolved
    created_at: Mapped[datetime]
    clock_started_at: Mapped[datetime]  # == created_at, or the reopening time
    deadline_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None] = mapped_column(default=None)
    first_responder_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    breached_at: Mapped[datetime | None] = mapped_column(default=None)
    last_asker_post_at: Mapped[datetime | None] = mapped_column(default=None)
    # Escalation policy (bot/sos/ladder.py): the last level fired since the clock started, and its loop.
    policy_level: Mapped[int] = mapped_column(Integer, default=-1)
    policy_loop: Mapped[int] = mapped_column(Integer, default=0)
    asker_asked_at: Mapped[datetime | None] = mapped_column(default=None)  # "did that reply solve it?"
    not_solved_at: Mapped[datetime | None] = mapped_column(default=None)  # the asker's ❌ or /pas-resolu
    # How a resolved question was resolved: None (a human answer, or not resolved) or "faq" (the asker
    # accepted a similar resolved question the bot suggested: no human answer, not a breach either).
    resolution: Mapped[str | None] = mapped_column(String(20), default=None)
    accepted_post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), default=None)


class ScheduledStep(Base):
    """A due action: escalation rung, follow-up, review reminder, digest. The sweep fires due rows."""

    __tablename__ = "scheduled_steps"
    __table_args__ = (Index("ix_steps_due", "state", "due_at"), Index("ix_steps_question", "question_id", "state"),
                      Index("ix_steps_declaration", "declaration_id", "state"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[str] = mapped_column(ForeignKey("spaces.id"))
    kind: Mapped[str] = mapped_column(String(40))  # sos.nudge, sos.referent, sos.trainers, sos.breach, ...
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id"), default=None)
    declaration_id: Mapped[int | None] = mapped_column(ForeignKey("declarations.id"), default=None)
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20), default="pending")  # pending | done | cancelled
    fired_at: Mapped[datetime | None] = mapped_column(default=None)
    note: Mapped[str] = mapped_column(String(255), default="")


class Escalation(Base):
    """What the escalation policy did and when: the SLA report is a query over these rows.

    One row per person a policy message was addressed to or mentioned (`member_id`), or one row without
    a person for a message that named nobody: staff load is a count of these rows.
    """

    __tablename__ = "escalations"
    __table_args__ = (Index("ix_escalations_question", "question_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    kind: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime]
    fired_at: Mapped[datetime]
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    level: Mapped[int | None] = mapped_column(Integer, default=None)


class Declaration(Base):
    __tablename__ = "declarations"
    __table_args__ = (Index("ix_declarations_space_state", "space_id", "state"),
                      Index("ix_declarations_member", "member_id", "state"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[str] = mapped_column(ForeignKey("spaces.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    referential_id: Mapped[str] = mapped_column(String(100))
    referential_version: Mapped[str] = mapped_column(String(50))
    code: Mapped[str] = mapped_column(String(50))
    label: Mapped[str] = mapped_column(Text)  # the label as it was when declared
    trace_text: Mapped[str | None] = mapped_column(Text)
    trace_post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), default=None)
    platform: Mapped[str] = mapped_column(String(20))
    platform_channel_id: Mapped[str] = mapped_column(String(255))
    thread_root_id: Mapped[str] = mapped_column(String(255))
    is_private: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(20), default="declared")
    # Referentials with a level scale (CRCN 1–8): the level the member positions themself at, and the
    # level a validator recognised (possibly lower). Both None for a competence declared without level.
    level: Mapped[int | None] = mapped_column(Integer, default=None)
    validated_level: Mapped[int | None] = mapped_column(Integer, default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic lock: concurrent reviews
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    __mapper_args__ = {"version_id_col": version}


class Review(Base):
    """Every transition of a declaration, with who, when and why."""

    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_declaration", "declaration_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    at: Mapped[datetime]


# A tag that is a trainer's lesson. Written as SQL text, the same in the partial index and in the queries
# using it: a planner only uses a partial index when the query repeats its condition.
TAG_CORRECTIONS = "(source = 'trainer' OR removed)"  # parenthesised: it is ANDed into queries


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (
        UniqueConstraint("post_id", "code"),
        Index("ix_tags_space", "space_id", "created_at"),
        # The corrections stamp read on every post: trainer and removed rows only (see TAG_CORRECTIONS).
        Index("ix_tags_corrections", "space_id", "referential_id", "id",
              sqlite_where=text(TAG_CORRECTIONS), postgresql_where=text(TAG_CORRECTIONS)),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    space_id: Mapped[str | None] = mapped_column(ForeignKey("spaces.id"))
    referential_id: Mapped[str] = mapped_column(String(100))
    referential_version: Mapped[str] = mapped_column(String(50), default="")
    code: Mapped[str] = mapped_column(String(50))
    score: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(20))  # explicit | model | trainer
    removed: Mapped[bool] = mapped_column(Boolean, default=False)  # a trainer's /untag, kept as a lesson
    created_at: Mapped[datetime]


class Outbox(Base):
    """Outgoing actions, written in the same transaction as the state change that caused them.

    Delivered in order per `conversation` (a thread, a channel or a DM, see bot/outbox.py): only the
    oldest unsent row of a conversation may be sent, so a retry holds back its conversation alone.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        # What the dispatcher asks on every pass: due pending rows of the platforms it can send to.
        Index("ix_outbox_due", "status", "platform", "next_attempt_at"),
        # Is there an older unsent row in this conversation? One index probe per candidate row.
        Index("ix_outbox_conversation", "conversation", "status", "id"),
        # A reaction on one of the bot's messages (the FAQ's ✅ on an acknowledgement) finds it by id.
        Index("ix_outbox_platform_message", "platform", "platform_message_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    conversation: Mapped[str] = mapped_column(String(600), default="")
    kind: Mapped[str] = mapped_column(String(30))
    template: Mapped[str] = mapped_column(String(100), default="")
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    failed_at: Mapped[datetime | None] = mapped_column(default=None)  # when it was given up (status failed)
    platform_message_id: Mapped[str | None] = mapped_column(String(255), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    # Lets the ORM write an event's rows in one multi-row INSERT … RETURNING on SQLite too (migration
    # 0011): SQLite's returned ids need a sentinel to be matched to their rows, else one INSERT per row.
    # Never read (not in the SELECTs); NULL on rows written another way.
    _insert_sentinel = insert_sentinel("insert_sentinel")


class KeyValue(Base):
    """Adapter state that must survive restarts (Matrix sync token, DM rooms)."""

    __tablename__ = "kv"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class DigestSent(Base):
    __tablename__ = "digests_sent"
    __table_args__ = (UniqueConstraint("space_id", "kind", "period_start", "member_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[str] = mapped_column(ForeignKey("spaces.id"))
    kind: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[datetime]
    # 0 for a space-wide digest: NULLs would not collide in the unique constraint.
    member_id: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime]


class WebLogin(Base):
    """A one-time dashboard link (`/tableau`, `ticebot web link`): only its hash is kept; used once."""

    __tablename__ = "web_logins"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class WebSession(Base):
    """A dashboard session opened by a one-time link; the cookie carries the id, the row its expiry."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_expires", "expires_at"),)
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


# The SOS policy's own tables live in their module; importing it here registers them with Base.metadata.
from bot.db.faq_models import FaqEntry, FaqSuggestion  # noqa: E402, F401
from bot.db.sos_models import Absence, Assignment, Handover, OncallWeek  # noqa: E402, F401
