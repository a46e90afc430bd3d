"""YAML configuration files read into validated models, with one error style: `file: field problem`.

Profiles, subtitle style profiles and glossaries are written by people; when one is wrong the error
names the file, the field (`video.fps`, `terms[2].vi`) and what is wrong with it, and is raised as
the caller's error class (a ProfileError for a profile, a SubtitleError for a glossary) so the CLI
gives it the right exit code. Text is read as UTF-8 (a BOM is allowed) and normalised to NFC.
What YAML would read silently wrong is refused with its place: a key given twice in one mapping (the
line of each), a surrogate escape or a NUL in a text (the field), nesting thousands deep.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import ManifestError, ReportageError
from .fsutil import nfc

M = TypeVar("M", bound=BaseModel)

# In a union field pydantic names the member that failed inside the location ("footage", 0, "str");
# such tags are not fields. `union_tags` adds the names of models used as union members.
_UNION_TAGS = frozenset({"str", "int", "float", "bool", "list", "dict"})


def location(loc: tuple[int | str, ...], union_tags: frozenset[str] = frozenset()) -> str:
    """A pydantic error location as a field path: ("terms", 2, "vi") → "terms[2].vi"."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in _UNION_TAGS or part in union_tags or "[" in part:  # "[": `function-after[...]`
            continue
        else:
            out += ("." if out else "") + part
    return out or "(top level)"


def _is_tag(part: int | str, union_tags: frozenset[str]) -> bool:
    return isinstance(part, str) and (part in _UNION_TAGS or part in union_tags or "[" in part)


def _branch_noise(errors: list[Any], union_tags: frozenset[str]) -> set[int]:
    """Errors of a union's members that only say the value is not of that member's kind ("should
    be a valid string" for a `{file: …}` entry), when another member says what is wrong with it."""
    branches: dict[tuple[Any, ...], dict[Any, list[int]]] = {}
    for index, err in enumerate(errors):
        loc = tuple(err["loc"])
        at = next((k for k, part in enumerate(loc) if _is_tag(part, union_tags)), None)
        if at is not None:
            branches.setdefault(loc[:at], {}).setdefault(loc[at], []).append(index)
    noise: set[int] = set()
    for members in branches.values():
        kind_only = {tag for tag, found in members.items()
                     if all(str(errors[i]["type"]).endswith("_type") for i in found)}
        if kind_only and len(kind_only) < len(members):
            noise |= {i for tag in kind_only for i in members[tag]}
    return noise


def problems(exc: ValidationError, union_tags: frozenset[str] = frozenset()) -> list[str]:
    """Each validation error as "field problem", duplicates removed, in pydantic's order."""
    lines = []
    errors = exc.errors()
    noise = _branch_noise(errors, union_tags)
    for index, err in enumerate(errors):
        if index in noise:
            continue
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "is required"
        elif err["type"] == "extra_forbidden":
            msg = "is not a known field (check its spelling)"
        lines.append(f"{location(tuple(err['loc']), union_tags)} {msg}")
    return list(dict.fromkeys(lines))


class _Refused(yaml.constructor.ConstructorError):
    """A document YAML would read, refused: the problem, where it is, and what to write instead."""

    def __init__(self, problem: str, mark: Any, hint: str) -> None:
        super().__init__(None, None, problem, mark)
        self.hint = hint


def _surrogate_fix(text: str) -> str:
    """What to write for the first surrogate in `text`: a pair written as two `\\u` escapes
    (JSON's way) is one character, written `\\U` and eight hex digits in YAML."""
    for index, char in enumerate(text):
        if "\ud800" <= char <= "\udbff" and index + 1 < len(text) and "\udc00" <= text[index + 1] <= "\udfff":
            code = 0x10000 + ((ord(char) - 0xD800) << 10) + (ord(text[index + 1]) - 0xDC00)
            return (f"write the character itself ({chr(code)}) or one escape, \\U{code:08X}, "
                    f"instead of the pair {ascii(char + text[index + 1])[1:-1]}")
    return "write the character itself, or an escape of a whole character (\\u00e0, \\U0001F3AC)"


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key given twice in one mapping: YAML keeps the last, so a
    second `id:` would silently make another programme."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            first: dict[Any, yaml.Node] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    earlier = first.setdefault(key, key_node)
                except TypeError:  # an unhashable key: the base class says so
                    continue
                if earlier is not key_node:
                    shown = key if not isinstance(key, str) else key[:80]
                    raise _Refused(f"the key {shown!r} is given twice (first at line {earlier.start_mark.line + 1})",
                                   key_node.start_mark, "keep one of them: YAML would silently use only the last")
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


def _text_problem(data: Any) -> tuple[str, str, str] | None:
    """(field, problem, fix) for the first text in `data` (keys too) that no file name or subtitle can
    hold: a surrogate escape (`"\\ud83c"`: YAML reads it as half a character) or a NUL."""
    seen: set[int] = set()
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            field = where or "(top level)"
            if any("\ud800" <= char <= "\udfff" for char in value):
                return (field, f"the text {ascii(value)[:100]} has a surrogate escape, which YAML does not read "
                        "as a character", _surrogate_fix(value))
            if "\0" in value:
                return field, f"the text {ascii(value)[:100]} has a NUL character", "remove the \\0 or \\x00 escape"
            continue
        if not isinstance(value, (dict, list)) or id(value) in seen:
            continue
        seen.add(id(value))
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        for key, item in reversed(items):
            if isinstance(key, int) and isinstance(value, list):
                inner = f"{where}[{key}]"
            else:
                name = key[:80] if isinstance(key, str) and key.isprintable() else ascii(key)[:80]
                inner = f"{where}.{name}" if where else name
                stack.append((f"{inner} (its name)", key))
            stack.append((inner, item))
    return None


def read_yaml(
    path: Path,
    *,
    what: str,
    error: type[ReportageError] = ManifestError,
    missing_hint: str | None = None,
) -> Any:
    """The parsed YAML document at `path` (None for an empty file), its text NFC.

    `what` names the kind of file in the "not found" message ("glossary not found").
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise error(f"{what} not found", path=path, hint=missing_hint) from exc
    except UnicodeDecodeError as exc:
        raise error(f"is not UTF-8 text ({exc.reason})", path=path, hint="save it as UTF-8") from exc
    except OSError as exc:
        raise error(f"cannot be read ({exc.strerror or exc})", path=path) from exc
    try:
        data = yaml.load(nfc(text), Loader=_StrictLoader)  # a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"is not valid YAML{where}: {problem}", path=path,
                    hint=getattr(exc, "hint", None)) from exc
    except RecursionError as exc:
        raise error("is not usable YAML: it nests lists or mappings too deeply", path=path,
                    hint="a configuration file needs a few levels, not thousands") from exc
    found = _text_problem(data)
    if found is not None:
        field, problem, fix = found
        raise error(f"{field}: {problem}", path=path, hint=fix)
    return data


def validate(
    data: Any,
    model: type[M],
    *,
    path: Path | str,
    error: type[ReportageError] = ManifestError,
    union_tags: frozenset[str] = frozenset(),
) -> M:
    """`data` as a `model`; every field that is wrong is listed in one error naming `path`."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error("; ".join(problems(exc, union_tags)), path=path) from exc


def load_yaml_model(
    path: Path,
    model: type[M],
    *,
    what: str,
    error: type[ReportageError] = ManifestError,
    shape: str = "",
    missing_hint: str | None = None,
) -> M:
    """Read `path` and validate it as `model`. The document must be a mapping (an empty file is an
    empty one); `shape` describes it for that error ("terms: [...]")."""
    data = read_yaml(path, what=what, error=error, missing_hint=missing_hint)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise error(f"must be a YAML mapping{f' ({shape})' if shape else ''}", path=path)
    return validate(data, model, path=path, error=error)
