"""FAQ rows: curated entries promoted from resolved threads, and the suggestions shown to an asker.

Kept apart from `models.py` like the SOS policy's tables; imported by `models.py`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base


class FaqEntry(Base):
    """A resolved thread a formateur or coordinator promoted (`/faq ajouter`): editable title and summary.

    The title and summary are stored copies (the curator may rewrite them): erasure and retention scrub
    them like posts (bot/privacy). `removed_at` is set by `/faq retirer`; the row stays for the digest.
    """

    __tablename__ = "faq_entries"
    __table_args__ = (Index("ix_faq_entries_space", "space_id", "removed_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[str] = mapped_column(ForeignKey("spaces.id"))
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    title: Mapped[str] = mapped_column(String(255), default="")
    summary: Mapped[str | None] = mapped_column(Text, default=None)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    removed_at: Mapped[datetime | None] = mapped_column(default=None)


class FaqSuggestion(Base):
    """One resolved question (or curated entry) the acknowledgement of a new question linked to."""

    __tablename__ = "faq_suggestions"
    __table_args__ = (Index("ix_faq_suggestions_question", "question_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    source_question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("faq_entries.id"), default=None)
    rank: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    shown_at: Mapped[datetime]


class FaqVersion(Base):
    """A space's FAQ counters, bumped by triggers (migration 0011) in the transaction that writes the
    change, read by the index before each search instead of a fingerprint over the rows:
    `resolutions`, questions that became resolved; `version`, any other change of a resolved question
    (reopened, its resolution or title changed, deleted) or of a curated entry. Written only by the
    database; a space without a row has had no such change since the migration."""

    __tablename__ = "faq_versions"
    space_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    resolutions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
