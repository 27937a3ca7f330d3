"""Where services plug in: observers of posts and reactions, and handlers of scheduled steps."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import ScheduledStep
from bot.events import PostCreated, ReactionAdded

if TYPE_CHECKING:
    from bot.context import Context
    from bot.core import Core

PostObserver = Callable[["Context", PostCreated], Awaitable[None]]
ReactionObserver = Callable[["Context", ReactionAdded], Awaitable[None]]


@dataclass
class StepRun:
    core: Core
    session: AsyncSession
    step: ScheduledStep
    now: datetime


StepHandler = Callable[[StepRun], Awaitable[None]]
StartupHook = Callable[["Core"], Awaitable[None]]

# Order matters: tagging runs before SOS so a new question's tags can route it.
POST_OBSERVERS: list[tuple[int, PostObserver]] = []
REACTION_OBSERVERS: list[ReactionObserver] = []
STEP_HANDLERS: dict[str, StepHandler] = {}
# Run once after the configuration is synced into the database (e.g. arm each space's digest schedule).
STARTUP_HOOKS: list[StartupHook] = []


def on_post(order: int = 50) -> Callable[[PostObserver], PostObserver]:
    def register(fn: PostObserver) -> PostObserver:
        POST_OBSERVERS.append((order, fn))
        POST_OBSERVERS.sort(key=lambda item: item[0])
        return fn

    return register


def on_reaction(fn: ReactionObserver) -> ReactionObserver:
    REACTION_OBSERVERS.append(fn)
    return fn


def on_step(kind: str) -> Callable[[StepHandler], StepHandler]:
    def register(fn: StepHandler) -> StepHandler:
        STEP_HANDLERS[kind] = fn
        return fn

    return register


def on_startup(fn: StartupHook) -> StartupHook:
    STARTUP_HOOKS.append(fn)
    return fn
