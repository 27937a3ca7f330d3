"""A level reached after the next one's latest start is skipped: one person asked at that moment, not two."""

from __future__ import annotations

from sos_support import local, replay, sent, team

ROTA = team("oncall=fabienne,gilles")  # fabienne on call the week of 7 September
# Monday 09:00: the levels' latest starts are Tue 09:00, Wed 09:00, Wed 17:00, Thu 10:00 and Thu 16:00.
ASK = "at 2026-09-07T09:00\nalice in sos: Comment partager un document sans ENT ?\n"


async def test_a_claim_handed_on_late_skips_the_levels_whose_time_is_over(database_url: str) -> None:
    # fabienne takes it on Wednesday 10:00 and forgets; the reminder hands it on on Thursday 12:00 (4
    # waking hours before the coordinator's latest start). The room alert's time (Wed 17:00 – Thu 10:00)
    # is over: the next level, the one due now, asks gilles by name (as alice's referent), alone.
    script = ROTA + ASK + "at 2026-09-09T10:00\nfabienne dm: /claim\n+3d\n"
    async with replay(database_url, script) as run:
        after = [(local(d.at), d.template, d.to or d.channel) for d in sent(run)
                 if d.template in ("sos/claim_reminder", "sos/trainers_alert", "sos/referent", "sos/resource",
                                   "sos/coordinator_warning")]
        assert after == [("Thu 10/09 12:00", "sos/claim_reminder", "fabienne"),
                         ("Thu 10/09 12:00", "sos/referent", "gilles"),
                         ("Thu 10/09 16:00", "sos/coordinator_warning", "claire")]  # she keeps her latest start


async def test_without_a_late_trigger_every_level_fires_in_turn(database_url: str) -> None:
    script = ROTA + ASK + "+5d\n"
    async with replay(database_url, script) as run:
        order = [(d.template, local(d.at)) for d in sent(run) if d.template in
                 ("sos/oncall", "sos/trainers_alert", "sos/resource", "sos/coordinator_warning")]
        # (The resource level reaches nobody in this team: the coordinator is asked at once in its place.)
        assert order == [("sos/oncall", "Wed 09/09 09:00"), ("sos/trainers_alert", "Wed 09/09 17:00"),
                         ("sos/coordinator_warning", "Thu 10/09 10:00")]
