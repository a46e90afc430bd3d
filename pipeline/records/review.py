"""`review/notes.json` and `review/approval.json`: what the review room keeps (the room, through
`pipeline/review/state.py`, is their only writer), read by package, the NLE export and the room.

`notes.json` is a list of notes `{id, in_ms, out_ms, author, text, created}`, kept in the order they
were added. `approval.json` holds the latest verdict (`approved` or `changes_requested`) with who,
when, a comment and the SHA-256 of every render and subtitle file at that moment (by path relative
to the programme folder), and the earlier verdicts as `history`. Whether an approval still counts
(the files unchanged) is the room's question (`review.state.approval_state`), not the record's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from .. import fsutil
from ..errors import WorkspaceError
from ..workspace import Workspace

Verdict = Literal["approved", "changes_requested"]
VERDICTS: tuple[str, ...] = ("approved", "changes_requested")


@dataclass(frozen=True)
class Note:
    """A reviewer's timecoded note, in programme milliseconds."""

    id: str
    in_ms: int
    out_ms: int
    author: str
    text: str
    created: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "in_ms": self.in_ms, "out_ms": self.out_ms, "author": self.author,
                "text": self.text, "created": self.created}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Note:
        start = int(data.get("in_ms") or 0)
        end = data.get("out_ms")
        return cls(str(data.get("id") or ""), start, int(end) if end is not None else start,
                   str(data.get("author") or ""), str(data.get("text") or ""), str(data.get("created") or ""))


@dataclass(frozen=True)
class VerdictEntry:
    """One verdict as the history keeps it: what, who, when, and the comment."""

    verdict: Verdict
    by: str
    at: str
    comment: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "by": self.by, "at": self.at, "comment": self.comment}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VerdictEntry:
        return cls(_verdict(data.get("verdict")), str(data.get("by") or ""), str(data.get("at") or ""),
                   str(data.get("comment") or ""))


@dataclass(frozen=True)
class Approval:
    """The latest verdict over the files as they were then, and the verdicts before it."""

    verdict: Verdict
    by: str
    at: str
    comment: str
    files: Mapping[str, str]
    """`{path relative to the programme folder: SHA-256}` of every render and subtitle file judged."""
    history: tuple[VerdictEntry, ...] = field(default_factory=tuple)

    @property
    def approved(self) -> bool:
        return self.verdict == "approved"

    def entry(self) -> VerdictEntry:
        """This verdict as the next one's history keeps it."""
        return VerdictEntry(self.verdict, self.by, self.at, self.comment)

    def to_json(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "by": self.by, "at": self.at, "comment": self.comment,
                "files": dict(self.files), "history": [h.to_json() for h in self.history]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Approval:
        files = data.get("files")
        return cls(_verdict(data.get("verdict")), str(data.get("by") or ""), str(data.get("at") or ""),
                   str(data.get("comment") or ""),
                   {str(k): str(v) for k, v in files.items()} if isinstance(files, Mapping) else {},
                   tuple(VerdictEntry.from_json(h) for h in data.get("history") or () if isinstance(h, Mapping)))


def _verdict(value: Any) -> Verdict:
    if value not in VERDICTS:
        raise ValueError(f"the verdict {value!r} is not one of {', '.join(VERDICTS)}")
    return cast(Verdict, value)


def review_dir(ws: Workspace) -> Path:
    return ws.dir / "review"


def notes_path(ws: Workspace) -> Path:
    return review_dir(ws) / "notes.json"


def approval_path(ws: Workspace) -> Path:
    return review_dir(ws) / "approval.json"


def read_notes(ws: Workspace) -> list[Note]:
    """Every note in programme order (in point, then creation time); [] before the first. A file that
    cannot be read is a WorkspaceError naming it (it is never overwritten: notes in it would be lost)."""
    return sorted(_stored_notes(ws), key=lambda n: (n.in_ms, n.created))


def _stored_notes(ws: Workspace) -> list[Note]:
    """The notes in the order the file keeps them (the order they were added)."""
    path = notes_path(ws)
    if not path.is_file():
        return []
    hint = "repair or delete the file (notes in it would be lost)"
    try:
        data = fsutil.read_json(path)
    except (OSError, ValueError) as exc:
        raise WorkspaceError(f"cannot read review notes ({exc})", path=path, hint=hint) from exc
    if not isinstance(data, list):
        raise WorkspaceError("review notes are not a JSON list", path=path, hint=hint)
    notes = []
    for number, entry in enumerate(data, 1):
        if not isinstance(entry, Mapping):
            continue
        try:
            notes.append(Note.from_json(entry))
        except (TypeError, ValueError) as exc:
            raise WorkspaceError(f"review note {number} is not in the expected form ({exc})", path=path,
                                 hint=hint) from exc
    return notes


def add_note(ws: Workspace, note: Note) -> None:
    """Append a note (the review room checks it first)."""
    write_notes(ws, [*_stored_notes(ws), note])


def delete_note(ws: Workspace, note_id: str) -> bool:
    """Delete the note `note_id`; False when there is none."""
    notes = _stored_notes(ws)
    kept = [n for n in notes if n.id != note_id]
    if len(kept) == len(notes):
        return False
    write_notes(ws, kept)
    return True


def write_notes(ws: Workspace, notes: Sequence[Note]) -> Path:
    """Write the notes, in the order given (the review room adds and deletes them one by one)."""
    path = notes_path(ws)
    fsutil.write_json(path, [n.to_json() for n in notes])
    return path


def read_approval(ws: Workspace) -> Approval | None:
    """The latest verdict, None when nobody has given one; a WorkspaceError naming the file when it
    cannot be read or is not in the expected form."""
    path = approval_path(ws)
    if not path.is_file():
        return None
    hint = "approve the programme again in `reportage review`"
    try:
        data = fsutil.read_json(path)
    except (OSError, ValueError) as exc:
        raise WorkspaceError(f"cannot read the approval ({exc})", path=path, hint=hint) from exc
    try:
        if not isinstance(data, Mapping):
            raise ValueError("not a JSON object")
        return Approval.from_json(data)
    except (TypeError, ValueError, AttributeError) as exc:
        raise WorkspaceError(f"the approval is not in the expected form ({exc})", path=path, hint=hint) from exc


def write_approval(ws: Workspace, approval: Approval) -> Path:
    """Write the verdict (the review room is its only writer)."""
    path = approval_path(ws)
    fsutil.write_json(path, approval.to_json())
    return path
