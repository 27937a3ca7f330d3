"""`ticebot simulate`: a semester of an SOS space through the real engine, without and with the bot.

Both runs draw the same questions, spontaneous answers and staff absences from the seed
(`bot/sos/simulate_model.py`); only the run with the bot has the escalation policy, and its staff react
to what the bot sends them (`bot/sos/simulate_staff.py`): they read it when they are there and awake,
take it, pass, forget, answer. The figures are the SLA report of each run's database.
"""

from __future__ import annotations

import heapq
import itertools
import random
import re
import tempfile
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot import actions as A
from bot.app import TicebotApp
from bot.clock import FakeClock
from bot.config import Settings, SosPolicy, SpaceConfig
from bot.db.models import Member, Question
from bot.events import PostCreated, ReactionAdded
from bot.refs import ChannelRef, MessageRef, ThreadRef, UserRef
from bot.sos import simulate_staff as staff
from bot.sos.simulate_explain import explain, format_explanation
from bot.sos.simulate_model import (
    AHEAD_DAYS,
    BACKUP_ROTA,
    BACKUP_SPACE,
    BACKUP_STAFF,
    PARIS,
    PEERS,
    ROTA,
    ROTA_FROM,
    SEMESTER_START,
    STAFF,
    Semester,
    draw_semester,
)
from bot.sos.sla import sla_report
from bot.sos.sla_staff import staff_report
from bot.wiring import build_registry

SOS = ChannelRef("sim", "sos")
ROOM = ChannelRef("sim", "formateurs")
PEOPLE = {p.name: p for p in STAFF + BACKUP_STAFF}
SCRATCH = "/dev/shm" if Path("/dev/shm").is_dir() else None  # the run's database lives in memory when it can
ASSIGNMENT_TEMPLATES = {"sos/oncall", "sos/referent", "sos/resource", "sos/coordinator_warning"}
KEYS = ("questions", "answered_within_deadline_ratio", "breaches", "coordinator_warned_in_time_ratio",
        "personal_pings_per_question", "median_ack_hours", "median_first_response_hours",
        "p90_first_response_hours")


def space_config(with_bot: bool, policy: dict[str, Any] | None = None, backup: bool = False) -> SpaceConfig:
    """The simulated space: the default policy with the on-call rota (or `policy`'s keys instead)."""
    sos = SosPolicy(**{"delay": "4d", "oncall": [f"sim:{n}" for n in ROTA], "oncall_from": ROTA_FROM,
                       **({"backup_spaces": [BACKUP_SPACE]} if backup else {}), **(policy or {})})
    if not with_bot:
        sos = SosPolicy(delay="4d", levels=[], handover="")
    roles = {"trainer": [f"sim:{p.name}" for p in STAFF if p.role == "trainer"],
             "tutor": [f"sim:{p.name}" for p in STAFF if p.role == "tutor"],
             "coordinator": [f"sim:{p.name}" for p in STAFF if p.role == "coordinator"],
             "resource": [f"sim:{p.name}" for p in STAFF if p.role == "tutor"]}
    return SpaceConfig(id="simulation", referential="c2i2e", sos=sos, roles=roles)


def backup_space_config() -> SpaceConfig:
    """The neighbouring space of `--backup`: its two formateurs on a weekly rota (no questions of its own)."""
    sos = SosPolicy(delay="4d", oncall=[f"sim:{n}" for n in BACKUP_ROTA], oncall_from=ROTA_FROM, handover="",
                    rota_check="")
    return SpaceConfig(id=BACKUP_SPACE, referential="c2i2e", sos=sos,
                       roles={"trainer": [f"sim:{p.name}" for p in BACKUP_STAFF]})


class _SimAdapter:
    """Receives what the bot sends and hands it to the simulated people."""

    platform = "sim"

    def __init__(self, run: _Run) -> None:
        self.run = run

    async def deliver(self, action: A.CoreAction) -> str | None:
        if self.run.with_bot:
            self.run.on_bot(action)
        return None


