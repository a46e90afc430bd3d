"""YAML configuration files read into validated models, with one error style: `file: field problem`.

Profiles, subtitle style profiles and glossaries are written by people; when one is wrong the error
names the file, the field (`video.fps`, `terms[2].vi`) and what is wrong with it, and is raised as
the caller's error class (a ProfileError for a profile, a SubtitleError for a glossary) so the CLI
gives it the right exit code. Text is read as UTF-8 (a BOM is allowed) and normalised to NFC.
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


def problems(exc: ValidationError, union_tags: frozenset[str] = frozenset()) -> list[str]:
    """Each validation error as "field problem", duplicates removed, in pydantic's order."""
    lines = []
    for err in exc.errors():
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "is required"
        elif err["type"] == "extra_forbidden":
            msg = "is not a known field (check its spelling)"
        lines.append(f"{location(tuple(err['loc']), union_tags)} {msg}")
    return list(dict.fromkeys(lines))


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
        return yaml.safe_load(nfc(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"is not valid YAML{where}: {problem}", path=path) from exc


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
