"""`ticebot simulate`: a semester of a realistic SOS space, through the real engine, with and without
the escalation ladder. Both runs draw the same questions and the same spontaneous answers from the seed;
the only difference is the ladder (and the answers its nudges and alerts bring).

Response model (documented in README; source documents report answers after ~22 h, 4 days, 5 days, and
one question never answered):
- questions: on average QUESTIONS_PER_WEEKDAY per weekday, half as many at weekends, posted between 7:00
  and 23:00 Paris time with an evening peak;
- spontaneous first answer: none for NEVER_ANSWERED of questions; otherwise after a log-normal delay
  (median SPONTANEOUS_MEDIAN_H hours, sigma SPONTANEOUS_SIGMA), by a tutor/formateur with probability
  STAFF_SHARE (which answers the question) or by a peer (which counts once the asker ticks ✅, after a
  log-normal delay of median ACCEPT_MEDIAN_H hours, with probability ACCEPT_PROB);
- the ladder's effect: after the community nudge a named resource person answers with probability
  NUDGE_P; after the DM to the referent formateur, REFERENT_P; after the formateurs' alert, TRAINERS_P;
  each after a log-normal delay (median REACT_MEDIAN_H hours). The earliest answer wins.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot import actions as A
from bot.app import TicebotApp
from bot.clock import FakeClock
from bot.config import Settings, SosPolicy, SpaceConfig
from bot.events import PostCreated, ReactionAdded
from bot.refs import ChannelRef, MessageRef, ThreadRef, UserRef
from bot.sos.sla import sla_report

PARIS = ZoneInfo("Europe/Paris")
QUESTIONS_PER_WEEKDAY = 0.8
NEVER_ANSWERED = 0.15
SPONTANEOUS_MEDIAN_H = 40.0
SPONTANEOUS_SIGMA = 0.8
STAFF_SHARE = 0.3
ACCEPT_PROB = 0.8
ACCEPT_MEDIAN_H = 8.0
NUDGE_P = 0.35
REFERENT_P = 0.6
TRAINERS_P = 0.85
REACT_MEDIAN_H = 6.0
PEERS = [f"stagiaire{n:02d}" for n in range(30)]
TRAINERS = ["fabienne", "gilles"]
TUTORS = ["thomas"]
SOS = ChannelRef("sim", "sos")


def _lognormal_hours(rng: random.Random, median: float, sigma: float = 0.7) -> timedelta:
    return timedelta(hours=rng.lognormvariate(math.log(median), sigma))


@dataclass
class _Draw:
    at: datetime
    asker: str
    spontaneous: timedelta | None
    staff_answer: bool
    accepts: bool
    accept_delay: timedelta
    nudge: timedelta | None
    referent: timedelta | None
    trainers: timedelta | None


def draw_semester(days: int, seed: int, start: datetime) -> list[_Draw]:
    rng = random.Random(seed)
    draws: list[_Draw] = []
    for day in range(days):
        date = (start + timedelta(days=day)).astimezone(PARIS)
        rate = QUESTIONS_PER_WEEKDAY * (0.5 if date.weekday() >= 5 else 1.0)
        count = sum(1 for _ in range(4) if rng.random() < rate / 4)
        for _ in range(count):
            hour = min(22.9, max(7.0, rng.gauss(18.0, 3.5)))
            at = date.replace(hour=int(hour), minute=int((hour % 1) * 60), second=0, microsecond=0)
            draws.append(_Draw(
                at=at.astimezone(UTC), asker=rng.choice(PEERS),
                spontaneous=None if rng.random() < NEVER_ANSWERED
                else _lognormal_hours(rng, SPONTANEOUS_MEDIAN_H, SPONTANEOUS_SIGMA),
                staff_answer=rng.random() < STAFF_SHARE, accepts=rng.random() < ACCEPT_PROB,
                accept_delay=_lognormal_hours(rng, ACCEPT_MEDIAN_H),
                nudge=_lognormal_hours(rng, REACT_MEDIAN_H) if rng.random() < NUDGE_P else None,
                referent=_lognormal_hours(rng, REACT_MEDIAN_H) if rng.random() < REFERENT_P else None,
                trainers=_lognormal_hours(rng, REACT_MEDIAN_H) if rng.random() < TRAINERS_P else None,
            ))
    draws.sort(key=lambda d: d.at)
    return draws


class _SimAdapter:
    """Watches what the bot sends and turns ladder messages into the answers they provoke."""

    platform = "sim"

    def __init__(self, sim: _Simulation) -> None:
        self.sim = sim

    async def deliver(self, action: A.CoreAction) -> str | None:
        template = getattr(action, "template", "")
        kind = {"sos/nudge": "nudge", "sos/referent": "referent", "sos/trainers_alert": "trainers"}.get(template)
        if kind is not None:
            self.sim.ladder_fired(action, kind)
        return None


class _Simulation:
    def __init__(self, draws: list[_Draw], with_ladder: bool, start: datetime) -> None:
        self.draws = draws
        self.with_ladder = with_ladder
        self.clock = FakeClock(start)
        self.queue: list[tuple[datetime, int, str, int, str]] = []
        self.seq = itertools.count()
        self.answered: set[int] = set()
        self.by_thread: dict[str, int] = {}
        self.ids = itertools.count()

    def schedule(self, at: datetime, action: str, index: int, who: str = "") -> None:
        heapq.heappush(self.queue, (at, next(self.seq), action, index, who))

    def ladder_fired(self, action: A.CoreAction, kind: str) -> None:
        if isinstance(action, A.ReplyInThread):
            thread = action.thread.id
        else:  # DMs and alerts carry a link to the thread
            found = re.search(r"#sos/(q\d+)", getattr(action, "text", ""))
            thread = found.group(1) if found else ""
        index = self.by_thread.get(thread)
        if index is None or index in self.answered:
            return
        delay: timedelta | None = getattr(self.draws[index], kind)
        if delay is not None:
            who = {"nudge": TUTORS[0], "referent": TRAINERS[0], "trainers": TRAINERS[1]}[kind]
            self.schedule(self.clock.now() + delay, "staff_answer", index, who)

    async def run(self, days: int) -> dict[str, Any]:
        tmp = tempfile.TemporaryDirectory(prefix="ticebot-sim-")
        ladder = None if self.with_ladder else []
        sos = SosPolicy(delay="4d") if ladder is None else SosPolicy(delay="4d", levels=ladder)
        roles = {"trainer": [f"sim:{t}" for t in TRAINERS], "tutor": [f"sim:{t}" for t in TUTORS],
                 "coordinator": ["sim:claire"], "resource": [f"sim:{TUTORS[0]}"]}
        space = SpaceConfig(id="simulation", referential="c2i2e", sos=sos, roles=roles)
        app = await TicebotApp.create(Settings(spaces=[space]), clock=self.clock,
                                      database_url=f"sqlite+aiosqlite:///{Path(tmp.name) / 'sim.db'}")
        app.register_adapter(_SimAdapter(self))
        await app.core.register_channel("simulation", SOS, "sos", "sos")
        await app.core.register_channel("simulation", ChannelRef("sim", "formateurs"), "trainers", "formateurs")
        for index, draw in enumerate(self.draws):
            self.schedule(draw.at, "ask", index)
        end = self.clock.now() + timedelta(days=days + 10)
        try:
            while self.queue and self.queue[0][0] <= end:
                at, _, action, index, who = heapq.heappop(self.queue)
                await self._advance(app, at)
                await self._act(app, action, index, who)
            await self._advance(app, end)
            async with app.db.transaction() as session:
                report = await sla_report(session, self.clock.now())
        finally:
            await app.close()
            tmp.cleanup()
        return {k: v for k, v in report.as_dict().items() if k != "per_week"}

    async def _advance(self, app: TicebotApp, target: datetime) -> None:
        while True:
            due = await app.core.next_due()
            if due is None or due > target:
                break
            self.clock.set(max(due, self.clock.now()))
            fired, sent = await app.run_once()
            if not fired and not sent:
                break
        self.clock.set(max(target, self.clock.now()))

    async def _act(self, app: TicebotApp, action: str, index: int, who: str) -> None:
        draw = self.draws[index]
        root = f"q{index}"
        thread = ThreadRef(SOS, root)
        event_id = f"{action}-{index}-{next(self.ids)}"
        if action == "ask":
            self.by_thread[root] = index
            await app.submit(PostCreated(event_id, UserRef("sim", draw.asker), SOS, MessageRef(SOS, root),
                                         "J'ai un souci avec l'ENT pour partager un document, une idée ?"))
            if draw.spontaneous is not None:
                kind = "staff_answer" if draw.staff_answer else "peer_answer"
                helper = TUTORS[0] if draw.staff_answer else PEERS[(PEERS.index(draw.asker) + 1) % len(PEERS)]
                self.schedule(draw.at + draw.spontaneous, kind, index, helper)
        elif index in self.answered:
            return
        elif action == "staff_answer":
            self.answered.add(index)
            await app.submit(PostCreated(event_id, UserRef("sim", who), SOS, MessageRef(SOS, event_id),
                                         "Voici comment faire : passe par l'espace de stockage.", thread=thread))
        elif action == "peer_answer":
            await app.submit(PostCreated(event_id, UserRef("sim", who), SOS, MessageRef(SOS, event_id),
                                         "Moi je passe par un lien de partage.", thread=thread))
            if draw.accepts:
                self.schedule(self.clock.now() + draw.accept_delay, "accept", index, event_id)
        elif action == "accept":
            self.answered.add(index)
            await app.submit(ReactionAdded(event_id, UserRef("sim", draw.asker), MessageRef(SOS, who), "✅"))
        await app.run_once()


SEMESTER_START = datetime(2026, 9, 1, 0, 0, tzinfo=PARIS)


async def run_comparison(days: int = 120, seed: int = 1) -> dict[str, Any]:
    draws = draw_semester(days, seed, SEMESTER_START)
    without = await _Simulation(draws, False, SEMESTER_START).run(days)
    with_bot = await _Simulation(draws, True, SEMESTER_START).run(days)
    return {"days": days, "seed": seed, "without_bot": without, "with_bot": with_bot}


def format_comparison(result: dict[str, Any]) -> str:
    rows = [("questions", "questions"), ("answered_within_deadline_ratio", "répondues dans le délai"),
            ("median_first_response_hours", "1re réponse, médiane (h)"),
            ("p90_first_response_hours", "1re réponse, 90e centile (h)"), ("breaches", "dépassements"),
            ("median_resolution_hours", "résolution, médiane (h)")]
    out = [f"Semestre simulé : {result['days']} jours, graine {result['seed']}", "",
           f"{'':32} {'sans échelle':>14} {'avec ticebot':>14}"]
    for key, label in rows:
        out.append(f"{label:32} {result['without_bot'][key]!s:>14} {result['with_bot'][key]!s:>14}")
    return "\n".join(out)
