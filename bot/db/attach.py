"""Rows read as plain columns, made into the session's ORM objects without the ORM's loading (issue 17).

The member read on SQLite selects columns (a Core statement the direct path runs, bot/db/direct.py) instead
of entities; this turns a slice of its row back into the object the ORM would have given: the one the
session already holds for that identity (its expired attributes filled from the row), else a new object
attached without a read, every column set, so nothing loads lazily and nothing counts as changed (only what
a handler then changes is flushed, as an UPDATE).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapper
from sqlalchemy.orm.attributes import instance_state, set_committed_value


@dataclass(frozen=True, slots=True)
class EntityColumns:
    """A mapped class's columns as selected from `entity` (the class's table or an alias of it)."""

    cls: type
    mapper: Mapper[Any]
    keys: tuple[str, ...]  # attribute names, in the order of `columns`
    columns: tuple[Any, ...]
    primary: tuple[int, ...]  # positions of the primary key in `columns`

    @property
    def width(self) -> int:
        return len(self.columns)


def columns_of(entity: Any) -> EntityColumns:
    """`entity`: a mapped class or an `aliased()` one."""
    info = inspect(entity)
    mapper = info.mapper
    selectable = info.selectable
    attrs = list(mapper.column_attrs)
    columns = tuple(selectable.corresponding_column(attr.columns[0]) for attr in attrs)
    if any(column is None for column in columns):
        raise ValueError(f"{entity}: a column attribute that is not a column of its table")
    primary = tuple(i for i, attr in enumerate(attrs) if attr.columns[0] in mapper.primary_key)
    return EntityColumns(mapper.class_, mapper, tuple(attr.key for attr in attrs), columns, primary)


def attached(session: AsyncSession, entity: EntityColumns, values: tuple[Any, ...]) -> Any:
    """The session's object for `values` (a row's slice for `entity`), or None when its primary key is
    NULL (an outer join that found nothing)."""
    key = tuple(values[i] for i in entity.primary)
    if all(part is None for part in key):
        return None
    sync = session.sync_session
    identity = entity.mapper.identity_key_from_primary_key(key)
    held = sync.identity_map.get(identity)
    if held is not None:
        state = inspect(held)
        for name, value in zip(entity.keys, values, strict=True):
            if name in state.expired_attributes:
                set_committed_value(held, name, value)
        return held
    # Built as the ORM's own loader builds a row's object: no __init__, no attribute events, its values
    # committed, then made persistent in the session. session.add would also walk the relationships'
    # cascade, which finds nothing on an object that has none loaded. Together 18 -> 8 us per member
    # (stop 31); the constructor's instrumented setattr calls were most of it.
    made = entity.mapper.class_manager.new_instance()
    state = instance_state(made)
    state.dict.update(zip(entity.keys, values, strict=True))
    state.key = identity
    state._commit_all(state.dict)
    sync._update_impl(state)
    return made
