"""Finding a command written inside a message: « …fiche jointe. /declare B2-3 https://… ».

People write the activity first and the command after it, or thank someone before validating. What
is *not* a command, because people quote or explain commands far more often than they mistype them:

- anything in quoted text (`> …` lines, Discord's `>>> ` block quote, Matrix reply fallbacks), inline
  code and code blocks: those words are someone else's, or an example;
- a command word glued to other characters (`https://exemple.org/declare`, `et/ou`, `“/declare”`);
- a command introduced as an instruction (« tapez /declare pour… », « utilisez /declare B2-3 votre
  lien », « exemple : /declare … »), or followed by placeholders (`<code>`, `[commentaire]`, « votre
  lien »): that is a help message, whoever wrote it.

How a command may be embedded is its own description (`@command(..., inline=...)`):
`code` — anywhere, when a competence-code-like word follows it (/declare, /positionner);
`anywhere` — anywhere (/valider, /refuser, /precisions in a reply);
`end` — only as the last word, and the text before it becomes its argument (« …comment faire ? /sos »).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

INLINE_MODES = ("code", "anywhere", "end")

_FENCE = re.compile(r"```.*?(?:```|$)", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_QUOTE_LINE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
_BLOCK_QUOTE = re.compile(r"^[ \t]*>>>[ \t].*", re.MULTILINE | re.DOTALL)  # Discord: the rest is quoted
# Preceded by the start or a blank, so URLs, paths and "et/ou" never match.
_CANDIDATE = re.compile(r"(?<!\S)[/!](?P<name>[^\W\d_][\w-]*)")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
# Competence codes as people type them: B2-3, b2.3, #B2-3, B23, 2.3, OR-1 ("e-mail" does not).
CODE_LIKE = re.compile(r"^#?(?:[A-Za-z]+\d*(?:[.\-]\d+[A-Za-z0-9]*)+|[A-Za-z]{1,2}\d+|\d+(?:[.\-]\d+)+)[,;:.]?$")
_QUALIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9]{1,9}$")  # "CRCN 2.3", "C2i2e B2-3"
_PLACEHOLDER = re.compile(
    r"<[^<>\n]{1,40}>|\[[^\[\]\n]{1,40}\]|\b(?:votre|vos|ton|ta|tes|your)\s+(?:lien|liens|trace|traces|code|codes|"
    r"commentaire|motif|question|link|links|comment|reason)\b",
    re.IGNORECASE)
# Words that introduce a command as an instruction, compared without accents or case. Only the few
# words just before the command count: « J'ai tapé mon texte avec mes élèves. /declare » is a use.
_CUES = frozenset("""
tapez tape tapes taper tapant ecrivez ecris ecrit ecrire ecrivant utilisez utilise utilises utiliser utilisant
saisissez saisis saisir envoyez envoie envoyer essayez essaie essaye essayer lancez lancer faites fais faire
pensez oubliez suffit pouvez peux devez dois faut commande commandes exemple exemples ex eg syntaxe via
type typing use using try write run send command example syntax
""".split())
_CUE_WINDOW = 3


@dataclass(frozen=True, slots=True)
class InlineMatch:
    name: str  # canonical command name
    args: str  # the command's own arguments (for `end`: the text before it)
    before: str  # the author's words before the command, quotes and code left out


def visible(text: str) -> str:
    """`text` with quotes and code blanked out (same length, newlines kept), so offsets still match."""
    def blank(match: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", match.group())

    for pattern in (_FENCE, _BLOCK_QUOTE, _QUOTE_LINE, _INLINE_CODE):
        text = pattern.sub(blank, text)
    return text


# Each non-ASCII character's folding, computed once (a str.translate table); bounded by the characters
# people type. Character by character is the same as NFKD on the whole text: its only step across
# characters reorders combining marks, and those are all dropped.
_FOLDED: dict[int, str] = {}


def fold(text: str) -> str:
    """Lowercase without accents: the form command names and cue words are compared in."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    table = _FOLDED
    for ch in set(folded):
        if ord(ch) > 127 and ord(ch) not in table:
            table[ord(ch)] = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return folded.translate(table)


def _introduced_as_help(before: str) -> bool:
    sentence = re.split(r"[.!?\n]", before)[-1]
    words = [fold(w).replace("’", "'").split("'")[-1] for w in _WORD.findall(sentence)]
    # An instruction word just before the command, or an imperative opening the sentence
    # (« Tapez votre question puis /sos »).
    return any(word in _CUES for word in words[-_CUE_WINDOW:]) or (bool(words) and words[0] in _CUES)


def _starts_with_code(args: str) -> bool:
    words = args.split()
    if not words:
        return False
    if CODE_LIKE.match(words[0]):
        return True
    return len(words) > 1 and bool(_QUALIFIER.match(words[0])) and bool(CODE_LIKE.match(words[1]))


def _squash(text: str) -> str:
    return re.sub(r"[ \t]+", " ", re.sub(r"\n\s*\n+", "\n", text)).strip()


def find_inline(text: str, names: dict[str, str], modes: dict[str, str]) -> InlineMatch | None:
    """The first command embedded in `text` that its rules accept, or None.

    `names` maps folded spellings to canonical names; `modes` maps canonical names to their
    inline mode (commands absent from `modes` are never taken from inside a message).
    """
    own = visible(text)
    for match in _CANDIDATE.finditer(own):
        name = names.get(fold(match.group("name")))
        mode = modes.get(name or "")
        if name is None or mode is None:
            continue
        before = _squash(own[: match.start()])
        after = own[match.end():]
        if after[:1] and not after[:1].isspace():
            continue  # "/declare," or "/declare»": named, not used
        args = after.strip()
        # Placeholders right after the command: « /declare B2-3 votre lien » is a template, while
        # « …j'ai repris ton lien avec mes 4e » further on is a trace.
        if _introduced_as_help(own[: match.start()]) or _PLACEHOLDER.search(args[:40]):
            continue
        if mode == "code" and not _starts_with_code(args):
            continue
        if mode == "end":
            if args.strip(" \t\n.!?…") or not before or _PLACEHOLDER.search(before[-40:]):
                continue
            args = before
        return InlineMatch(name=name, args=args, before=before)
    return None
