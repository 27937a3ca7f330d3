"""What the outbox stores of an action is what delivery rebuilds, in the format rows queued before
stop 28 have (dataclasses.asdict's): a reply, a private message with its buttons, a label."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from bot import actions as A
from bot.outbox import action_kind, action_to_payload, payload_to_action
from bot.refs import ChannelRef, MessageRef, ThreadRef, UserRef

ROOM = ChannelRef("matrix", "!sos:example.org")
THREAD = ThreadRef(ROOM, "$root")
ASKER = UserRef("matrix", "@ana:example.org", "Ana")
HELPER = UserRef("matrix", "@bob:example.org")

ACTIONS = [
    A.SendMessage(ROOM, "Bilan de la semaine", "stats/weekly", (ASKER,), image_path="/tmp/chart.png"),
    A.ReplyInThread(THREAD, "Merci @Ana, question reçue.", "sos/received", (ASKER, HELPER), declaration_id=7),
    A.SendDirect(ASKER, "Ta question est-elle résolue ?", "sos/solved_check", (), question_id=12,
                 actions=("resolu", "pas_resolu"), endorse_reply=MessageRef(ROOM, "$reply")),
    A.React(MessageRef(ROOM, "$post"), "✅"),
    A.MentionRoles(ROOM, "Question sans réponse", ("trainer", "coordinator"), "sos/escalated", (HELPER,)),
    A.MarkThread(THREAD, "open"),
]


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: type(a).__name__)
def test_a_queued_action_is_delivered_as_it_was_made(action: A.CoreAction) -> None:
    payload = action_to_payload(action)
    assert payload == asdict(action)
    assert list(payload) == list(asdict(action))  # the same keys in the same order: the same JSON
    assert payload_to_action(action_kind(action), payload) == action
