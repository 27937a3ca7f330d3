"""Every table that names a person or holds free text is classified by privacy (covered, or not
personal with a reason), so that a new table cannot escape export, erasure and retention unnoticed."""

from __future__ import annotations

from sqlalchemy import JSON, Table, Text

from bot.db.models import Base
from bot.privacy.coverage import COVERED, NOT_PERSONAL


def _may_be_personal(table: Table) -> bool:
    for column in table.columns:
        targets = {fk.column.table.name for fk in column.foreign_keys}
        if targets & {"members", "posts"} or isinstance(column.type, Text | JSON):
            return True
        if any(word in column.name for word in ("member", "author", "user", "name", "text", "title")):
            return True
    return False


def test_every_personal_table_is_classified() -> None:
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    unclassified = [name for name, t in tables.items() if _may_be_personal(t) and name not in COVERED
                    and name not in NOT_PERSONAL]
    assert unclassified == [], f"add them to bot/privacy/coverage.py (and export/erase/retention): {unclassified}"


def test_the_classification_names_real_tables_once_with_a_reason() -> None:
    tables = {t.name for t in Base.metadata.sorted_tables}
    assert set(COVERED) | set(NOT_PERSONAL) <= tables
    assert not set(COVERED) & set(NOT_PERSONAL)
    assert all(reason.strip() for reason in (*COVERED.values(), *NOT_PERSONAL.values()))
    # A table that names a member cannot be waved through as "not personal".
    for name in NOT_PERSONAL:
        table = Base.metadata.tables[name]
        assert not any(fk.column.table.name == "members" for c in table.columns for fk in c.foreign_keys), name
