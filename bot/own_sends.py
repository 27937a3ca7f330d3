"""An event's own sends: its transaction claims the outbox rows it wrote that head their conversation,
so they are sent right after the commit (`TicebotApp.submit` starts a task for them), without the
dispatcher's claim transaction or waiting for the loop's next pass.

Why it is safe:
- The claim is one UPDATE in the event's transaction (`status` "sending", one attempt, exactly what
  `Dispatcher.claim` does): the rows are never visible as "pending", so no dispatcher of any instance
  can claim them too, and they exist only if the event committed.
- Only conversation heads are claimed: a row with an older unsent row ("pending" or "sending") in its
  conversation stays pending for the dispatcher, which sends it after the older ones. It is the same
  "head" test as `bot/outbox_heads.py`, so order per conversation is the dispatcher's order.
- Only rows of adapters registered and ready in this instance are claimed (a standby instance's Matrix
  rows wait for the holder).
- The loop's pass after the sends is skipped only when it has nothing to do: every row the event wrote
  was claimed and sent, and the event's session wrote no scheduled step (a step it added or moved may be
  due before the loop's next look). A step an event writes goes through the ORM's flush, which the
  mapper events below see, or through `insert_rows` (a new question's ladder), which notes its tables in
  the session; cancelling steps needs no look.
- Delivery and its outcome (sent, retry with backoff, failed) go through `Dispatcher.send_claimed`, the
  dispatcher's own code. A crash between the commit and the send leaves a "sending" row, recovered at
  start-up like any row the dispatcher had claimed (`Dispatcher.recover`); the outbox id is the
  platform's idempotency key, so a resend is dropped rather than shown twice.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, event, exists, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapper, object_session
from sqlalchemy.orm.attributes import set_committed_value

from bot.db.bulk_insert import INSERTED_TABLES
from bot.db.models import Outbox, ScheduledStep
from bot.outbox import emitted_rows
from bot.outbox_heads import UNSENT
from bot.outbox_write import write_pending_outbox

_OUTBOX = Outbox.__table__
_OLDER = _OUTBOX.alias("older")
# Built once: claim the given rows that are still pending, due, on a ready platform and the oldest unsent
# row of their conversation (ix_outbox_conversation answers the probe).
_CLAIM = (
    update(_OUTBOX)
    .where(
        _OUTBOX.c.id.in_(bindparam("ids", expanding=True)),
        _OUTBOX.c.status == "pending",
        _OUTBOX.c.platform.in_(bindparam("platforms", expanding=True)),
        _OUTBOX.c.next_attempt_at <= bindparam("now"),
        ~exists(select(_OLDER.c.id).where(_OLDER.c.conversation == _OUTBOX.c.conversation,
                                          _OLDER.c.status.in_(UNSENT), _OLDER.c.id < _OUTBOX.c.id)),
    )
    .values(status="sending", attempts=_OUTBOX.c.attempts + 1)
    .returning(_OUTBOX.c.id, _OUTBOX.c.attempts)
)


_STEPS_WRITTEN = "ticebot.steps.written"  # session.info key: this transaction inserted or updated a step


@event.listens_for(ScheduledStep, "after_insert")
@event.listens_for(ScheduledStep, "after_update")
def _note_step(_mapper: Mapper[Any], _connection: Any, step: ScheduledStep) -> None:
    session = object_session(step)
    if session is not None:
        session.info[_STEPS_WRITTEN] = True


class OwnSends:
    """Handed to `Core.handle` for one event; `rows` holds what to send once the event committed."""

    def __init__(self, platforms: Collection[str]) -> None:
        self.platforms = list(platforms)
        self.rows: list[Outbox] = []
        self._claimed: list[Outbox] = []
        # Once committed: whether the loop has work from this event besides sending `rows`.
        self.loop_needed = True
        self._loop_needed = True

    def begin(self) -> None:
        """A new attempt of the event's transaction: what an earlier, rolled-back attempt claimed is void."""
        self._claimed = []

    async def claim(self, session: AsyncSession, now: datetime) -> None:
        """At the end of the event's transaction, before its commit."""
        self._claimed, self._loop_needed = [], True
        if not self.platforms:
            return
        await write_pending_outbox(session)  # SQLite: straight INSERTs, cheaper than the ORM's flush
        await session.flush()
        # Rows an observer wrote and then lost with its savepoint are no longer persistent.
        mine = {row.id: row for row in emitted_rows(session) if inspect(row).persistent and row.id is not None}
        if not mine:
            return
        result = await session.execute(_CLAIM, {"ids": list(mine), "platforms": self.platforms, "now": now})
        for row_id, attempts in result.all():
            row = mine[row_id]
            # The UPDATE already wrote these: the ORM must not write them again at the commit.
            set_committed_value(row, "status", "sending")
            set_committed_value(row, "attempts", attempts)
            self._claimed.append(row)
        self._claimed.sort(key=lambda row: row.id)
        self._loop_needed = (len(self._claimed) < len(mine) or bool(session.info.get(_STEPS_WRITTEN))
                             or ScheduledStep.__tablename__ in session.info.get(INSERTED_TABLES, ()))

    def committed(self) -> None:
        """The event's transaction committed: what it claimed is this instance's to send now."""
        self.rows, self._claimed = self._claimed, []
        self.loop_needed, self._loop_needed = self._loop_needed, True
