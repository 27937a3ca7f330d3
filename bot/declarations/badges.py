"""Open Badges 3.0 credentials for validated competences; `signing.py` turns each into a signed VC-JWT."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Declaration, Member, Review, Space
from bot.referential import Referential

CONTEXTS = ["https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
_NS = uuid.UUID("6f1b7c52-3f7e-4a3e-9d3c-2b7d8f0c1a11")


def credential(
    space: Space, ref: Referential, member: Member, decl: Declaration, review: Review | None,
    issuer: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The OpenBadgeCredential (unsigned); `issuer` is the issuer Profile (`signing.Issuer.profile`)."""
    valid_from = (review.at if review is not None else decl.updated_at).isoformat().replace("+00:00", "Z")
    achievement_id = f"urn:ticebot:achievement:{ref.id}:{ref.version}:{decl.code}"
    subject_id = f"urn:ticebot:member:{member.platform}:{member.platform_user_id}"
    level = decl.validated_level
    if level is not None:
        achievement_id += f":niveau-{level}"
    at_level = f" — niveau {level} {ref.level_name(level, decl.code)}".rstrip() if level is not None else ""
    return {
        "@context": CONTEXTS,
        "id": f"urn:uuid:{uuid.uuid5(_NS, f'{space.id}/{decl.id}')}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{ref.title} — {decl.code}{at_level}",
        "description": f"{decl.label}{at_level}",
        "issuer": issuer or {"id": f"urn:ticebot:space:{space.id}", "type": ["Profile"],
                             "name": f"ticebot — {space.id}"},
        "validFrom": valid_from,
        "credentialSubject": {
            "id": subject_id,
            "type": ["AchievementSubject"],
            "achievement": {
                "id": achievement_id,
                "type": ["Achievement"],
                "name": f"{decl.code}{at_level} — {decl.label}"[:250],
                "description": decl.label,
                "criteria": {"narrative": (
                    f"Compétence {decl.code} du référentiel « {ref.title} » (version {decl.referential_version})"
                    + (f", au niveau {level}" if level is not None else "") + ", déclarée avec une trace par la "
                    f"personne et validée par un formateur de l'espace {space.id}.")},
            },
        },
    }


async def badges_for(
    session: AsyncSession, member: Member, referentials: dict[str, Referential], space_id: str | None = None,
    issuer: dict[str, Any] | None = None,
) -> list[tuple[Declaration, dict[str, Any]]]:
    query = select(Declaration).where(Declaration.member_id == member.id, Declaration.state == "validated")
    if space_id:
        query = query.where(Declaration.space_id == space_id)
    out = []
    for decl in (await session.execute(query.order_by(Declaration.id))).scalars():
        space = await session.get(Space, decl.space_id)
        ref = referentials.get(decl.referential_id)
        if space is None or ref is None:
            continue
        review = (await session.execute(
            select(Review).where(Review.declaration_id == decl.id, Review.to_state == "validated")
            .order_by(Review.at.desc()).limit(1)
        )).scalar_one_or_none()
        out.append((decl, credential(space, ref, member, decl, review, issuer)))
    return out
