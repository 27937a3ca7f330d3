"""Posts that are neither questions nor answers: thanks, bumps, greetings."""

from __future__ import annotations

import re
from functools import lru_cache

from bot.commands.parser import fold

_CHATTER = re.compile(
    r"^(merci|mercii+|thanks?|thank you|thx|up|\^+|bump|bonjour|bonsoir|salut|hello|coucou|ok|okay|"
    r"d'accord|daccord|super|genial|top|parfait|cool|nickel|bravo|oui|non|yes|no|"
    r"merci beaucoup|merci a tous|merci a toi|merci bien|toujours pas de reponse|personne \?)"
    r"[\s!.,;:)(\-]*$"
)
_EMOJI_ONLY = re.compile(r"^[\W_]+$", re.UNICODE)


@lru_cache(maxsize=256)  # a new SOS post is asked twice: for its kind at insert, then by the observer
def is_chatter(text: str) -> bool:
    cleaned = fold(text).strip()
    if not cleaned or _EMOJI_ONLY.match(cleaned):
        return True
    if len(cleaned) > 60:
        return False
    words = re.sub(r"[^\w' ?]", " ", cleaned).split()
    return bool(_CHATTER.match(" ".join(words))) or bool(
        words and words[0] in {"merci", "thanks", "up"} and len(words) <= 5 and "?" not in cleaned
    )


def looks_like_question(text: str) -> bool:
    return "?" in text and not is_chatter(text)