class _Run:
    def __init__(self, semester: Semester, with_bot: bool, seed: int, policy: dict[str, Any] | None = None,
                 explain: bool = False, backup: bool = False) -> None:
        self.semester = semester
        self.backup = backup
        self.explain = explain
        self.policy = policy
        self.draws = semester.draws
        self.with_bot = with_bot
        self.rng = random.Random(seed * 7919 + 17)  # staff decisions (only the run with the bot uses them)
        self.clock = FakeClock(SEMESTER_START)
        self.queue: list[tuple[datetime, int, str, int, str]] = []
        self.seq = itertools.count()
        self.ids = itertools.count()
        self.app: TicebotApp | None = None
        self.index_of_thread: dict[str, int] = {}
        self.index_of_question: dict[int, int] = {}
        self.peer_reply: dict[int, str] = {}  # question index -> the peer reply's message id
        self.asker_asked: set[int] = set()
        self.rejected: set[int] = set()
        self.handover = bool((policy or {}).get("claim_handover", SosPolicy().claim_handover))

    # ---- the queue of things people do --------------------------------------------------------

    def later(self, at: datetime, action: str, index: int = -1, who: str = "") -> None:
        heapq.heappush(self.queue, (at, next(self.seq), action, index, who))

    async def run(self, days: int, database_url: str | None = None) -> dict[str, Any]:
        tmp = tempfile.TemporaryDirectory(prefix="ticebot-sim-", dir=SCRATCH)
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp.name) / 'sim.db'}"
        try:
            spaces = [space_config(self.with_bot, self.policy, self.backup)]
            settings = Settings(spaces=spaces + ([backup_space_config()] if self.backup else []))
            self.app = app = await TicebotApp.create(settings, clock=self.clock, database_url=url,
                                                     registry=build_registry(["sos"]))
            app.register_adapter(_SimAdapter(self))
            await app.core.register_channel("simulation", SOS, "sos", "sos")
            await app.core.register_channel("simulation", ROOM, "trainers", "formateurs")
            for index, draw in enumerate(self.draws):
                self.later(draw.at, "ask", index)
            if self.with_bot:
                self._declared_absences()
            end = SEMESTER_START + timedelta(days=days + 10)
            while self.queue and self.queue[0][0] <= end:
                at, _, action, index, who = heapq.heappop(self.queue)
                await self._advance(at)
                await self._act(action, index, who)
            await self._advance(end)
            async with app.db.transaction() as session:
                report = (await sla_report(session, self.clock.now())).as_dict()
                load = (await staff_report(session, self.clock.now())).as_dict()
                why = (await explain(session, self.semester.calendars, self.clock.now())).as_dict() \
                    if self.explain else None
        finally:
            if self.app is not None:
                await self.app.close()
            tmp.cleanup()
        # Without the bot nobody is pinged: the recorder's own breach notes are not counted.
        pings = (load["pings_per_question"] or 0.0) if self.with_bot else 0.0
        report.update(coordinator_warned_in_time_ratio=load["coordinator_warned_in_time_ratio"],
                      personal_pings_per_question=pings, median_ack_hours=load["median_ack_hours"])
        result = {key: report[key] for key in KEYS}
        if why is not None:
            result["explain"] = why
        return result

    async def _advance(self, target: datetime) -> None:
        assert self.app is not None
        while True:
            due = await self.app.core.next_due()
            if due is None or due > target:
                break
            self.clock.set(max(due, self.clock.now()))
            fired, sent = await self.app.run_once()
            if not fired and not sent:
                break
        self.clock.set(max(target, self.clock.now()))

    def _declared_absences(self) -> None:
        for name, cal in self.semester.calendars.items():
            for first, last in cal.declared:
                if (first, last) in cal.ahead:  # a week ahead, at 10:00: `/absent du … au …`
                    when = datetime.combine(first - timedelta(days=AHEAD_DAYS), time(10), PARIS)
                    command = f"/absent du {first.isoformat()} au {last.isoformat()}"
                else:  # on their first day, before starting
                    when = datetime.combine(first, time(7, 30), PARIS)
                    command = f"/absent jusqu'au {last.isoformat()}"
                self.later(max(when, SEMESTER_START), "absent", -1, f"{name}|{command}")

    # ---- what the bot sent --------------------------------------------------------------------

    def _index(self, action: A.CoreAction) -> int | None:
        if isinstance(action, A.ReplyInThread):
            return self.index_of_thread.get(action.thread.id)
        if isinstance(action, A.SendDirect) and action.question_id is not None:
            return self.index_of_question.get(action.question_id)
        found = re.search(r"#sos/(q\d+)", getattr(action, "text", ""))
        return self.index_of_thread.get(found.group(1)) if found else None

    def on_bot(self, action: A.CoreAction) -> None:
        template = getattr(action, "template", "")
        index = self._index(action)
        if index is None:
            return
        now = self.clock.now()
        if template in ASSIGNMENT_TEMPLATES and isinstance(action, A.SendDirect):
            self._reaches(action.user.id, index, "assigned", now)
        elif template == "sos/trainers_alert":
            people = [action.user] if isinstance(action, A.SendDirect) else list(getattr(action, "mentions", ()))
            for user in people:
                self._reaches(user.id, index, "alert", now)
        elif template == "sos/claim_reminder" and isinstance(action, A.SendDirect):
            self._reaches(action.user.id, index, "reminder", now)
        elif template == "sos/nudge":
            for user in getattr(action, "mentions", ()):
                if user.id in PEOPLE and self.rng.random() < staff.NUDGE_P:
                    self._reaches(user.id, index, "answer", now)
            self._asker_is_asked(index, now)
        elif template == "sos/peer_reply_check":
            self._asker_is_asked(index, now)

    def _reaches(self, who: str, index: int, mode: str, now: datetime) -> None:
        person = PEOPLE.get(who)
        if person is not None:
            self.later(staff.acts_at(self.rng, person, self.semester.calendars[who], now), mode, index, who)

    def _asker_is_asked(self, index: int, now: datetime) -> None:
        draw = self.draws[index]
        if index in self.peer_reply and index not in self.asker_asked and not draw.accepts and draw.asked_reply:
            self.asker_asked.add(index)
            self.later(now + draw.asked_delay, "asker_" + draw.asked_reply, index)

    # ---- what people do -----------------------------------------------------------------------

    async def _state(self, index: int) -> tuple[str, str | None]:
        assert self.app is not None
        async with self.app.db.transaction() as session:
            q = (await session.execute(select(Question).where(Question.thread_root_id == f"q{index}"))).scalar_one()
            claimer = None
            if q.claimed_by_id is not None:
                member = await session.get(Member, q.claimed_by_id)
                claimer = member.platform_user_id if member else None
            return q.status, claimer

    async def _post(self, who: str, index: int, text: str) -> str:
        assert self.app is not None
        message = f"m{next(self.ids)}"
        await self.app.submit(PostCreated(f"e-{message}", UserRef("sim", who), SOS, MessageRef(SOS, message), text,
                                          thread=ThreadRef(SOS, f"q{index}")))
        return message

    async def _react(self, who: str, message: str, emoji: str) -> None:
        assert self.app is not None
        await self.app.submit(ReactionAdded(f"r{next(self.ids)}", UserRef("sim", who), MessageRef(SOS, message),
                                            emoji))

    async def _act(self, action: str, index: int, who: str) -> None:
        assert self.app is not None
        if action == "ask":
            await self._ask(index)
        elif action == "absent":
            name, text = who.split("|")
            dm = ChannelRef("sim", f"dm-{name}")
            await self.app.submit(PostCreated(f"a{next(self.ids)}", UserRef("sim", name), dm,
                                              MessageRef(dm, f"a{next(self.ids)}"), text, is_direct=True))
        else:
            status, claimer = await self._state(index)
            if status == "open":
                await self._person_acts(action, index, who, claimer)
        await self.app.run_once()

    async def _ask(self, index: int) -> None:
        assert self.app is not None
        draw = self.draws[index]
        root = f"q{index}"
        self.index_of_thread[root] = index
        await self.app.submit(PostCreated(f"ask-{index}", UserRef("sim", draw.asker), SOS, MessageRef(SOS, root),
                                          "J'ai un souci avec l'ENT pour partager un document, une idée ?"))
        async with self.app.db.transaction() as session:
            qid = await session.scalar(select(Question.id).where(Question.thread_root_id == root))
        if qid is not None:
            self.index_of_question[qid] = index
        if draw.spontaneous is None:
            return
        if draw.staff_answer:
            cal = self.semester.calendars[draw.helper]
            self.later(staff.next_reading(cal, draw.at + draw.spontaneous), "spontaneous", index, draw.helper)
        else:
            helper = PEERS[(PEERS.index(draw.asker) + 1) % len(PEERS)]
            self.later(draw.at + draw.spontaneous, "peer", index, helper)

    async def _person_acts(self, action: str, index: int, who: str, claimer: str | None) -> None:
        draw = self.draws[index]
        if action == "peer":
            self.peer_reply[index] = await self._post(who, index, "Moi je passe par un lien de partage.")
            if draw.accepts:
                self.later(self.clock.now() + draw.accept_delay, "asker_accept", index)
        elif action in ("asker_accept", "asker_reject") and index in self.peer_reply:
            if action == "asker_reject":
                self.rejected.add(index)
            await self._react(draw.asker, self.peer_reply[index], "✅" if action == "asker_accept" else "❌")
        elif action in ("spontaneous", "answer", "answers"):
            await self._answer(index, who)
        elif action == "reminder":
            # With `claim_handover` the reminder also hands the question on: the claimer is no longer its
            # holder but was told their answer still counts, and answers as often as a reminded holder.
            reminded = claimer == who or (claimer != who and self.handover)
            if reminded and self.rng.random() < staff.REMINDED_ANSWERS:
                self.later(staff.answer_at(self.rng, self.semester.calendars[who], self.clock.now()), "answers",
                           index, who)
        elif action in ("assigned", "alert") and claimer is None:
            roll = self.rng.random()
            if roll < (staff.ACK_P if action == "assigned" else staff.ALERT_TAKES):
                await self._post(who, index, "/claim")
                if self.rng.random() >= staff.FORGET_P:
                    self.later(staff.answer_at(self.rng, self.semester.calendars[who], self.clock.now()), "answers",
                               index, who)
            elif action == "assigned" and roll < staff.ACK_P + staff.PASS_P:
                await self._post(who, index, "/passer pas disponible")

    async def _answer(self, index: int, who: str) -> None:
        if index in self.peer_reply and index not in self.rejected:
            await self._react(who, self.peer_reply[index], "✅")  # the peer's reply is right: endorse it
        else:
            await self._post(who, index, "Voici comment faire : passe par l'espace de stockage.")


