"""`review/notes.json` and `review/approval.json`: what the review room keeps (the room, through
`pipeline/review/state.py`, is their only writer), read by package, the NLE export and the room.

`notes.json` is a list of notes `{id, in_ms, out_ms, author, text, created}`, kept in the order they
were added; a note may also carry `parent` (the note it replies to: one level of thread), `deliverable`
(the render it was watched on), `drawing` (a shape on the picture, in coordinates 0–1 of the programme
frame, so one drawing fits every deliverable the frame is placed in: `review.watch`) and `resolved_by`
/ `resolved_at`. Those keys are optional on reading, so a list written before them reads unchanged and
needs no version. `approval.json` holds the latest decision (`approved`, `approved_with_changes` or
`changes_requested`, as review tools label them) with who, when, a comment, the SHA-256 of every
render and subtitle file at that moment (by path relative to the programme folder) and the obstacles
the approver set aside knowingly (`overrides`, each with its reason), and the earlier decisions as
`history`. Whether an approval still counts (the files unchanged) is the room's question
(`review.state.approval_state`) and what stands in its way `review.obstacles`'s, not the record's.
A record without a `version` is of the first shape (`verdict`: `approved` or `changes_requested`,
no overrides) and reads into the same types.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from .. import fsutil
from ..errors import WorkspaceError
from ..workspace import Workspace

Decision = Literal["approved", "approved_with_changes", "changes_requested"]
DECISIONS: tuple[str, ...] = ("approved", "approved_with_changes", "changes_requested")
APPROVING: frozenset[str] = frozenset({"approved", "approved_with_changes"})
"""The decisions that let the files they name be delivered (`approved_with_changes`: the changes
asked for are in the comment, and the files as approved may go)."""
APPROVAL_VERSION = 2
"""The shape of approval.json. 2: `decision` (with `approved_with_changes`) and `overrides`; a record
without a version is of the first shape (`verdict`, no overrides)."""


@dataclass(frozen=True)
class Override:
    """An obstacle to approval the approver set aside knowingly: which one (`id`: a QC check as
    `<deliverable>:<check id>`, or the obstacle's kind), what it said then, why, and who."""

    id: str
    kind: str
    problem: str
    reason: str
    by: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "problem": self.problem, "reason": self.reason, "by": self.by}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Override:
        reason = str(data.get("reason") or "").strip()
        if not reason:
            raise ValueError(f"the override of {data.get('id')!r} has no reason")
        return cls(str(data.get("id") or ""), str(data.get("kind") or ""), str(data.get("problem") or ""), reason,
                   str(data.get("by") or ""))


def _overrides(value: Any) -> tuple[Override, ...]:
    return tuple(Override.from_json(o) for o in value or () if isinstance(o, Mapping))


SHAPES: tuple[str, ...] = ("rect", "arrow", "pen")
"""What a reviewer can draw on the frame: a rectangle or an arrow (two corners / tail and head) or a
freehand line (its points)."""


