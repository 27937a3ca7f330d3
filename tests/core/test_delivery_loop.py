"""The loop sleeps while nothing can be sent: rows for an adapter that is not there yet (Matrix still
logging in), no longer configured, or not ready never make it spin, and never burn attempts."""

from __future__ import annotations

from datetime import timedelta

from core_support import RecordingAdapter, make_app
from delivery_support import MX_SOS, drive, matrix_question
from sqlalchemy import select

from bot.app import MAX_IDLE_SECONDS
from bot.db.models import Outbox
from bot.ports import NotAttempted


async def _rows(app, platform: str) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    async with app.db.transaction() as session:
        rows = (await session.execute(select(Outbox).where(Outbox.platform == platform).order_by(Outbox.id))).scalars()
        return [(r.status, r.attempts) for r in rows]


async def test_rows_waiting_for_matrix_to_log_in_do_not_spin_the_loop(database_url: str) -> None:
    app, _console, clock = await make_app(database_url)
    try:
        await app.core.register_channel("demo", MX_SOS, "sos", "sos-matrix")
        await app.submit(matrix_question())  # queued for Matrix, whose adapter is still logging in
        matrix = RecordingAdapter("matrix")
        waits = await drive(app, clock, timedelta(minutes=30),
                            at={timedelta(minutes=20): lambda: app.register_adapter(matrix)})
        # About one pass a minute while Matrix is away, then one pass when it registers: not thousands.
        assert len(waits) <= 35, f"{len(waits)} passes in 30 simulated minutes"
        assert waits[0] == MAX_IDLE_SECONDS
        assert "sos/received" in matrix.templates()
        assert all(status == "sent" and attempts == 1 for status, attempts in await _rows(app, "matrix"))
    finally:
        await app.close()


async def test_rows_for_a_platform_no_longer_configured_wait_without_burning_attempts(database_url: str) -> None:
    app, _console, clock = await make_app(database_url)
    try:
        await app.core.register_channel("demo", MX_SOS, "sos", "sos-matrix")
        await app.submit(matrix_question())  # [matrix] was removed from the configuration since
        waits = await drive(app, clock, timedelta(hours=2))
        assert len(waits) <= 125 and min(waits) > 0
        rows = await _rows(app, "matrix")
        assert rows and all(row == ("pending", 0) for row in rows)
    finally:
        await app.close()


class NotReadyAdapter(RecordingAdapter):
    """Registered at once (like the Discord client, before its gateway is up) but not ready to send."""

    def __init__(self) -> None:
        super().__init__("matrix")
        self.ready = False
        self.asked_while_not_ready = 0

    async def deliver(self, action):  # type: ignore[no-untyped-def]
        if not self.ready:
            self.asked_while_not_ready += 1  # the real client would answer with an error here
            raise NotAttempted("not ready", retry_after=0)
        return await super().deliver(action)


async def test_an_adapter_that_is_not_ready_is_polled_slowly_and_not_asked(database_url: str) -> None:
    app, _console, clock = await make_app(database_url)
    try:
        await app.core.register_channel("demo", MX_SOS, "sos", "sos-matrix")
        matrix = NotReadyAdapter()
        app.register_adapter(matrix)
        await app.submit(matrix_question())

        def connected() -> None:
            matrix.ready = True

        waits = await drive(app, clock, timedelta(minutes=10), at={timedelta(minutes=5): connected})
        assert matrix.asked_while_not_ready == 0
        assert min(waits[:-2]) >= 5, "polled every few seconds at most while not ready"
        assert "sos/received" in matrix.templates()
        assert all(status == "sent" and attempts == 1 for status, attempts in await _rows(app, "matrix"))
    finally:
        await app.close()


class SlowLogin(RecordingAdapter):
    """Answers NotAttempted (the platform was not asked: not connected yet) a number of times."""

    def __init__(self, refusals: int) -> None:
        super().__init__("matrix")
        self.refusals = refusals

    async def deliver(self, action):  # type: ignore[no-untyped-def]
        if self.refusals > 0:
            self.refusals -= 1
            raise NotAttempted("not connected yet", retry_after=2)
        return await super().deliver(action)


async def test_not_attempted_deliveries_do_not_count_towards_failure(database_url: str) -> None:
    app, _console, clock = await make_app(database_url)
    try:
        await app.core.register_channel("demo", MX_SOS, "sos", "sos-matrix")
        matrix = SlowLogin(refusals=40)  # far more than MAX_ATTEMPTS
        app.register_adapter(matrix)
        await app.submit(matrix_question())
        waits = await drive(app, clock, timedelta(minutes=10))
        assert min(waits) >= 1.9  # the retry_after asked for, not a spin
        assert "sos/received" in matrix.templates()
        assert {status for status, _ in await _rows(app, "matrix")} == {"sent"}
    finally:
        await app.close()
