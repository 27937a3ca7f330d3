"""Slash commands, autocomplete, buttons and modals, dispatched by discord.py's own command tree
and view store from raw INTERACTION_CREATE payloads."""

from __future__ import annotations

import discord
import discord_payloads as p
from discord_fakes import Harness, TinyReferential

from adapters.discord.commands import SPECS, competence_choices
from bot.events import CommandInvoked, PostCreated
from bot.refs import ChannelRef, MessageRef, ThreadRef, UserRef

SOS = ChannelRef("discord", str(p.SOS_FORUM))
GENERAL_PAYLOAD = p.text_channel(p.GENERAL, "general")
EPHEMERAL = 64


def commands(h: Harness) -> list[CommandInvoked]:
    return [e for e in h.events if isinstance(e, CommandInvoked)]


def opt(name: str, value: object, kind: int = 3, focused: bool = False) -> dict:
    data = {"name": name, "type": kind, "value": value}
    if focused:
        data["focused"] = True
    return data


async def test_commands_are_synced_per_guild_and_dm_ones_globally(harness: Harness) -> None:
    (guild_sync,) = harness.api.find("PUT", rf"/applications/{p.APP_ID}/guilds/{p.GUILD_ID}/commands")
    names = sorted(c["name"] for c in guild_sync.json)
    assert names == sorted(spec.name for spec in SPECS)
    declare = next(c for c in guild_sync.json if c["name"] == "declare")
    code = next(o for o in declare["options"] if o["name"] == "code")
    assert code["autocomplete"] is True
    (global_sync,) = harness.api.find("PUT", rf"/applications/{p.APP_ID}/commands")
    assert sorted(c["name"] for c in global_sync.json) == sorted(
        ["declare", "positionner", "portfolio", "bilan", "a-valider", "valider", "refuser", "precisions", "claim",
         "passer", "absent", "permanence", "sla", "digest", "tableau", "confidentialite", "consentement",
         "mes-donnees", "oublier", "aide", "langue", "faq"]
    )
    assert all(c["contexts"] == [1] for c in global_sync.json)  # bot DM only: no duplicates in guilds
    # Thread-bound commands are not offered in a DM, where the core could only refuse them.
    assert not {"sos", "resolu", "pas-resolu", "reouvrir", "tag", "untag"} & {c["name"] for c in global_sync.json}


async def test_bounded_values_are_typed_for_discord(harness: Harness) -> None:
    """Discord's client then refuses a level of 9 or an unknown choice before anything is sent."""
    (guild_sync,) = harness.api.find("PUT", rf"/applications/{p.APP_ID}/guilds/{p.GUILD_ID}/commands")
    by_name = {c["name"]: {o["name"]: o for o in c.get("options", [])} for c in guild_sync.json}
    niveau = by_name["positionner"]["niveau"]
    assert (niveau["type"], niveau["min_value"], niveau["max_value"]) == (4, 1, 8)
    assert by_name["positionner"]["code"]["autocomplete"] is True
    assert by_name["passer"]["question"]["type"] == 4 and by_name["passer"]["question"]["min_value"] == 1
    assert by_name["passer"]["raison"]["required"] is False
    assert by_name["permanence"]["formateur"]["type"] == 6  # a user picker
    assert by_name["absent"]["jusqu-au"]["required"] is False  # empty: the person's absences
    assert by_name["absent"]["du"]["required"] is False and by_name["absent"]["raison"]["required"] is False
    for command, param, values in [("confidentialite", "choix", ["prive", "public"]),
                                   ("consentement", "choix", ["public", "prive"]),
                                   ("oublier", "etape", ["confirmer", "annuler"]), ("langue", "langue", ["fr", "en"])]:
        assert [c["value"] for c in by_name[command][param]["choices"]] == values
    assert all(o.get("description") for c in guild_sync.json for o in c.get("options", []))


async def test_sos_is_published_in_the_sos_forum_for_the_member_and_handed_over(harness: Harness) -> None:
    payload = p.slash("sos", [opt("question", "Comment créer un QCM ?")], p.ALICE, "Alice", GENERAL_PAYLOAD)
    await harness.gateway("INTERACTION_CREATE", payload)
    (ack,) = harness.api.callbacks()
    assert ack.json["type"] == 4 and ack.json["data"]["flags"] == EPHEMERAL
    assert ack.json["data"]["content"].startswith("Bien reçu")
    # A new post in the SOS forum, written by the bot, naming Alice without pinging her.
    (created,) = harness.api.find("POST", rf"/channels/{p.SOS_FORUM}/threads")
    assert created.json["name"] == "Comment créer un QCM ?"
    assert f"<@{p.ALICE}>" in created.json["message"]["content"]
    assert "Comment créer un QCM ?" in created.json["message"]["content"]
    assert created.json["message"]["allowed_mentions"]["parse"] == []
    post_id = max(i for i, c in harness.api.channels.items() if c.get("parent_id") == str(p.SOS_FORUM))
    (event,) = [e for e in harness.events if isinstance(e, PostCreated)]
    assert event == PostCreated(
        event_id=str(post_id),
        author=UserRef("discord", str(p.ALICE), "Alice"),
        channel=SOS,
        message=MessageRef(SOS, str(post_id)),
        text="/sos Comment créer un QCM ?",
        title="Comment créer un QCM ?",
        at=event.at,
        space_hint="gfp-lettres",
    )
    assert event.at == discord.utils.snowflake_time(int(payload["id"]))


