"""INSERT … ON CONFLICT (key) DO NOTHING that SQLAlchemy's statement cache can hold.

The dialects' own `insert()` constructs declare `inherit_cache = False` (their ON CONFLICT clause has no
cache key), so every execution compiles the statement anew: the post INSERT of each event was compiled
from scratch, ≈ 10 % of an event's CPU (issue 17, `bench/profile_ingest.py --cpu`). These subclasses give
the DO NOTHING clause a cache key made of everything it renders (the key's column names; no WHERE is
supported), so the statement is compiled once per shape and its values stay bound parameters.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.visitors import InternalTraversal


class _SqliteDoNothing(sqlite.dml.OnConflictDoNothing):
    inherit_cache = True
    _traverse_internals = [("key_names", InternalTraversal.dp_string_list)]

    def __init__(self, key: tuple[str, ...]) -> None:
        super().__init__(index_elements=list(key))
        self.key_names = list(key)


class _PostgresDoNothing(postgresql.dml.OnConflictDoNothing):
    inherit_cache = True
    _traverse_internals = [("key_names", InternalTraversal.dp_string_list)]

    def __init__(self, key: tuple[str, ...]) -> None:
        super().__init__(index_elements=list(key))
        self.key_names = list(key)


class _SqliteInsert(sqlite.Insert):
    inherit_cache = True  # `_post_values_clause` is part of Insert's cache key; ours has one


class _PostgresInsert(postgresql.Insert):
    inherit_cache = True


def insert_ignore(table: Table, key: tuple[str, ...], dialect: str) -> Any:
    """`INSERT INTO table … ON CONFLICT (key) DO NOTHING` for "sqlite" or "postgresql"; add `.values()`
    and `.returning()` as on any insert (each is generative and keeps the statement cacheable)."""
    if dialect == "sqlite":
        statement: Any = _SqliteInsert(table)
        statement._post_values_clause = _SqliteDoNothing(key)
    else:
        statement = _PostgresInsert(table)
        statement._post_values_clause = _PostgresDoNothing(key)
    return statement
