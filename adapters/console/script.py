"""The replay script language: parse lines into steps (format documented in README, "Replay scripts")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.durations import parse_duration

PARIS = ZoneInfo("Europe/Paris")
ROLE_WORDS = {"member": "member", "membre": "member", "stagiaire": "member", "tutor": "tutor",
              "tuteur": "tutor", "trainer": "trainer", "formateur": "trainer", "coordinator": "coordinator",
              "coordinateur": "coordinator", "resource": "resource", "ressource": "resource"}  # fmt: skip


class ScriptError(Exception):
    def __init__(self, line_no: int, message: str) -> None:
        super().__init__(f"ligne {line_no} : {message}")
        self.line_no = line_no


@dataclass
class Step:
    line_no: int
    # space | person | channel | at | advance | post | reply | dm | react | edit | thread | expect | restart | down
    kind: str
    who: str = ""
    text: str = ""
    target: str = ""
    options: dict[str, str] = field(default_factory=dict)
    when: datetime | None = None
    delta: timedelta | None = None


_OPTION = re.compile(r"(\w+)=(\"[^\"]*\"|\S+)")
_POST = re.compile(r"^(?P<who>[\w.@:-]+)\s+in\s+(?P<channel>[\w-]+)(?:\s+\[(?P<title>[^\]]*)\])?\s*:\s?(?P<text>.*)$")
_SAY = re.compile(r"^(?P<who>[\w.@:-]+)\s+(?P<verb>reply|dm|edit)\s*:\s?(?P<text>.*)$")
_REACT = re.compile(r"^(?P<who>[\w.@:-]+)\s+react\s+(?P<emoji>\S+)(?:\s+to\s+(?P<target>bot|ticebot))?\s*$")


def _options(text: str) -> dict[str, str]:
    return {k: v.strip('"') for k, v in _OPTION.findall(text)}


def _strip_comment(line: str) -> str:
    # A "#" starts a comment only at the beginning or after two spaces, so "#B2-3" in a post survives.
    if line.lstrip().startswith("#"):
        return ""
    match = re.search(r"\s{2,}#", line)
    return line[: match.start()] if match else line


def parse_time(text: str, line_no: int) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ScriptError(line_no, f"date illisible « {text} » (exemple : 2026-09-07T09:00)") from exc
    return value if value.tzinfo else value.replace(tzinfo=PARIS)


def parse_line(raw: str, line_no: int) -> Step | None:
    line = _strip_comment(raw).strip()
    if not line:
        return None
    head, _, rest = line.partition(" ")
    word = head.lower()
    if word == "space":
        name, _, opts = rest.strip().partition(" ")
        if not name:
            raise ScriptError(line_no, "il manque le nom de l'espace (space NOM referential=c2i2e delay=4d)")
        return Step(line_no, "space", target=name, options=_options(opts))
    if word in ROLE_WORDS and ":" not in line:
        name, _, opts = rest.strip().partition(" ")
        if not name:
            raise ScriptError(line_no, f"il manque le nom de la personne après « {head} »")
        return Step(line_no, "person", who=name, target=ROLE_WORDS[word], options=_options(opts))
    if word == "channel":
        name, _, opts = rest.strip().partition(" ")
        options = _options(opts)
        if not name or "kind" not in options:
            raise ScriptError(line_no, "écrivez : channel NOM kind=sos|trainers|announcements|general")
        return Step(line_no, "channel", target=name, options=options)
    if word == "at":
        return Step(line_no, "at", when=parse_time(rest, line_no))
    if line.startswith("+"):
        try:
            return Step(line_no, "advance", delta=parse_duration(line))
        except ValueError as exc:
            raise ScriptError(line_no, str(exc)) from exc
    if word == "thread":
        if not rest.strip().isdigit():
            raise ScriptError(line_no, "écrivez : thread N (le N-ième fil ouvert, à partir de 1)")
        return Step(line_no, "thread", target=rest.strip())
    if word == "expect":
        return Step(line_no, "expect", text=rest.strip())
    if word == "restart" and not rest.strip():
        return Step(line_no, "restart")
    if word == "down":
        try:
            return Step(line_no, "down", delta=parse_duration(rest))
        except ValueError as exc:
            raise ScriptError(line_no, f"écrivez : down DURÉE (le bot est arrêté pendant ce temps) ; {exc}") from exc
    if match := _POST.match(line):
        return Step(line_no, "post", who=match["who"], target=match["channel"], text=match["text"],
                    options={"title": match["title"] or ""})
    if match := _SAY.match(line):
        return Step(line_no, match["verb"], who=match["who"], text=match["text"])
    if match := _REACT.match(line):
        return Step(line_no, "react", who=match["who"], text=match["emoji"], target=match["target"] or "")
    raise ScriptError(line_no, f"ligne incomprise : « {line} » (voir le format dans le README)")


def parse_script(text: str) -> list[Step]:
    steps = []
    for number, raw in enumerate(text.splitlines(), start=1):
        step = parse_line(raw, number)
        if step is not None:
            steps.append(step)
    return steps
