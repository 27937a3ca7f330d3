"""Levels (CRCN 1–8): `/positionner <code> <niveau> <trace>`, and the level a validator recognises.

A member positions themself at a level with evidence; a validator validates that level or a lower
one (`/valider 2.3 niveau 3`), never a higher one: the member re-positions for that. Validating
without a level recognises the level declared.
"""

from __future__ import annotations

import re

from bot.commands.parser import ParsedCommand
from bot.commands.registry import command
from bot.context import Context, UserError
from bot.db.models import Declaration
from bot.declarations.parsing import parse_declare
from bot.referential import Referential

USAGE = "/positionner <code> <niveau> <trace>"
# "4", "niveau 4", "niv. 4", "level 4", "n4", "4/8" at the start of the text.
_DECLARED_LEVEL = re.compile(r"^(?:(?:niveau|niv\.?|level|n)\s*)?(\d{1,3})(?:\s*/\s*\d{1,3})?(?=\s|$|[,;:.])[\s,;:.]*",
                             re.IGNORECASE)
# In a review the word is required: « /valider 3 belles séances » is a comment.
_REVIEW_LEVEL = re.compile(r"^(?:niveau|niv\.?|level)\s*(\S*)[\s,;:.]*", re.IGNORECASE)
_BARE_NUMBER = re.compile(r"^\d{1,3}$")


def scale_of(ref: Referential, code: str | None = None) -> list[int]:
    return ref.level_numbers(code)


def _scale_values(ref: Referential, code: str | None) -> dict[str, object]:
    numbers = scale_of(ref, code)
    names = [f"{n} {ref.level_name(n, code)}".strip() for n in numbers]
    return {"low": numbers[0], "high": numbers[-1], "names": names}


def _no_levels(ref: Referential) -> UserError:
    return UserError("declarations/no_levels", referential=ref.title, example=ref.competences()[0].code)


# Not "niveau" or "level": in a DM a plain word is a command, and those words start ordinary sentences.
@command("positionner", "se-positionner", usage=USAGE, inline="code")
async def positionner(ctx: Context, cmd: ParsedCommand) -> None:
    from bot.declarations.commands import record_declarations, require_space

    space = require_space(ctx)
    ref = ctx.core.referential_for(space)
    if not scale_of(ref):
        raise _no_levels(ref)
    example = next(c.code for c in ref.competences() if scale_of(ref, c.code))
    usage = dict(example=example, referential=ref.title, **_scale_values(ref, example))
    if not cmd.args.strip():
        raise UserError("declarations/positionner_usage", **usage)
    parsed = parse_declare(cmd.args, ref, ctx.core.referentials)
    if len(parsed.codes) != 1:
        raise UserError("declarations/positionner_usage", **usage)
    [code] = parsed.codes
    match = _DECLARED_LEVEL.match(parsed.trace)
    if match is None:
        raise UserError("declarations/positionner_usage", **usage)
    level = int(match.group(1))
    if not scale_of(ref, code):
        raise _no_levels(ref)
    if level not in scale_of(ref, code):
        raise UserError("declarations/bad_level", level=level, code=code, **_scale_values(ref, code))
    await record_declarations(ctx, ref, [code], parsed.trace[match.end():].strip(), cmd, level=level)


def recognised_level(ref: Referential, decl: Declaration, text: str) -> tuple[int | None, str]:
    """The level a validation recognises and the rest of the comment (UserError on a mistake).

    `niveau N` at the start of the comment; none given → the level declared (None without levels).
    """
    match = _REVIEW_LEVEL.match(text)
    scale = scale_of(ref, decl.code)
    if match is None:
        if decl.level is not None and _BARE_NUMBER.match(text.strip()):
            # « /valider 2.3 3 »: most likely a level, but a comment looks the same; ask.
            raise UserError("declarations/level_syntax", id=decl.id, code=decl.code, level=text.strip(),
                            declared=decl.level)
        return decl.level, text
    if not scale:
        raise _no_levels(ref)
    written, rest = match.group(1), text[match.end():].strip()
    if not written.isdigit():
        raise UserError("declarations/level_syntax", id=decl.id, code=decl.code, level=written or "?",
                        declared=decl.level)
    level = int(written)
    if level not in scale:
        raise UserError("declarations/bad_level", level=level, code=decl.code, **_scale_values(ref, decl.code))
    if decl.level is not None and level > decl.level:
        raise UserError("declarations/level_above", id=decl.id, code=decl.code, level=level, declared=decl.level)
    return level, rest
