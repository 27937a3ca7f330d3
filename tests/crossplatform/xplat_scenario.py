"""Cross-platform scenarios: one replay script, three adapters, the same outcomes.

A scenario (`scenarios/*.tice`) is written in the replay language (README, "Replay scripts") with a limited
vocabulary every platform can express:

    space NAME delay=4d policy=calendar [next_reply=2d solved_check=2d]
    member|tutor|trainer|coordinator|resource NAME      (no groups, no languages)
    NAME in sos: TEXT                                    a new question thread
    NAME in general: TEXT                                a new top-level post (e.g. "/declare CODE trace")
    NAME reply: TEXT                                     in the current (last opened) thread
    NAME react EMOJI                                     on the last person's post
    +DURATION                                            time passes

Each driver (`xplat_drivers.py`) turns the steps into platform-native input and returns what the bot did
as a sequence of `(template, where)`:

- where = "thread:N" (the N-th thread the scenario opened — finer than plain "thread", so a reply landing
  in the wrong thread is caught), "dm:NAME", or "channel:KIND" (sos, general, trainers);
- `privacy/*` notices (a one-time welcome, tested in tests/privacy) and actions without a template (state
  marks, reactions) are left out.

Real-clock rule (the Matrix run scales days to seconds): a scheduled step must not fall due within
`MARGIN` of a person's step or of the scenario's end, else the real run may race it. `clock_margin_problems`
checks this on the console run, where times are exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from adapters.console.script import Step, parse_script

SCENARIOS = Path(__file__).parent / "scenarios"
CHANNELS = ("sos", "general")
ROLES = ("member", "tutor", "trainer", "coordinator", "resource")
SPACE_OPTIONS = {"delay", "policy", "next_reply", "solved_check", "referential"}
MARGIN = timedelta(hours=3)

Outcome = tuple[str, str]  # (template, where)


class NotPortable(ValueError):
    """A scenario line outside the cross-platform vocabulary."""


@dataclass
class Scenario:
    name: str
    space: str = "xplat"
    options: dict[str, str] = field(default_factory=dict)
    people: dict[str, str] = field(default_factory=dict)  # name -> role, in declaration order
    actions: list[Step] = field(default_factory=list)  # post / reply / react / advance
    steps: list[Step] = field(default_factory=list)  # everything, for the console Replay

    def people_with(self, *roles: str) -> list[str]:
        return [name for name, role in self.people.items() if role in roles]

    def sos_duration(self, key: str, default: str) -> str:
        return self.options.get(key, default)


def load(path: Path) -> Scenario:
    scenario = Scenario(path.stem)
    for step in parse_script(path.read_text(encoding="utf-8")):
        where = f"{path.name}:{step.line_no}"
        if step.kind == "space":
            if scenario.actions or scenario.people:
                raise NotPortable(f"{where}: the space comes first")
            unknown = set(step.options) - SPACE_OPTIONS
            if unknown:
                raise NotPortable(f"{where}: space options {sorted(unknown)} are not portable")
            scenario.space, scenario.options = step.target, dict(step.options)
        elif step.kind == "person":
            if scenario.actions:
                raise NotPortable(f"{where}: declare people before the first action")
            if step.options:
                raise NotPortable(f"{where}: person options {sorted(step.options)} are not portable")
            scenario.people[step.who] = step.target
        elif step.kind == "post":
            if step.target not in CHANNELS or step.options.get("title"):
                raise NotPortable(f"{where}: posts go to {CHANNELS}, without a title")
            scenario.actions.append(step)
        elif step.kind in ("reply", "react", "advance"):
            scenario.actions.append(step)
        else:
            raise NotPortable(f"{where}: « {step.kind} » is not in the cross-platform vocabulary")
        if step.kind in ("post", "reply", "react") and step.who not in scenario.people:
            raise NotPortable(f"{where}: {step.who} was not declared")
        scenario.steps.append(step)
    if not scenario.actions or scenario.actions[0].kind != "post":
        raise NotPortable(f"{path.name}: the first action opens a thread")
    return scenario


def all_scenarios() -> list[Path]:
    return sorted(SCENARIOS.glob("*.tice"))


def keep(template: str) -> bool:
    return bool(template) and not template.startswith("privacy/")


def by_destination(outcomes: list[Outcome]) -> dict[str, list[str]]:
    """Templates per destination, in order: what must agree when destinations interleave freely."""
    grouped: dict[str, list[str]] = {}
    for template, where in outcomes:
        grouped.setdefault(where, []).append(template)
    return grouped


def step_offsets(scenario: Scenario) -> tuple[list[timedelta], timedelta]:
    """Scenario time of each person's step, and of the end."""
    now = timedelta(0)
    steps = []
    for step in scenario.actions:
        if step.kind == "advance":
            assert step.delta is not None
            now += step.delta
        else:
            steps.append(now)
    return steps, now


def clock_margin_problems(scenario: Scenario, fired_at: list[timedelta], next_due: timedelta | None) -> list[str]:
    """Bot actions (scenario time of each) that a real clock could put on the wrong side of a step;
    `next_due` is the first step still scheduled at the end (it must not fire just after it either)."""
    steps, end = step_offsets(scenario)
    problems = []
    if next_due is not None and next_due - end < MARGIN:
        problems.append(f"a step falls due at +{next_due}, within {MARGIN} after the end (+{end})")
    for at in fired_at:
        if at in steps:
            continue  # an immediate answer to that step
        close = [s for s in [*steps, end] if abs(s - at) < MARGIN]
        if close:
            problems.append(f"an action at +{at} is within {MARGIN} of a step at +{close[0]}")
    return problems
