"""The escalation policy of a space, as configured (`[spaces.sos]` in ticebot.toml).

A policy is an ordered list of levels. Each level has its targets, an optional latest start (`at`, a
fraction of the delay, or `after`, a duration from the question) and an optional acknowledgement
timeout (`ack`). Personal targets (on-call, referent, resource, coordinator) become an assignment: one
named person, the first available one in the order of the targets. The engine is `bot/sos/ladder.py`;
the times are computed in `bot/sos/plan.py`.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.durations import parse_duration

Target = Literal["community", "oncall", "referent", "resource", "trainers", "coordinator", "backup"]
PERSONAL_TARGETS: tuple[str, ...] = ("oncall", "referent", "resource", "coordinator", "backup")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_duration(value: str | None) -> str | None:
    if value is not None:
        parse_duration(value)
    return value


class Level(_Strict):
    """One level of the policy: who is reached, at the latest when, and how long they have to acknowledge."""

    targets: list[Target] = Field(min_length=1)
    at: float | None = Field(default=None, ge=0.0, le=1.0)  # latest start, fraction of the delay
    after: str | None = None  # latest start, duration from the question ("2d")
    ack: str | None = None  # acknowledgement timeout, in waking time ("8h"); None: wait for the next level

    _duration = field_validator("after", "ack")(_check_duration)

    @property
    def personal(self) -> bool:
        return any(t in PERSONAL_TARGETS for t in self.targets)

    @property
    def ack_td(self) -> timedelta | None:
        return parse_duration(self.ack) if self.ack else None

    def nominal_offset(self, delay: timedelta) -> timedelta | None:
        if self.after:
            return parse_duration(self.after)
        return delay * self.at if self.at is not None else None

    @property
    def kind(self) -> str:
        """The scheduled-step kind of this level (`sos.nudge` for the community, `sos.<target>` otherwise)."""
        return step_kind(self.targets[0])


def step_kind(target: str) -> str:
    return "sos.nudge" if target == "community" else f"sos.{target}"


DEFAULT_LEVELS: list[dict[str, Any]] = [
    {"targets": ["community"], "at": 0.25},  # the thread, naming peers whose competences match
    # One named formateur; `backup` (another space's on-call person) only when nobody of this space's
    # staff is available and `backup_spaces` is set.
    {"targets": ["oncall", "referent", "backup"], "at": 0.5, "ack": "8h"},
    {"targets": ["trainers"], "at": 0.75, "ack": "6h"},  # the formateurs not asked yet, in their room
    {"targets": ["resource", "referent"], "ack": "6h"},  # a resource person (e.g. a tutor), by name
    {"targets": ["coordinator", "backup"], "at": 0.85, "ack": "6h"},  # while there is time to act
]

# The ladder of earlier versions (`ladder = [{kind = "nudge", at = 0.25}, …]`) is read as levels.
_LEGACY_TARGET = {"nudge": "community", "referent": "referent", "trainers": "trainers"}


def _levels_from_ladder(ladder: Any) -> list[dict[str, Any]]:
    if not isinstance(ladder, list):
        raise ValueError('« ladder » est une liste ; écrivez plutôt levels = [{targets = ["community"], at = 0.25}, …]')
    levels = []
    for rung in ladder:
        kind = rung.get("kind") if isinstance(rung, dict) else None
        if kind == "breach":
            continue  # the breach is always the deadline itself
        if kind not in _LEGACY_TARGET:
            raise ValueError(f"ladder : étape « {kind} » inconnue ; écrivez plutôt "
                             'levels = [{targets = ["community"], at = 0.25}, …] (voir README, SOS TICE)')
        level: dict[str, Any] = {"targets": [_LEGACY_TARGET[kind]]}
        for key in ("at", "after"):
            if rung.get(key) is not None:
                level[key] = rung[key]
        if "at" not in level and "after" not in level:
            level["at"] = 1.0
        levels.append(level)
    return levels


def _parse_clock(text: str) -> time:
    hours, _, minutes = text.strip().partition(":")
    return time(int(hours), int(minutes or 0))


class EscalationPolicy(_Strict):
    """The policy part of `SosPolicy`: levels, loop, quiet hours, claims, on-call rota, handover."""

    levels: list[Level] = Field(default_factory=lambda: [Level(**lv) for lv in DEFAULT_LEVELS])
    loop: int = Field(default=0, ge=0, le=5)  # times the personal levels are tried again after the last
    quiet_hours: str = "21:00-08:00"  # no staff DM or mention inside; "" for none
    # Saturday and Sunday quiet all day: staff are asked on Friday rather than left unread until Monday.
    quiet_weekends: bool = True
    claim_answer_within: str = "1d"  # waking time a claimer has before being reminded
    claim_grace: str = "4h"  # after the reminder, then the next level
    # True: the reminder itself hands the question on to the next level (the claimer is told, and their
    # answer is still welcome), instead of waiting `claim_grace` more: a forgotten claim costs less time.
    claim_handover: bool = True
    oncall: list[str] = Field(default_factory=list)  # weekly rotation of formateurs (platform ids)
    oncall_from: str = "2026-01-05"  # a Monday: the first person of `oncall` is on call that week
    handover: str = "0 8 * * mon"  # cron of the on-call handover DM ("" for none)
    # A handover listing nothing to do (no open question, or all of them taken) is not sent.
    handover_when_empty: bool = False
    # When every present formateur was already asked in this round, the formateurs' alert mentions them
    # again (true), or is skipped (false: one ping less each, but in the simulation it cost answers).
    alert_asked_again: bool = True
    rota_check: str = "0 10 * * fri"  # cron of the check of next week's rota for holes ("" for none)
    # Other spaces whose on-call person and formateurs stand in when nobody of this space's staff is
    # available; they get the question's excerpt and link only.
    backup_spaces: list[str] = Field(default_factory=list)
    # "absent": backup only when every staff member is declared absent (or none is configured);
    # "unanswered": also when every present one was already asked in this round and nobody took it.
    backup_when: Literal["absent", "unanswered"] = "absent"
    private: bool = False  # this space's questions never go to people of another space

    _durations = field_validator("claim_answer_within", "claim_grace")(_check_duration)

    @field_validator("handover", "rota_check")
    @classmethod
    def _cron(cls, value: str) -> str:
        if value.strip() and len(value.split()) != 5:
            raise ValueError(f"cron illisible « {value} » (exemple : \"0 10 * * fri\", ou \"\" pour aucun)")
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str) -> str:
        if value.strip() in ("", "off", "none"):
            return ""
        start, sep, end = value.partition("-")
        try:
            if not sep:
                raise ValueError(value)
            _parse_clock(start), _parse_clock(end)
        except ValueError as exc:
            raise ValueError(f"heures calmes illisibles « {value} » (exemple : \"21:00-08:00\")") from exc
        return value

    @field_validator("oncall_from")
    @classmethod
    def _monday(cls, value: str) -> str:
        from datetime import date

        try:
            day = date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"date illisible « {value} » (exemple : \"2026-09-07\")") from exc
        if day.weekday() != 0:
            raise ValueError(f"{value} n'est pas un lundi : la permanence change chaque lundi")
        return value

    @property
    def quiet_window(self) -> tuple[time, time] | None:
        if not self.quiet_hours:
            return None
        start, _, end = self.quiet_hours.partition("-")
        return _parse_clock(start), _parse_clock(end)


def read_legacy_ladder(data: Any) -> Any:
    """Before validation: `ladder = [...]` becomes `levels`, with a clear error when both are given."""
    if isinstance(data, dict) and "ladder" in data:
        data = dict(data)
        if "levels" in data:
            raise ValueError("« ladder » et « levels » ensemble : gardez seulement levels (voir README, SOS TICE)")
        data["levels"] = _levels_from_ladder(data.pop("ladder"))
    return data

