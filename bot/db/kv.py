"""The kv table's statements, built once. A write is one upsert per batch (executemany), not a SELECT of
the keys then an UPDATE or INSERT each through the ORM: the Matrix sync token is written after almost
every sync, and that write ran on the event loop next to the event's reply."""

from __future__ import annotations

from sqlalchemy import bindparam, select, text

from bot.db.models import KeyValue

# The same text on SQLite (≥ 3.24) and PostgreSQL; "key" is quoted as SQLAlchemy quotes it.
UPSERT = text('INSERT INTO kv ("key", value) VALUES (:key, :value) '
              'ON CONFLICT ("key") DO UPDATE SET value = excluded.value')
GET = select(KeyValue.value).where(KeyValue.key == bindparam("key"))
GET_MANY = select(KeyValue.key, KeyValue.value).where(KeyValue.key.in_(bindparam("keys", expanding=True)))