async def test_command_in_a_forum_post_names_the_thread(harness: Harness) -> None:
    post_id = p.snowflake()
    thread = p.thread(post_id, p.SOS_FORUM, "Question")
    await harness.gateway("THREAD_CREATE", {**thread, "newly_created": True})
    await harness.gateway("INTERACTION_CREATE", p.slash("resolu", [], p.ALICE, "Alice", thread))
    (event,) = commands(harness)
    assert (event.name, event.args, event.channel) == ("resolu", "", SOS)
    assert event.thread == ThreadRef(SOS, str(post_id))


async def test_declare_with_an_attachment_as_trace(harness: Harness) -> None:
    att = p.attachment("sequence.pdf", "application/pdf")
    payload = p.slash(
        "declare",
        [opt("code", "B2-3"), opt("trace", "Séquence sur Pronote"), opt("fichier", att["id"], kind=11)],
        p.ALICE,
        "Alice",
        GENERAL_PAYLOAD,
        resolved={"attachments": {att["id"]: att}},
    )
    await harness.gateway("INTERACTION_CREATE", payload)
    (event,) = commands(harness)
    assert event.name == "declare"
    assert event.args == f"B2-3 Séquence sur Pronote {att['url']}"


async def test_portfolio_in_a_dm(harness: Harness) -> None:
    dm = p.dm_channel(p.snowflake(), p.ALICE, "Alice")
    await harness.gateway("INTERACTION_CREATE", p.slash("portfolio", [], p.ALICE, "Alice", dm, guild_id=None))
    (event,) = commands(harness)
    assert event.is_direct and event.name == "portfolio" and event.thread is None
    assert event.channel == ChannelRef("discord", dm["id"])
    (ack,) = harness.api.callbacks()
    assert "message privé" in ack.json["data"]["content"]


async def test_refuser_by_slash_command(harness: Harness) -> None:
    payload = p.slash(
        "refuser",
        [opt("declaration", 12, kind=4), opt("motif", "La trace manque")],
        p.FABIENNE,
        "Fabienne",
        GENERAL_PAYLOAD,
        roles=[p.TRAINER_ROLE],
    )
    await harness.gateway("INTERACTION_CREATE", payload)
    (event,) = commands(harness)
    assert (event.name, event.args) == ("refuser", "#12 La trace manque")


async def test_autocomplete_b2_lists_the_b2_codes_with_labels(harness: Harness) -> None:
    payload = p.autocomplete(
        "declare", [opt("code", "b2", focused=True), opt("trace", "")], p.ALICE, "Alice", GENERAL_PAYLOAD
    )
    await harness.gateway("INTERACTION_CREATE", payload)
    (answer,) = harness.api.callbacks()
    assert answer.json["type"] == 8  # APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
    choices = answer.json["data"]["choices"]
    assert [c["value"] for c in choices] == ["B2-1", "B2-2", "B2-3", "C2-1"]  # codes first, then labels
    assert choices[0]["name"].startswith("B2-1 — Concevoir des situations")
    assert all(len(c["name"]) <= 100 for c in choices)
    assert commands(harness) == []  # typing is not a command


def test_autocomplete_matching_rules() -> None:
    ref = TinyReferential()
    assert [c.value for c in competence_choices(ref, "B2.3")] == ["B2-3"]
    assert [c.value for c in competence_choices(ref, "ressources")] == ["A1-3", "B2-2"]
    assert [c.value for c in competence_choices(ref, "evaluer")] == ["C2-1"]  # accents folded
    assert len(competence_choices(ref, "")) == len(ref.ITEMS)
    assert len(competence_choices(ref, "", limit=2)) == 2


async def test_autocomplete_in_a_dm_uses_the_members_space(harness: Harness) -> None:
    dm = p.dm_channel(p.snowflake(), p.ALICE, "Alice")
    payload = p.autocomplete("declare", [opt("code", "a1", focused=True)], p.ALICE, "Alice", dm, guild_id=None)
    await harness.gateway("INTERACTION_CREATE", payload)
    (answer,) = harness.api.callbacks()
    assert [c["value"] for c in answer.json["data"]["choices"]] == ["A1-3"]


