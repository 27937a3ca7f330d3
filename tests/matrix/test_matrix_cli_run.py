"""`ticebot run --config ticebot.toml` as a subprocess against the session's real Synapse.

The test only talks to the homeserver, like the people in the rooms would: nothing of the bot is imported.
SOS delay 6s → nudge at 1.5s, referent DM at 3s, formateurs' alert at 4.5s, breach at 6s.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from matrix_homeserver import Homeserver
from matrix_world import Person, person, template, thread_of
from nio import JoinResponse, RoomCreateResponse
from ticebot_process import TicebotProcess, start_ticebot, toml_string

pytestmark = pytest.mark.matrix

BOT_PASSWORD = "Bot-e2e-Secret-7f3a9c"
DELAY_S = 10.0
QUESTION = "Comment partager un document avec mes élèves sans ENT ?"


@pytest.fixture
async def people(homeserver: Homeserver) -> AsyncIterator[dict[str, Person]]:
    found = dict(
        zip(
            ("alice", "fabienne", "claire"),
            await asyncio.gather(
                person(homeserver, "alice", "Alice"),
                person(homeserver, "fabienne", "Fabienne"),
                person(homeserver, "claire", "Claire"),
            ),
            strict=True,
        )
    )
    yield found
    for someone in found.values():
        await someone.client.close()


def config(homeserver: Homeserver, db: Path, bot_user: str, rooms: dict[str, str], people: dict[str, Person]) -> str:
    trainer, coordinator = toml_string(people["fabienne"].user_id), toml_string(people["claire"].user_id)
    room_ids = ", ".join(f"{kind} = {toml_string(room_id)}" for kind, room_id in rooms.items())
    return f"""
[database]
url = {toml_string(f"sqlite+aiosqlite:///{db}")}

[bot]
log_level = "INFO"

[matrix]
homeserver = {toml_string(homeserver.base_url)}
user_id = {toml_string(bot_user)}
password_env = "TICEBOT_MATRIX_PASSWORD"
encrypt_direct_rooms = false  # the people here are plain clients without olm devices

[[spaces]]
id = "gfp-e2e"
referential = "c2i2e"
sos = {{ delay = "{DELAY_S:g}s" }}
roles = {{ trainer = [{trainer}], coordinator = [{coordinator}] }}
matrix = {{ {room_ids} }}
"""


async def test_ticebot_run_serves_a_real_homeserver(
    homeserver: Homeserver, people: dict[str, Person], tmp_path: Path
) -> None:
    started = time.monotonic()
    alice, fabienne, claire = people["alice"], people["fabienne"], people["claire"]
    bot = await asyncio.to_thread(homeserver.register, homeserver.unique("ticebot"), BOT_PASSWORD)

    # The coordinator (named in the configuration) creates the rooms and invites the bot before it runs.
    async def room(name: str, invited: list[Person]) -> str:
        created = await claire.client.room_create(name=name, invite=[bot["user_id"]] + [p.user_id for p in invited])
        assert isinstance(created, RoomCreateResponse), created
        joined = await asyncio.gather(*(p.client.join(created.room_id) for p in invited))
        assert all(isinstance(j, JoinResponse) for j in joined), joined
        return str(created.room_id)

    sos, general, staff = await asyncio.gather(
        room("SOS TICE", [alice, fabienne]), room("Général", [alice, fabienne]), room("Formateurs", [fabienne])
    )
    rooms = {"sos": sos, "general": general, "formateurs": staff}
    text = config(homeserver, tmp_path / "ticebot.db", bot["user_id"], rooms, people)
    bot_process = start_ticebot(tmp_path, text, {"TICEBOT_MATRIX_PASSWORD": BOT_PASSWORD})
    try:
        with bot_process.explained():
            await scenario(bot_process, bot["user_id"], rooms, alice, fabienne, claire)
            code, took = await bot_process.stop(signal.SIGINT, within=10)  # Ctrl-C (the Discord test: SIGTERM)
            assert code == 0, bot_process.tail()
            assert took < 5, f"ticebot run took {took:.1f}s to stop"
    finally:
        bot_process.kill()
    output = bot_process.output()
    assert BOT_PASSWORD not in output
    assert bot["access_token"] not in output
    assert "matrix: logged in as" in output and "ticebot stopping" in output
    assert time.monotonic() - started < 40


async def scenario(
    bot_process: TicebotProcess,
    bot_user: str,
    rooms: dict[str, str],
    alice: Person,
    fabienne: Person,
    claire: Person,
) -> None:
    sos, general = rooms["sos"], rooms["general"]
    # The bot accepts the invitations once it runs (it was invited before it existed as a process).
    await alice.wait_joined(sos, bot_user)
    await alice.wait_joined(general, bot_user)
    bot_process.assert_alive()

    # A question: received in its thread, then the nudge a quarter of the delay later.
    q = await alice.say(sos, QUESTION)
    received = await alice.wait_template("sos/received", sos)
    assert thread_of(received) == q
    question = next(s for r, s in alice.seen if s.get("event_id") == q)
    nudge = await alice.wait_template("sos/nudge", sos)
    assert thread_of(nudge) == q
    late = (nudge["origin_server_ts"] - question["origin_server_ts"]) / 1000
    assert DELAY_S * 0.25 - 0.1 <= late < DELAY_S * 0.5, f"nudge {late:.2f}s after the question"

    # The formateur answers in the thread: the ladder stops.
    await fabienne.say(sos, "Tu peux passer par l'espace de partage de l'académie.", thread=q)

    # A declaration in a thread of the general room, validated by the formateur.
    root = await alice.say(general, "Ma séquence avec le TNI en 5e")
    await alice.say(general, "!declare B2-3 https://exemple.org/seq", thread=root)
    declared = await alice.wait_template("declarations/declared", general)
    assert thread_of(declared) == root
    dm, notice = await fabienne.wait_for(lambda r, s: template(s) == "declarations/notify_validator")
    assert dm not in rooms.values()  # a direct room the bot opened (its invite was accepted by pump)
    assert "B2-3" in notice["content"]["body"]
    await fabienne.say(general, "!valider Belle séquence", thread=root)
    # A decision about a person reaches them privately (declarations are private by default).
    where, validated = await alice.wait_for(lambda r, s: template(s) == "declarations/validated")
    assert where not in rooms.values()
    assert "B2-3" in validated["content"]["body"]

    # Past the deadline (+1.5s): nothing more about the answered question, anywhere.
    deadline = question["origin_server_ts"] / 1000 + DELAY_S + 1.5
    while time.time() < deadline:
        await asyncio.gather(alice.pump(200), fabienne.pump(200), claire.pump(200))
    bot_process.assert_alive()
    after_answer = {"sos/referent", "sos/trainers_alert", "sos/breach_thread", "sos/breach_coordinator"}
    for someone in (alice, fabienne, claire):
        sent = [template(s) for _r, s in someone.seen if template(s) in after_answer]
        assert sent == [], f"{someone.name} got {sent} after the formateur's answer"
