"""Load referential YAML files and explain every problem with file, line and a fix hint.

ruamel's round-trip loader keeps line numbers on every mapping and sequence; validation errors
(pydantic locations or `semantic_problems` paths) are paths into that tree, so the same
`_line_of` turns any of them into the line a human should look at.
"""

from __future__ import annotations

import difflib
import io
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from bot.referential.model import Referential, semantic_problems
from bot.resources import REFERENTIAL_DIR as _REFERENTIAL_DIR

REFERENTIAL_DIR: Path = _REFERENTIAL_DIR  # the repository's referential/, or the copy shipped in the wheel


@dataclass(frozen=True)
class Problem:
    file: Path
    line: int | None
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else str(self.file)
        return f"{where}: {self.message}" + (f" (hint: {self.hint})" if self.hint else "")


class ReferentialError(Exception):
    """One or more problems; str() gives one "file:line: message (hint: ...)" line per problem."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class _Parsed:
    path: Path
    ref: Referential | None = None
    root: Any = None
    problems: list[Problem] = field(default_factory=list)

    def line(self, path: tuple[str | int, ...]) -> int | None:
        return _line_of(self.root, path)


def load_referential(path: Path) -> Referential:
    parsed = _parse(Path(path))
    if parsed.problems or parsed.ref is None:
        raise ReferentialError(parsed.problems)
    return parsed.ref


def load_all(directory: Path | None = None) -> dict[str, Referential]:
    parsed, problems = _parse_directory(Path(directory) if directory else REFERENTIAL_DIR)
    if problems:
        raise ReferentialError(problems)
    return {p.ref.id: p.ref for p in parsed if p.ref is not None}


def check(path: Path | None = None) -> list[Problem]:
    """Problems of one file or of every `*.yaml` of a directory (empty list = all good)."""
    path = Path(path) if path else REFERENTIAL_DIR
    if path.is_dir():
        return _parse_directory(path)[1]
    parsed = _parse(path)
    if parsed.ref is None:
        return parsed.problems
    # A lone file's crosswalks are resolved against its neighbours, then the shipped referentials.
    known: dict[str, Referential] = {}
    for directory in (REFERENTIAL_DIR, path.parent):
        for other in _yaml_files(directory):
            if other.resolve() != path.resolve():
                ref = _parse(other).ref
                if ref is not None:
                    known[ref.id] = ref
    return parsed.problems + _crosswalk_target_problems(parsed, known)


def _yaml_files(directory: Path) -> list[Path]:
    # `<id>.examples.yaml` holds the tagger's seed posts for a referential, not a referential.
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("*.yaml") if not p.name.endswith(".examples.yaml"))


def _parse_directory(directory: Path) -> tuple[list[_Parsed], list[Problem]]:
    files = _yaml_files(directory)
    if not directory.is_dir():
        return [], [Problem(directory, None, "not a directory", "pass the folder holding <id>.yaml files")]
    parsed = [_parse(f) for f in files]
    problems = [p for item in parsed for p in item.problems]
    known: dict[str, Referential] = {}
    for item in parsed:
        if item.ref is None:
            continue
        if item.ref.id != item.path.stem:
            problems.append(Problem(item.path, item.line(("id",)),
                                    f"id {item.ref.id!r} differs from the file name",
                                    f"rename the file {item.ref.id}.yaml or set id: {item.path.stem}"))
        if item.ref.id in known:
            problems.append(Problem(item.path, item.line(("id",)),
                                    f"duplicate referential id {item.ref.id!r}",
                                    "each referential needs its own id"))
        known.setdefault(item.ref.id, item.ref)
    for item in parsed:
        problems += _crosswalk_target_problems(item, known)
    return parsed, problems


def _crosswalk_target_problems(item: _Parsed, known: dict[str, Referential]) -> list[Problem]:
    if item.ref is None:
        return []
    problems = []
    for wi, walk in enumerate(item.ref.crosswalks):
        target = known.get(walk.to)
        if target is None:
            problems.append(Problem(item.path, item.line(("crosswalks", wi, "to")),
                                    f"crosswalk to unknown referential {walk.to!r}",
                                    f"known referentials: {', '.join(sorted(known)) or 'none'}"))
            continue
        for li, link in enumerate(walk.links):
            for ti, code in enumerate(link.targets):
                if target.get(code) is None:
                    close = difflib.get_close_matches(code, [c.code for c in target.competences()], 3)
                    hint = f"did you mean {' / '.join(close)}?" if close else f"see `show {walk.to}`"
                    problems.append(Problem(
                        item.path, item.line(("crosswalks", wi, "links", li, "targets", ti)),
                        f"crosswalk {link.code} → {code!r}: no such code in {walk.to}",
                        hint))
    return problems


def _parse(path: Path) -> _Parsed:
    parsed = _Parsed(path)
    try:
        parsed.root = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        parsed.problems.append(Problem(path, None, f"cannot read file: {exc.strerror}", "check the path"))
        return parsed
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        message = " ".join(str(s) for s in (exc.context, exc.problem) if s)
        parsed.problems.append(Problem(path, line, f"YAML syntax error: {message}",
                                       "check indentation, colons and quotes on this line or the one above"))
        return parsed
    except YAMLError as exc:
        parsed.problems.append(Problem(path, None, f"YAML error: {exc}", "check the file's syntax"))
        return parsed
    if not isinstance(parsed.root, CommentedMap):
        parsed.problems.append(Problem(path, 1, "a referential file must be a mapping (id:, title:, ...)",
                                       "start from referential/c2i2e.yaml"))
        return parsed

    parsed.problems += _derived_key_problems(parsed)
    if parsed.problems:
        return parsed
    try:
        parsed.ref = Referential.model_validate(_plain(parsed.root))
    except ValidationError as exc:
        parsed.problems += [_from_pydantic(parsed, err) for err in exc.errors()]
        return parsed
    for sp in semantic_problems(parsed.ref):
        hint = sp.hint
        if sp.related is not None:
            hint += f"; first defined on line {parsed.line(sp.related)}"
        parsed.problems.append(Problem(path, parsed.line(sp.path), sp.message, hint))
    # `ref` stays set even with semantic problems so cross-file checks can still report on it;
    # load_referential refuses it because `problems` is not empty.
    return parsed


def _derived_key_problems(parsed: _Parsed) -> list[Problem]:
    # `domain` exists on Competence for callers, but in a file the nesting already says it.
    problems = []
    domains = parsed.root.get("domains")
    for di, domain in enumerate(domains if isinstance(domains, CommentedSeq) else []):
        comps = domain.get("competences") if isinstance(domain, CommentedMap) else None
        for ci, comp in enumerate(comps if isinstance(comps, CommentedSeq) else []):
            if isinstance(comp, CommentedMap) and "domain" in comp:
                line = parsed.line(("domains", di, "competences", ci, "domain"))
                problems.append(Problem(parsed.path, line, "unknown key 'domain' in a competence",
                                        "remove it: the enclosing domain sets it"))
    return problems


def _plain(node: Any) -> Any:
    """ruamel containers and scalar subclasses → plain Python, so pydantic sees ordinary types."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, CommentedSeq | list):
        return [_plain(v) for v in node]
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def _line_of(root: Any, path: tuple[str | int, ...]) -> int | None:
    """1-based line of the deepest node of `path` present in the tree."""
    if not isinstance(root, CommentedMap | CommentedSeq):
        return None
    line: int = root.lc.line
    node: Any = root
    for key in path:
        if isinstance(node, CommentedMap) and key in node:
            line = node.lc.key(key)[0]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
            line = node.lc.item(key)[0]
        else:
            break
        node = node[key]
    return line + 1


