"""Rows that fail for good: kept with their reason, told to the space's coordinators (once per incident,
at most daily), listed by `ticebot outbox list` and put back in the queue by `ticebot outbox retry`."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from core_support import make_app, question, where
from sqlalchemy import select
from typer.testing import CliRunner

from bot import actions as A
from bot.db.models import Outbox
from bot.delivery_failures import REPORT_DELAY, failed_deliveries
from bot.outbox_cli import outbox_app

runner = CliRunner()


async def invoke(args: list[str], env: dict[str, str]):  # type: ignore[no-untyped-def]
    """The CLI runs its own event loop: call it from a thread, as a separate process would."""
    return await asyncio.to_thread(runner.invoke, outbox_app, args, env=env)


def reports(sent: list[A.CoreAction]) -> list[A.SendDirect]:
    return [a for a in sent if isinstance(a, A.SendDirect) and a.template == "delivery/failures"]


async def test_a_room_that_refuses_for_good_is_recorded_and_told_to_the_coordinator(database_url: str) -> None:
    app, adapter, clock = await make_app(database_url)
    try:
        adapter.broken.add("q1")  # the thread was deleted: every delivery there fails for good
        await app.submit(question("ev-1", msg="q1"))
        await app.run_once()
        async with app.db.transaction() as session:
            failed = list((await session.execute(select(Outbox).where(Outbox.status == "failed"))).scalars())
            shown, total = await failed_deliveries(session, "demo")
        assert [(r.template, r.last_error, r.failed_at) for r in failed] == [
            ("sos/received", "room gone", clock.now()), ("", "room gone", clock.now())]
        assert total == 2 and shown[0].where == "thread" and shown[0].name == "sos"
        assert reports(adapter.sent) == []  # gathered for a few minutes first
        clock.advance(REPORT_DELAY)
        await app.run_once()
        [report] = reports(adapter.sent)
        assert report.user.id == "claire"
        assert "sos/received" in report.text and "room gone" in report.text and "ticebot outbox retry" in report.text
        assert "Comment partager" not in report.text  # never the message itself
    finally:
        await app.close()


async def test_coordinators_hear_at_most_once_a_day(database_url: str) -> None:
    app, adapter, clock = await make_app(database_url)
    try:
        adapter.broken.add("q1")
        await app.submit(question("ev-1", msg="q1"))
        await app.run_once()
        clock.advance(REPORT_DELAY)
        await app.run_once()
        assert len(reports(adapter.sent)) == 1
        adapter.broken.add("q2")
        # q2's replies fail as it is posted: a minute after the first summary (on this fake clock, not at
        # the very instant of it, which no summary would count).
        clock.advance(timedelta(minutes=1))
        for hour in range(1, 30):
            await app.submit(question(f"ev-{hour}b", msg="q2" if hour == 1 else f"x{hour}", who=f"p{hour}"))
            clock.advance(timedelta(hours=1))
            await app.run_once()
            if len(reports(adapter.sent)) > 1:
                break
        assert hour == 24, f"the second summary came after {hour} h"
        second = reports(adapter.sent)[1:]
        assert len(second) == 1
        async with app.db.transaction() as session:
            failed = (await session.execute(select(Outbox.id, Outbox.failed_at).where(Outbox.status == "failed")
                                            .order_by(Outbox.id))).all()
        first = reports(adapter.sent)[0]
        old = [i for i, _at in failed if f"n° {i} " in first.text]
        # q2's rows; the ladder's nudges in both threads failed after this summary: they are for the next one
        new = [i for i, at in failed if i not in old and at < clock.now()]
        assert len(old) == 2 and len(new) >= 2
        assert all(f"n° {i} " in second[0].text for i in new)
        assert not any(f"n° {i} " in second[0].text for i in old)
    finally:
        await app.close()


async def test_outbox_list_and_retry_put_failed_rows_back_in_the_queue(database_url: str) -> None:
    app, adapter, clock = await make_app(database_url)
    try:
        adapter.broken.add("q1")
        await app.submit(question("ev-1", msg="q1"))
        await app.run_once()
        env = {"TICEBOT_DATABASE_URL": database_url}
        listed = await invoke(["list"], env=env)
        assert listed.exit_code == 0, listed.output
        assert "sos/received" in listed.output and "room gone" in listed.output
        async with app.db.transaction() as session:
            first, second = (await session.execute(select(Outbox.id).where(Outbox.status == "failed")
                                                   .order_by(Outbox.id))).scalars().all()
        adapter.broken.clear()  # the room is back
        retried = await invoke(["retry", "--id", str(first)], env=env)
        assert retried.exit_code == 0 and "1" in retried.output
        await app.run_once()
        assert [where(a) for a in adapter.core_sent()] == ["q1"]
        again = await invoke(["retry", "--id", str(first)], env=env)
        assert again.exit_code == 1 and "sent" in again.output  # already delivered: nothing to resend
        assert (await invoke(["retry", "--all-failed"], env=env)).exit_code == 0
        await app.run_once()
        assert adapter.templates() == ["sos/received", ""]
        async with app.db.transaction() as session:
            rows = {r.id: r for r in (await session.execute(select(Outbox))).scalars()}
        assert rows[second].status == "sent" and rows[second].attempts == 1 and rows[second].failed_at is None
        nothing = await invoke(["retry", "--all-failed"], env=env)
        assert nothing.exit_code == 0 and "0" in nothing.output
        assert (await invoke(["retry"], env=env)).exit_code == 2  # --id or --all-failed
    finally:
        await app.close()
