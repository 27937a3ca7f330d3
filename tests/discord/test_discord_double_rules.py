"""The double enforces what Discord documents (one module per rule), and the adapter copes with each:
message and embed limits, rate limits, forums, archived and locked threads, permissions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import discord_payloads as p
import pytest
from discord_fakes import Harness
from double_api import FakeDiscordAPI
from double_clock import ManualClock, WallClock
from double_rate_limits import RateLimits

from bot.actions import MarkThread, ReplyInThread, SendMessage
from bot.ports import DeliveryFailed, NotAttempted, RetryLater
from bot.refs import ChannelRef, ThreadRef

SOS = ChannelRef("discord", str(p.SOS_FORUM))
GENERAL = ChannelRef("discord", str(p.GENERAL))


async def post(api: FakeDiscordAPI, channel: int, body: dict[str, Any]) -> tuple[int, Any]:
    answer = await api.answer("POST", f"/channels/{channel}/messages", body, [])
    return answer.status, answer.body


@pytest.fixture
def api() -> FakeDiscordAPI:
    found = FakeDiscordAPI()
    found.observe("GUILD_CREATE", p.guild())
    return found


# ---------------------------------------------------------------- message and embed limits


async def test_the_double_refuses_what_discord_refuses_in_a_message(api: FakeDiscordAPI) -> None:
    status, body = await post(api, p.GENERAL, {"content": "x" * 2001})
    assert status == 400 and body["code"] == 50035 and "content" in body["errors"]
    assert (await post(api, p.GENERAL, {"content": "x" * 2000}))[0] == 200
    assert (await post(api, p.GENERAL, {"content": ""}))[1]["code"] == 50006
    assert "embeds" in (await post(api, p.GENERAL, {"embeds": [{"title": "t"}] * 11}))[1]["errors"]
    title = await post(api, p.GENERAL, {"embeds": [{"title": "t" * 257}]})
    assert title[1]["errors"]["embeds"]["0"]["title"]
    fields = [{"name": "n", "value": "v" * 1024}] * 6  # six fields of 1,025 characters: over 6,000 in all
    assert "embeds" in (await post(api, p.GENERAL, {"embeds": [{"fields": fields}]}))[1]["errors"]
    assert (await post(api, p.GENERAL, {"embeds": [{"fields": fields[:5]}]}))[0] == 200


async def test_a_long_message_is_always_accepted_because_the_adapter_splits_it(harness: Harness) -> None:
    text = "\n\n".join(f"Paragraphe {i} : " + "mot " * 300 for i in range(8))  # ~9,700 characters
    await harness.adapter.deliver(SendMessage(GENERAL, text))
    calls = harness.api.sent(p.GENERAL)
    assert len(calls) >= 5 and all(c.status == 200 for c in calls)
    assert " ".join(c.content or "" for c in calls).split() == text.split()  # nothing lost, nothing added


# ---------------------------------------------------------------- rate limits


def test_the_double_counts_per_route_buckets_and_the_global_limit() -> None:
    clock = ManualClock()
    limits = RateLimits(clock)
    for _ in range(5):
        assert limits.check("POST", "/channels/1/messages") is None
    status, body, headers = limits.check("POST", "/channels/1/messages")  # type: ignore[misc]
    assert status == 429 and body["global"] is False and 0 < body["retry_after"] <= 5
    assert headers["X-RateLimit-Scope"] == "user" and headers["X-RateLimit-Remaining"] == "0" and headers["Via"]
    assert limits.check("POST", "/channels/2/messages") is None  # another channel, another bucket
    clock.advance(5.0)
    assert limits.check("POST", "/channels/1/messages") is None
    clock.advance(1.0)
    for _ in range(50):
        limits.check("GET", "/users/@me")
    status, body, headers = limits.check("GET", "/users/@me")  # type: ignore[misc]
    assert status == 429 and body["global"] is True and headers["X-RateLimit-Global"] == "true"
    assert limits.check("POST", "/interactions/1/tok/callback") is None  # not under the global limit
    ok = limits.headers("POST", "/channels/2/messages")
    assert set(ok) == {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Reset-After",
                       "X-RateLimit-Bucket"}


@pytest.fixture
async def limited() -> AsyncIterator[Harness]:
    api = FakeDiscordAPI(clock=WallClock(), rate_limits=True)
    assert api.rate_limits is not None
    api.rate_limits.tighten("create-message", 2, 0.3)
    h = await Harness.start(api=api)
    yield h
    await h.close()


async def test_discord_py_waits_on_the_headers_the_double_sends(limited: Harness) -> None:
    for i in range(5):
        await limited.adapter.deliver(SendMessage(GENERAL, f"Message {i}"))
    calls = limited.api.sent(p.GENERAL)
    assert [c.content for c in calls if c.status == 200] == [f"Message {i}" for i in range(5)]
    assert limited.api.rate_limits is not None and limited.api.rate_limits.refused == []  # never refused


async def test_a_storm_of_429s_is_ridden_out_or_handed_back_to_the_outbox(limited: Harness) -> None:
    assert limited.api.rate_limits is not None
    limited.api.rate_limits.storm(seconds=0.3, retry_after=0.1)
    await limited.adapter.deliver(SendMessage(GENERAL, "Pendant la tempête"))  # discord.py retried
    assert [c.status for c in limited.api.sent(p.GENERAL)][-1] == 200
    limited.api.rate_limits.storm(seconds=120, retry_after=120)
    with pytest.raises(NotAttempted) as caught:  # beyond what discord.py waits: back to the outbox, uncounted
        await limited.adapter.deliver(SendMessage(GENERAL, "Plus tard"))
    assert caught.value.retry_after == pytest.approx(120, abs=0.01)  # the double rounds to ms, like Discord


# ---------------------------------------------------------------- forums and threads


async def test_a_forum_takes_only_threads(api: FakeDiscordAPI, harness: Harness) -> None:
    assert (await post(api, p.SOS_FORUM, {"content": "Bonjour"}))[1]["code"] == 40058
    await harness.adapter.deliver(SendMessage(SOS, "**Annonce**\nLa FAQ est à jour."))
    assert harness.api.sent(p.SOS_FORUM) == []
    (created,) = harness.api.find("POST", rf"/channels/{p.SOS_FORUM}/threads")
    assert created.status == 201


async def archived_post(h: Harness, *, locked: bool = False) -> int:
    post_id = p.snowflake()
    await h.gateway("THREAD_CREATE", {**p.thread(post_id, p.SOS_FORUM, "Question"), "newly_created": True})
    h.api.add_message(p.message(post_id, post_id, p.ALICE, "Alice", "Question ?"))
    h.api.archive(post_id, locked=locked)  # archived since the gateway told us about it
    return post_id


async def test_archived_threads_refuse_writes_and_the_adapter_unarchives(harness: Harness) -> None:
    post_id = await archived_post(harness)
    assert (await post(harness.api, post_id, {"content": "x"}))[1]["code"] == 50083
    await harness.adapter.deliver(ReplyInThread(ThreadRef(SOS, str(post_id)), "Relance"))
    statuses = [(c.method, c.status) for c in harness.api.calls if c.path.startswith(f"/channels/{post_id}")]
    assert statuses[-3:] == [("POST", 400), ("PATCH", 200), ("POST", 200)]  # refused, unarchived, sent
    assert harness.api.channels[post_id]["thread_metadata"]["archived"] is False


async def test_a_tag_on_an_archived_post_unarchives_it_in_the_same_edit(harness: Harness) -> None:
    post_id = p.snowflake()
    harness.api.add_channel(p.thread(post_id, p.SOS_FORUM, "Question", archived=True))  # not in the cache
    await harness.adapter.deliver(MarkThread(ThreadRef(SOS, str(post_id)), "resolved"))
    (edit,) = harness.api.find("PATCH", rf"/channels/{post_id}")
    assert edit.status == 200 and edit.json["archived"] is False


async def test_a_locked_thread_without_manage_threads_fails_for_good(harness: Harness) -> None:
    post_id = await archived_post(harness, locked=True)
    harness.api.permissions.no_manage_threads.add(p.SOS_FORUM)
    with pytest.raises(DeliveryFailed):
        await harness.adapter.deliver(ReplyInThread(ThreadRef(SOS, str(post_id)), "Relance"))
    harness.api.permissions.no_manage_threads.clear()  # with the permission the README asks for: it works
    await harness.adapter.deliver(ReplyInThread(ThreadRef(SOS, str(post_id)), "Relance"))
    assert harness.api.sent(post_id)[-1].status == 200


# ---------------------------------------------------------------- permissions


async def test_missing_permissions_and_missing_access_are_permanent(harness: Harness) -> None:
    harness.api.permissions.read_only.add(p.GENERAL)
    with pytest.raises(DeliveryFailed, match="50013"):
        await harness.adapter.deliver(SendMessage(GENERAL, "Bonjour"))
    harness.api.permissions.read_only.clear()
    harness.api.permissions.hidden.add(p.TRAINERS)
    with pytest.raises(DeliveryFailed, match="50001"):
        await harness.adapter.deliver(SendMessage(ChannelRef("discord", str(p.TRAINERS)), "Bonjour"))


async def test_server_errors_stay_retryable(harness: Harness) -> None:
    harness.api.fail("POST", rf"/channels/{p.GENERAL}/messages", 503)  # discord.py retries 500/502/504 itself
    with pytest.raises(RetryLater) as caught:
        await harness.adapter.deliver(SendMessage(GENERAL, "Bonjour"))
    assert not isinstance(caught.value, NotAttempted)  # a real attempt: it counts