def _model_at(path: tuple[str | int, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Referential
    for key in path:
        if isinstance(key, int):
            continue
        if model is None or key not in model.model_fields:
            return None
        model = _inner_model(model.model_fields[key].annotation)
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None


def _where(root: Any, loc: tuple[str | int, ...]) -> str:
    """Name the nearest enclosing competence/domain so messages read "in competence B2-3"."""
    node: Any = root
    name = ""
    for key in loc:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, CommentedMap) and "code" in node:
            kind = "competence" if "competences" not in node else "domain"
            name = f" in {kind} {node['code']}"
    return name


def _from_pydantic(parsed: _Parsed, err: Any) -> Problem:
    loc = tuple(err["loc"])
    line = parsed.line(loc)
    kind = err["type"]
    key = loc[-1] if loc else ""
    where = _where(parsed.root, loc[:-1])
    if kind == "missing":
        return Problem(parsed.path, line, f"missing required key {key!r}{where}",
                       f"add `{key}: ...`" + (" with the official French wording" if key == "label" else ""))
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        allowed = list(model.model_fields) if model else []
        close = difflib.get_close_matches(str(key), allowed, 1)
        hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
        return Problem(parsed.path, line, f"unknown key {key!r}{where}", hint)
    value = err.get("input")
    if kind == "string_type" and isinstance(value, int | float):
        return Problem(parsed.path, line, f"{key!r}{where} must be text, got the number {value!r}",
                       f'quote it, e.g. {key}: "{value}" (YAML reads 2.10 as the number 2.1)')
    if kind == "string_too_short":
        return Problem(parsed.path, line, f"{key!r}{where} is empty", "write the text or remove the entry")
    return Problem(parsed.path, line, f"{'.'.join(map(str, loc)) or 'file'}{where}: {err['msg']}",
                   "see referential/c2i2e.yaml for a complete example")


def to_data(ref: Referential) -> dict[str, Any]:
    """The referential as the plain structure of its YAML file (derived fields left out)."""
    data = ref.model_dump(mode="json", exclude_defaults=True)
    data["language"] = ref.language
    data = {k: data[k] for k in Referential.model_fields if k in data}
    scale = [level.model_dump() for level in ref.levels]
    for domain in data["domains"]:
        for competence in domain.get("competences", []):
            competence.pop("domain", None)
            # Levels copied from the shared scale by the model are not written back per competence.
            if scale and competence.get("levels") == scale:
                competence.pop("levels")
    return data


def dump_yaml(ref: Referential) -> str:
    yaml = YAML(typ="rt")
    yaml.width = 4096  # one label per line: diffs of data files stay readable
    yaml.allow_unicode = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    stream = io.StringIO()
    yaml.dump(to_data(ref), stream)
    return stream.getvalue()
