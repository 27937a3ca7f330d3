"""What the bot does, capability by capability: read this file to know it.

Each capability lists, in order, the observers it adds to every post and reaction, the commands it
answers, the scheduled steps it fires and what it arms at start-up. `build_registry()` assembles an
app from all of them (or from a subset, for tests); nothing is registered by importing a module.
Post observers run in the order the capabilities are listed below, which matters: the first-contact
notice comes first, tagging runs before SOS so that a new question's tags can route it, and
declarations come last so a member's answer in a declaration thread is seen after SOS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bot.registry import Registry


def delivery(reg: Registry) -> None:
    """Messages the bot could not deliver: coordinators get a summary (the outbox keeps them for a retry)."""
    from bot import delivery_failures

    reg.add_steps(delivery_failures.report_failures)


def privacy(reg: Registry) -> None:
    """Consent, first-contact notice, access and erasure, retention purge."""
    from bot.privacy import commands, consent, erase, retention

    reg.add_post_observers(consent.first_contact)
    reg.add_commands(consent.consentement, commands.mes_donnees, commands.oublier)
    reg.add_steps(erase.scrub_outbox, retention.retention)
    reg.add_startup_hooks(retention.arm_retention)


def tagging(reg: Registry) -> None:
    """Every contribution tagged against the space's referential; trainers' corrections."""
    from bot.tagging import service

    reg.add_post_observers(service.tagging_on_post)
    reg.add_startup_hooks(service.prepare_taggers)
    reg.add_commands(service.tag_command, service.untag_command)


def sos(reg: Registry) -> None:
    """SOS TICE: questions, answers and endorsements, the escalation policy (levels, assignments, claims
    chased, breach), availability and the on-call rota with its Monday handover, the SLA report."""
    from bot.sos import (
        absent_command,
        breach,
        claims,
        commands,
        followups,
        handover,
        ladder,
        permanence_command,
        questions,
        rota_holes,
        sla_command,
    )

    reg.add_post_observers(questions.sos_on_post)
    reg.add_reaction_observers(questions.sos_on_reaction)
    reg.add_commands(commands.sos, commands.resolu, commands.claim, commands.passer, commands.pas_resolu,
                     commands.reouvrir, sla_command.sla, absent_command.absent, permanence_command.permanence)
    reg.add_steps(ladder.nudge, ladder.oncall, ladder.referent, ladder.resource, ladder.trainers,
                  ladder.coordinator, ladder.backup, claims.claim_reminder, claims.claim_lapse, breach.breach,
                  breach.breach_coordinator, followups.next_reply, followups.solved_check, handover.handover,
                  rota_holes.rota_check)
    reg.add_startup_hooks(handover.arm_handovers, rota_holes.arm_rota_checks)


def faq(reg: Registry) -> None:
    """The community remembers: similar resolved questions linked when a question arrives (bot/sos asks
    bot/faq when this capability is wired), ✅ on that acknowledgement resolves it "par la FAQ", `/faq`."""
    from bot.faq import commands, index, resolve

    reg.add_reaction_observers(resolve.faq_on_reaction)
    reg.add_commands(commands.faq)
    reg.add_startup_hooks(index.prepare_faq_indexes)


def declarations(reg: Registry) -> None:
    """Declarations of competences (and CRCN levels), reviews, portfolio, the member's bilan, review reminders."""
    from bot.declarations import bilan, commands, levels, observer, portfolio, reminders

    reg.add_post_observers(observer.member_answered)
    reg.add_commands(commands.declare, levels.positionner, commands.valider, commands.refuser,
                     commands.precisions, commands.a_valider, commands.confidentialite, portfolio.portfolio,
                     bilan.bilan_command)
    reg.add_steps(reminders.remind)


def digest(reg: Registry) -> None:
    """Weekly digests: community, personal, formateur."""
    from bot.digest import commands, schedule

    reg.add_commands(commands.digest)
    reg.add_steps(schedule.community_step, schedule.personal_step, schedule.trainer_step)
    reg.add_startup_hooks(schedule.arm_all)


def general(reg: Registry) -> None:
    """Help and language."""
    from bot.services import general as commands

    reg.add_commands(commands.aide, commands.langue)


def web(reg: Registry) -> None:
    """The dashboard's one-time login links (`/tableau`); the pages themselves are served by bot/web/app.py."""
    from bot.web import command

    reg.add_commands(command.tableau)


CAPABILITIES: dict[str, Callable[[Registry], None]] = {
    "delivery": delivery,
    "privacy": privacy,
    "tagging": tagging,
    "sos": sos,
    "faq": faq,
    "declarations": declarations,
    "digest": digest,
    "general": general,
    "web": web,
}


def build_registry(capabilities: Iterable[str] | None = None) -> Registry:
    """A fresh registry with the named capabilities (all by default), wired in the order above."""
    wanted = list(CAPABILITIES) if capabilities is None else list(capabilities)
    unknown = [name for name in wanted if name not in CAPABILITIES]
    if unknown:
        raise ValueError(f"unknown capabilities: {', '.join(unknown)}")
    reg = Registry()
    for name, wire in CAPABILITIES.items():
        if name in wanted:
            wire(reg)
            reg.capabilities.append(name)
    return reg