async def run_comparison(days: int = 120, seed: int = 1, policy: dict[str, Any] | None = None,
                         oncall_in_holidays: bool = False, database_url: str | None = None,
                         explain: bool = False, backup: bool = False) -> dict[str, Any]:
    """Both runs on the same semester. `policy` overrides the default policy's keys (benchmarks);
    `oncall_in_holidays` is the organisational variant where the person on call stays reachable;
    `database_url` keeps the run with ticebot in that database (to look at it in the dashboard);
    `backup` adds a neighbouring space whose formateurs back this one up (`backup_spaces`);
    `explain` adds why each question was missed and where the pings went (`bot/sos/simulate_explain.py`)."""
    semester = draw_semester(days, seed, oncall_in_holidays, backup)
    without = await _Run(semester, False, seed).run(days)
    with_bot = await _Run(semester, True, seed, policy, explain, backup).run(days, database_url)
    return {"days": days, "seed": seed, "without_bot": without, "with_bot": with_bot}


def format_comparison(result: dict[str, Any]) -> str:
    rows = [("questions", "questions"), ("answered_within_deadline_ratio", "répondues dans le délai"),
            ("breaches", "dépassements"), ("coordinator_warned_in_time_ratio", "coordination prévenue à temps"),
            ("personal_pings_per_question", "messages personnels / question"),
            ("median_ack_hours", "prise en charge, médiane (h)"),
            ("median_first_response_hours", "1re réponse, médiane (h)"),
            ("p90_first_response_hours", "1re réponse, 90e centile (h)")]
    out = [f"Semestre simulé : {result['days']} jours, graine {result['seed']}", "",
           f"{'':34} {'sans le bot':>12} {'avec ticebot':>13}"]
    for key, label in rows:
        out.append(f"{label:34} {result['without_bot'][key]!s:>12} {result['with_bot'][key]!s:>13}")
    if "explain" in result["with_bot"]:
        out.append(format_explanation(result["with_bot"]["explain"]))
    return "\n".join(out)
