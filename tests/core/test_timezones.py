"""Dates are shown in the space's timezone; `[bot] timezone` is every space's default; a mistyped
timezone is the one-line configuration error (exit 2), not a traceback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from core_support import make_app, question, space_config
from typer.testing import CliRunner

from bot.clock import FakeClock
from bot.config import ConfigError, Settings, load_settings
from bot.privacy.retention import next_run

MARTINIQUE = ZoneInfo("America/Martinique")  # UTC-4 all year: an INSPE outside metropolitan France


async def test_the_deadline_is_written_in_the_space_timezone(sqlite_url: str) -> None:
    clock = FakeClock(datetime(2026, 9, 7, 9, 0, tzinfo=MARTINIQUE))  # 15:00 in Paris
    app, adapter, clock = await make_app(sqlite_url, clock=clock, config=space_config(timezone="America/Martinique"))
    try:
        await app.submit(question("ev-1"))
        await app.run_once()
        received = next(a for a in adapter.core_sent() if getattr(a, "template", "") == "sos/received")
        assert "11 septembre à 09:00" in received.text  # type: ignore[union-attr]
        clock.advance(timedelta(days=1))  # the 25 % nudge, fired by the sweep: also local time
        await app.run_once()
        nudge = next(a for a in adapter.core_sent() if getattr(a, "template", "") == "sos/nudge")
        assert "11 septembre à 09:00" in nudge.text  # type: ignore[union-attr]
    finally:
        await app.close()


async def test_a_space_without_timezone_takes_the_bot_timezone(sqlite_url: str) -> None:
    settings = Settings.model_validate({
        "bot": {"timezone": "America/Martinique"},
        "spaces": [{"id": "demo", "roles": {"member": ["console:alice"]}},
                   {"id": "paris", "timezone": "Europe/Paris"}],
    })
    assert [s.timezone for s in settings.spaces] == ["America/Martinique", "Europe/Paris"]
    config = settings.spaces[0]
    clock = FakeClock(datetime(2026, 9, 7, 9, 0, tzinfo=MARTINIQUE))
    app, adapter, _ = await make_app(sqlite_url, clock=clock, config=config)
    try:
        await app.submit(question("ev-1"))
        await app.run_once()
        received = next(a for a in adapter.core_sent() if getattr(a, "template", "") == "sos/received")
        assert "11 septembre à 09:00" in received.text  # type: ignore[union-attr]
    finally:
        await app.close()


def test_the_nightly_purge_runs_at_half_past_three_local_time() -> None:
    now = datetime(2026, 9, 7, 12, 0, tzinfo=UTC)
    assert next_run(now, "America/Martinique") == datetime(2026, 9, 8, 3, 30, tzinfo=MARTINIQUE)
    assert next_run(now) == datetime(2026, 9, 8, 1, 30, tzinfo=UTC)  # Europe/Paris by default


@pytest.mark.parametrize("where", ["bot", "space"])
def test_a_mistyped_timezone_names_the_key(tmp_path: Path, where: str) -> None:
    config = tmp_path / "ticebot.toml"
    if where == "bot":
        config.write_text('[bot]\ntimezone = "Europe/Pariss"\n[[spaces]]\nid = "x"\n', encoding="utf-8")
        key = "bot.timezone"
    else:
        config.write_text('[[spaces]]\nid = "x"\ntimezone = "Paris"\n', encoding="utf-8")
        key = "spaces.0.timezone"
    with pytest.raises(ConfigError, match=rf"{key}.*fuseau horaire inconnu"):
        load_settings(config)


def test_ticebot_run_with_a_mistyped_timezone_exits_2_with_one_line(tmp_path: Path) -> None:
    from bot.cli import build_app

    config = tmp_path / "ticebot.toml"
    config.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/t.db"\n[discord]\n'
                      '[[spaces]]\nid = "x"\ntimezone = "Europe/Pariss"\n', encoding="utf-8")
    result = CliRunner().invoke(build_app(), ["run", "--config", str(config)], env={"TICEBOT_DISCORD_TOKEN": "t"})
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "spaces.0.timezone" in lines[0] and "Europe/Pariss" in lines[0]


async def test_the_bilan_dates_a_decision_by_the_space_calendar_day(sqlite_url: str) -> None:
    from adapters.console.replay import Replay
    from bot.declarations.bilan import bilan_rows

    replay = Replay(database_url=sqlite_url)
    try:
        await replay.run_script("""space demo referential=c2i2e
member alice
trainer fabienne
at 2026-09-07T20:00
alice dm: /declare B2-3 Ma séquence sur l'ENT en quatrième
at 2026-09-08T00:30
fabienne dm: /valider #1
""")  # 00:30 in Paris on 8 September is still 7 September in UTC
        assert replay.app is not None
        async with replay.app.db.transaction() as session:
            rows = await bilan_rows(session, "demo", replay.app.core.referentials["c2i2e"])
        validated = [r for r in rows if r.state == "validated"]
        assert [(r.code, r.date) for r in validated] == [("B2-3", "2026-09-08")]
    finally:
        await replay.close()