async def declaration_message(h: Harness, declaration_id: int = 17) -> dict:
    """A declaration message as the bot posted it, with its buttons, in a forum post."""
    post_id = p.snowflake()
    thread = p.thread(post_id, p.SOS_FORUM, "Déclaration")
    await h.gateway("THREAD_CREATE", {**thread, "newly_created": True})
    message = p.message(
        p.snowflake(),
        post_id,
        p.BOT_ID,
        "ticebot",
        "Alice déclare B2-3",
        bot=True,
        components=p.declaration_buttons(declaration_id),
    )
    return {"thread": thread, "message": message}


async def test_valider_button(harness: Harness) -> None:
    decl = await declaration_message(harness)
    click = p.button_click(
        "ticebot:decl:17:validate", p.FABIENNE, "Fabienne", decl["thread"], decl["message"], roles=[p.TRAINER_ROLE]
    )
    await harness.gateway("INTERACTION_CREATE", click)
    (event,) = commands(harness)
    assert (event.event_id, event.name, event.args) == (click["id"], "valider", "#17")
    assert event.user.id == str(p.FABIENNE)
    thread_id = decl["thread"]["id"]
    assert event.target == MessageRef(SOS, decl["message"]["id"])
    assert event.thread == ThreadRef(SOS, thread_id)
    (ack,) = harness.api.callbacks()
    assert ack.json["data"]["flags"] == EPHEMERAL


async def test_refuser_button_opens_a_modal_whose_motif_is_handed_over(harness: Harness) -> None:
    decl = await declaration_message(harness, 21)
    click = p.button_click("ticebot:decl:21:refuse", p.FABIENNE, "Fabienne", decl["thread"], decl["message"])
    await harness.gateway("INTERACTION_CREATE", click)
    assert commands(harness) == []  # nothing until the motif is typed
    (opened,) = harness.api.callbacks()
    assert opened.json["type"] == 9  # MODAL
    modal = opened.json["data"]
    assert modal["custom_id"] == "ticebot:decl:21:refuse:modal" and "21" in modal["title"]
    text_input = modal["components"][0]["components"][0]
    submit = p.modal_submit(
        modal["custom_id"],
        text_input["custom_id"],
        "  Il manque la trace.  ",
        p.FABIENNE,
        "Fabienne",
        decl["thread"],
        decl["message"],
    )
    await harness.gateway("INTERACTION_CREATE", submit)
    (event,) = commands(harness)
    assert (event.event_id, event.name, event.args) == (submit["id"], "refuser", "#21 Il manque la trace.")
    assert event.target is not None and event.target.id == decl["message"]["id"]


async def test_precisions_button_in_a_dm(harness: Harness) -> None:
    dm = p.dm_channel(p.snowflake(), p.FABIENNE, "Fabienne")
    message = p.message(
        p.snowflake(),
        int(dm["id"]),
        p.BOT_ID,
        "ticebot",
        "Déclaration #5",
        guild_id=None,
        bot=True,
        components=p.declaration_buttons(5),
    )
    click = p.button_click("ticebot:decl:5:precisions", p.FABIENNE, "Fabienne", dm, message, guild_id=None)
    await harness.gateway("INTERACTION_CREATE", click)
    modal = harness.api.callbacks()[0].json["data"]
    text_id = modal["components"][0]["components"][0]["custom_id"]
    await harness.gateway(
        "INTERACTION_CREATE",
        p.modal_submit(
            modal["custom_id"], text_id, "Quel niveau de classe ?", p.FABIENNE, "Fabienne", dm, message, guild_id=None
        ),
    )
    (event,) = commands(harness)
    assert (event.name, event.args, event.is_direct) == ("precisions", "#5 Quel niveau de classe ?", True)


async def test_buttons_still_work_after_a_restart() -> None:
    # A fresh client has never sent the message: the custom id alone carries the declaration.
    first = await Harness.start()
    decl = await declaration_message(first, 33)
    await first.close()
    restarted = await Harness.start()
    await restarted.gateway("THREAD_CREATE", {**decl["thread"], "newly_created": True})
    click = p.button_click("ticebot:decl:33:validate", p.FABIENNE, "Fabienne", decl["thread"], decl["message"])
    await restarted.gateway("INTERACTION_CREATE", click)
    assert [(e.name, e.args) for e in commands(restarted)] == [("valider", "#33")]


async def test_a_core_failure_is_told_privately(caplog) -> None:  # type: ignore[no-untyped-def]
    async def broken(event: object) -> None:
        raise RuntimeError("database down")

    h = await Harness.start(sink=broken)
    await h.gateway(
        "INTERACTION_CREATE", p.slash("sos", [opt("question", "mot de passe ENT")], p.ALICE, "Alice", GENERAL_PAYLOAD)
    )
    followups = h.api.find("POST", r"/webhooks/\d+/[^/]+")
    assert len(followups) == 1 and followups[0].json["flags"] == EPHEMERAL
    assert "mot de passe ENT" not in caplog.text