@dataclass(frozen=True)
class Drawing:
    """A shape drawn over the picture, its points as (x, y) fractions 0–1 of the programme frame (not
    of the deliverable's picture: a 9:16 cut places that frame inside its own, `review.watch`)."""

    shape: str
    points: tuple[tuple[float, float], ...]

    def to_json(self) -> dict[str, Any]:
        return {"shape": self.shape, "points": [[x, y] for x, y in self.points]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Drawing:
        shape = str(data.get("shape") or "")
        if shape not in SHAPES:
            raise ValueError(f"the drawing's shape {shape!r} is not one of {', '.join(SHAPES)}")
        points = tuple((float(p[0]), float(p[1])) for p in data.get("points") or ())
        if len(points) < 2:
            raise ValueError("a drawing needs at least two points")
        return cls(shape, points)


@dataclass(frozen=True)
class Note:
    """A reviewer's timecoded note, in programme milliseconds: a comment over a range, or a reply to
    one (`parent`), possibly with a shape drawn on the picture and marked resolved by someone."""

    id: str
    in_ms: int
    out_ms: int
    author: str
    text: str
    created: str
    parent: str = ""
    """The id of the note this one replies to; "" for a note that starts a thread."""
    deliverable: str = ""
    """The deliverable the reviewer was watching (the drawing is in programme-frame terms anyway)."""
    drawing: Drawing | None = None
    resolved_by: str = ""
    resolved_at: str = ""

    @property
    def resolved(self) -> bool:
        return bool(self.resolved_by)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "in_ms": self.in_ms, "out_ms": self.out_ms, "author": self.author,
                "text": self.text, "created": self.created, "parent": self.parent or None,
                "deliverable": self.deliverable or None,
                "drawing": self.drawing.to_json() if self.drawing is not None else None,
                "resolved_by": self.resolved_by or None, "resolved_at": self.resolved_at or None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Note:
        start = int(data.get("in_ms") or 0)
        end = data.get("out_ms")
        drawing = data.get("drawing")
        return cls(str(data.get("id") or ""), start, int(end) if end is not None else start,
                   str(data.get("author") or ""), str(data.get("text") or ""), str(data.get("created") or ""),
                   str(data.get("parent") or ""), str(data.get("deliverable") or ""),
                   Drawing.from_json(drawing) if isinstance(drawing, Mapping) else None,
                   str(data.get("resolved_by") or ""), str(data.get("resolved_at") or ""))


@dataclass(frozen=True)
class DecisionEntry:
    """One decision as the history keeps it: what, who, when, the comment and the overrides."""

    decision: Decision
    by: str
    at: str
    comment: str = ""
    overrides: tuple[Override, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"decision": self.decision, "by": self.by, "at": self.at, "comment": self.comment,
                "overrides": [o.to_json() for o in self.overrides]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DecisionEntry:
        return cls(_decision(data), str(data.get("by") or ""), str(data.get("at") or ""),
                   str(data.get("comment") or ""), _overrides(data.get("overrides")))


@dataclass(frozen=True)
class Approval:
    """The latest decision over the files as they were then, and the decisions before it."""

    decision: Decision
    by: str
    at: str
    comment: str
    files: Mapping[str, str]
    """`{path relative to the programme folder: SHA-256}` of every render and subtitle file judged."""
    history: tuple[DecisionEntry, ...] = field(default_factory=tuple)
    overrides: tuple[Override, ...] = ()
    """The obstacles set aside for this decision, each with its reason (`review.obstacles`)."""

    @property
    def approved(self) -> bool:
        """Whether the decision lets the files it names be delivered."""
        return self.decision in APPROVING

    def entry(self) -> DecisionEntry:
        """This decision as the next one's history keeps it."""
        return DecisionEntry(self.decision, self.by, self.at, self.comment, self.overrides)

    def to_json(self) -> dict[str, Any]:
        return {"version": APPROVAL_VERSION, "decision": self.decision, "by": self.by, "at": self.at,
                "comment": self.comment, "files": dict(self.files),
                "overrides": [o.to_json() for o in self.overrides], "history": [h.to_json() for h in self.history]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Approval:
        """A record of this shape or the first (ValueError for a newer one, whose meaning is unknown here)."""
        version = data.get("version", 1)
        if not isinstance(version, int) or isinstance(version, bool) or version > APPROVAL_VERSION:
            raise ValueError(f"it is of version {version!r}; this reportage reads up to {APPROVAL_VERSION}")
        files = data.get("files")
        return cls(_decision(data), str(data.get("by") or ""), str(data.get("at") or ""),
                   str(data.get("comment") or ""),
                   {str(k): str(v) for k, v in files.items()} if isinstance(files, Mapping) else {},
                   tuple(DecisionEntry.from_json(h) for h in data.get("history") or () if isinstance(h, Mapping)),
                   _overrides(data.get("overrides")))


def _decision(data: Mapping[str, Any]) -> Decision:
    """The decision of a record or history entry: `decision`, or a first-shape record's `verdict`."""
    value = data["decision"] if "decision" in data else data.get("verdict")
    if value not in DECISIONS:
        raise ValueError(f"the decision {value!r} is not one of {', '.join(DECISIONS)}")
    return cast(Decision, value)


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


def replace_note(ws: Workspace, note: Note) -> bool:
    """Put `note` in place of the stored note with its id (resolved, unresolved); False when there is none."""
    notes = _stored_notes(ws)
    if not any(n.id == note.id for n in notes):
        return False
    write_notes(ws, [note if n.id == note.id else n for n in notes])
    return True


def delete_note(ws: Workspace, note_id: str) -> bool:
    """Delete the note `note_id` and the replies to it (a reply without its note would hang in the
    air); False when there is none."""
    notes = _stored_notes(ws)
    kept = [n for n in notes if n.id != note_id and n.parent != note_id]
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
    """The latest decision, None when nobody has given one; a WorkspaceError naming the file when it
    cannot be read, is not in the expected form or is of a newer shape."""
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
    """Write the decision (the review room is its only writer, once `review.obstacles` let it)."""
    path = approval_path(ws)
    fsutil.write_json(path, approval.to_json())
    return path
