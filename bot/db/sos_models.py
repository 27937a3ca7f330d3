"""SOS policy rows: who was asked to take a question and what they did, absences, the on-call rota.

Kept apart from `models.py` so the policy's schema reads in one place; imported by `models.py`, so
`Base.metadata` always knows these tables.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base


class Assignment(Base):
    """One named person asked to take a question (a personal level), or who claimed it.

    state: offered (asked, waiting) → acknowledged (took it: /claim) → answered; or passed (/passer),
    expired (no acknowledgement in time), released (someone else took or answered it), lapsed (took it,
    was reminded, did not answer in time).
    """

    __tablename__ = "sos_assignments"
    __table_args__ = (Index("ix_sos_assignments_question", "question_id", "state"),
                      Index("ix_sos_assignments_member", "member_id", "state"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    target: Mapped[str] = mapped_column(String(20))  # oncall | referent | resource | coordinator | claim
    level: Mapped[int] = mapped_column(Integer, default=-1)  # index in the policy; -1 before any level
    loop: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(20), default="offered")
    offered_at: Mapped[datetime]
    ack_due_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    answer_by: Mapped[datetime | None] = mapped_column(default=None)  # a claim's promise, then reminded
    reminded_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)  # why they passed


class Absence(Base):
    """`/absent jusqu'au …`, `/absent du … au …`: the person is skipped in assignments from `starts_at`
    to `ends_at` (an absence declared ahead starts at the midnight of its first day)."""

    __tablename__ = "sos_absences"
    __table_args__ = (Index("ix_sos_absences_member", "member_id", "ends_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(String(200), default=None)  # as typed, told back to them only


class OncallWeek(Base):
    """Who is on call in a space for the week starting on `week_start` (a Monday), set by a coordinator."""

    __tablename__ = "sos_oncall_weeks"
    space_id: Mapped[str] = mapped_column(ForeignKey("spaces.id"), primary_key=True)
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    set_at: Mapped[datetime]


class Handover(Base):
    """The Monday handover sent to the person on call: once per space and week."""

    __tablename__ = "sos_handovers"
    __table_args__ = (UniqueConstraint("space_id", "week_start"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[str] = mapped_column(ForeignKey("spaces.id"))
    week_start: Mapped[date] = mapped_column(Date)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    open_questions: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime]


class RotaWarning(Base):
    """A warning that the rota has a hole in a coming week, sent to one person (a coordinator, or the
    rota member standing in). `holes` describes the holes; the same description is not sent twice to the
    same person for the same week."""

    __tablename__ = "sos_rota_warnings"
    __table_args__ = (Index("ix_rota_warnings_space_week", "space_id", "week_start"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[str] = mapped_column(ForeignKey("spaces.id"))
    week_start: Mapped[date] = mapped_column(Date)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    reason: Mapped[str] = mapped_column(String(20))  # "declared" (at /absent) | "check" (the weekly check)
    holes: Mapped[str] = mapped_column(String(500))
    sent_at: Mapped[datetime]
