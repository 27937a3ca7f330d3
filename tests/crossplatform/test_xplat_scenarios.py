"""One scenario file, three adapters, the same outcomes (issue 9).

Every `scenarios/*.tice` runs through the console Replay (the reference), the Discord adapter (a real
discord.py client on the fake gateway/REST of tests/discord, FakeClock) and the Matrix adapter (real nio
clients on a real Synapse, real clock scaled to 2 s a day). The bot's `(template, where)` sequences must
agree:

- console and Discord run on fake clocks: the whole sequence, order included, must be equal;
- Matrix runs on a real server and clock: deliveries to different rooms at the same scenario time (a
  breach said in the thread and to the coordinator) may reach Synapse in either order within a few ms,
  so the order is compared per destination (which also makes the multisets equal).

Timings are printed (`pytest -s`) by each test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from xplat_drivers import SECONDS_PER_DAY, Run, run_console, run_discord, run_matrix
from xplat_scenario import Scenario, all_scenarios, by_destination, clock_margin_problems, load

SCENARIOS = all_scenarios()
IDS = [path.stem for path in SCENARIOS]

# What each scenario is about, checked on the reference run so "all three equally empty" cannot pass.
MUST_HAVE = {
    "ladder": [("sos/received", "thread:1"), ("sos/nudge", "thread:1"), ("sos/referent", "dm:fabienne"),
               ("sos/trainers_alert", "channel:trainers"), ("sos/breach_coordinator", "dm:claire"),
               ("sos/breach_thread", "thread:1")],
    "formateur": [("sos/received", "thread:1"), ("sos/nudge", "thread:1")],
    "peer_and_declaration": [("sos/resolved", "thread:1"), ("declarations/declared", "thread:2"),
                             ("declarations/notify_validator", "dm:fabienne"),
                             ("declarations/validated", "dm:alice")],
}
MUST_NOT_HAVE = {
    "formateur": ["sos/referent", "sos/trainers_alert", "sos/breach_thread", "sos/breach_coordinator"],
    "peer_and_declaration": ["sos/nudge", "sos/referent", "sos/breach_thread"],
}

_reference: dict[str, Run] = {}


async def reference(path: Path) -> tuple[Scenario, Run]:
    scenario = load(path)
    if path.stem not in _reference:
        _reference[path.stem] = await run_console(scenario)
    return scenario, _reference[path.stem]


def show(run: Run) -> str:
    return "\n".join(f"  {template:32} {where}" for template, where in run.outcomes)


def test_every_scenario_is_listed() -> None:
    assert set(IDS) == set(MUST_HAVE), "describe what each scenario must produce in MUST_HAVE"


@pytest.mark.parametrize("path", SCENARIOS, ids=IDS)
async def test_console_reference_does_what_the_scenario_says(path: Path) -> None:
    scenario, console = await reference(path)
    print(f"\n{path.stem} on console ({console.seconds:.2f} s):\n{show(console)}")
    missing = [item for item in MUST_HAVE[path.stem] if item not in console.outcomes]
    assert not missing, f"missing {missing} in\n{show(console)}"
    templates = {template for template, _where in console.outcomes}
    assert not templates & set(MUST_NOT_HAVE.get(path.stem, [])), show(console)
    # Safe to run on a real clock: nothing falls due right next to a person's step or the end.
    assert clock_margin_problems(scenario, console.fired_at, console.next_due) == []


@pytest.mark.parametrize("path", SCENARIOS, ids=IDS)
async def test_discord_matches_console(path: Path, tmp_path: Path) -> None:
    scenario, console = await reference(path)
    discord_run = await run_discord(scenario, tmp_path)
    print(f"\n{path.stem}: console {console.seconds:.2f} s, discord {discord_run.seconds:.2f} s")
    assert discord_run.outcomes == console.outcomes, f"console:\n{show(console)}\ndiscord:\n{show(discord_run)}"


# ------------------------------------------------------------------ Matrix


@pytest.mark.matrix
@pytest.mark.parametrize("path", SCENARIOS, ids=IDS)
async def test_matrix_matches_console(path: Path, homeserver: Any, tmp_path: Path) -> None:
    scenario, console = await reference(path)
    matrix_run = await run_matrix(scenario, homeserver, tmp_path)
    print(f"\n{path.stem}: matrix {matrix_run.seconds:.2f} s (1 scenario day = {SECONDS_PER_DAY} s)")
    detail = f"console:\n{show(console)}\nmatrix:\n{show(matrix_run)}"
    assert by_destination(matrix_run.outcomes) == by_destination(console.outcomes), detail
