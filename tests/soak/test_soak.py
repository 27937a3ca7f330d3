"""Soak: weeks of traffic with faults through the real app on a fake clock (SQLite and PostgreSQL).

TICEBOT_SOAK_WEEKS sets the length (2 by default, as in CI); bench/bench_soak.py runs a longer one.
"""

from __future__ import annotations

import importlib.util
import os
from collections import Counter, defaultdict
from pathlib import Path
from types import ModuleType

import pytest
from soak_world import BROKEN_ROOM, SoakResult, run_soak

from bot.events import PostCreated

WEEKS = int(os.environ.get("TICEBOT_SOAK_WEEKS", "2"))


def _root_conftest() -> ModuleType:
    """tests/conftest.py under a name of its own: several conftest modules share the name "conftest"."""
    spec = importlib.util.spec_from_file_location("ticebot_tests_conftest", Path(__file__).parents[1] / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def soak(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> SoakResult:
    """One soak per database for all the checks below (module scope: the run is the expensive part)."""
    import asyncio
    import uuid

    root = _root_conftest()
    PG_HOST, PG_PORT, PG_USER, _pg_admin = root.PG_HOST, root.PG_PORT, root.PG_USER, root._pg_admin  # noqa: N806
    if request.param == "sqlite":
        return asyncio.run(run_soak(f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('soak') / 'soak.db'}", WEEKS))
    root.require_postgres()
    name = f"ticebot_soak_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        return asyncio.run(run_soak(f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}", WEEKS))
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_the_soak_had_real_traffic_and_its_faults(soak: SoakResult) -> None:
    assert soak.events > 30 * WEEKS
    assert soak.notes["claimed_at_crash"], "the crash left rows claimed and undelivered"
    assert sum(p.calls for p in soak.platforms.values()) > len(soak.outbox) * 0.8


def test_every_message_is_shown_exactly_once(soak: SoakResult) -> None:
    for name, platform in soak.platforms.items():
        keys = Counter(s.key for s in platform.shown)
        assert [k for k, n in keys.items() if n > 1] == [], name
    shown = {s.outbox_id for p in soak.platforms.values() for s in p.shown}
    statuses = Counter(r.status for r in soak.outbox)
    assert set(statuses) <= {"sent", "failed"}, statuses  # nothing left pending or sending
    assert {r.id for r in soak.outbox if r.status == "sent"} == shown
    # The rows claimed when the process died were delivered after the restart, once; the one that had
    # reached the platform before the crash was sent again with its key and dropped there as a duplicate.
    assert set(soak.notes["claimed_at_crash"]) <= shown
    assert sum(p.duplicates_dropped for p in soak.platforms.values()) == 1


def test_messages_are_in_order_within_each_conversation(soak: SoakResult) -> None:
    order: dict[str, list[int]] = defaultdict(list)
    for platform in soak.platforms.values():
        for s in platform.shown:
            order[s.conversation].append(s.outbox_id)
    assert len(order) > 20
    assert {c: ids for c, ids in order.items() if ids != sorted(ids)} == {}


def test_other_conversations_keep_flowing_during_a_retry(soak: SoakResult) -> None:
    start, end = soak.windows["discord_down"]
    assert soak.shown_between("discord", start, end) == []  # Discord was down…
    assert len(soak.shown_between("matrix", start, end)) >= 3  # …Matrix was not held back
    assert len(soak.shown_between("discord", end, end + (end - start))) >= 3  # and Discord caught up
    start, end = soak.windows["matrix_thread_limited"]
    limited = soak.notes["limited"]
    others = soak.shown_between("matrix", start, end, exclude=limited)
    assert len(others) >= 3, "other Matrix threads kept flowing while one waited for its rate limit"
    assert [s for s in soak.platforms["matrix"].shown if s.conversation == limited and start <= s.at < end] == []


def test_only_the_broken_room_failed_and_coordinators_were_told(soak: SoakResult) -> None:
    failed = [r for r in soak.outbox if r.status == "failed"]
    assert failed and all(f":{BROKEN_ROOM}" in r.conversation for r in failed)
    assert all(r.last_error == "403 Missing Access" and r.failed_at is not None for r in failed)
    told = [s for s in soak.platforms["matrix"].shown if s.template == "delivery/failures"]
    assert told and all(s.conversation == "matrix:dm:@claire:hs" for s in told)
    days = sorted({s.at.date() for s in told})
    assert len(told) == len(days), "at most one summary a day"


def test_no_event_goes_unrecorded(soak: SoakResult) -> None:
    for event in soak.submitted:
        platform = event.author.platform if isinstance(event, PostCreated) else event.user.platform  # type: ignore
        assert (platform, event.event_id) in soak.processed, event.event_id
    for event in soak.submitted:
        if isinstance(event, PostCreated):
            assert (event.channel.platform, event.message.id) in soak.posts, event.event_id
    [failure] = soak.failures  # the handler that raised once
    assert failure.handler.endswith("tagging_on_post") and failure.error == "RuntimeError"
    assert failure.post_id is not None


def test_the_loop_slept_between_due_times(soak: SoakResult) -> None:
    # One pass per event, due step or retry wakes the loop: a few per row or event, never thousands.
    assert soak.passes < 4 * (soak.events + len(soak.outbox)), soak.passes
