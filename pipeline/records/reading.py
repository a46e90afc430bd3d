"""The one way a record is read back: a JSON object from its file, parsed by the record's own type,
and anything unreadable said as a WorkspaceError naming the file, what it is and the stage that
writes it again. None when the file is not there (the stage has not run yet); the caller decides
whether that is an error."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from .. import fsutil
from ..errors import WorkspaceError

T = TypeVar("T")

UNREADABLE = (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, ZeroDivisionError)
"""What a damaged or hand-edited record can raise while it is parsed (a record of an unknown version
raises its own WorkspaceError, which passes through)."""


def read_record(path: Path, parse: Callable[[Mapping[str, Any]], T], what: str, hint: str) -> T | None:
    """`parse` of the JSON object in `path`; None when there is no file; WorkspaceError
    "`what` is unreadable (…)" with `hint` when it cannot be read or parsed."""
    if not path.is_file():
        return None
    try:
        data = fsutil.read_json(path)
        if not isinstance(data, Mapping):
            raise ValueError("not a JSON object")
        return parse(data)
    except UNREADABLE as exc:
        raise WorkspaceError(f"{what} is unreadable ({exc})", path=path, hint=hint) from exc
