"""Range comments as the review room takes them: a note over an in/out range, with a shape drawn on
the picture, a reply under it, resolved or reopened, deleted by its author or a producer.

Checked here before `records/review.py` writes them, as `state.add_note` checks a plain note (whose
rules the text, name and times follow). The room has no accounts: a reviewer's name is what the page
sends (kept in the browser), so "only the author may delete" guards against a slip, not against a
reviewer who types someone else's name. The producers are named when the room is started
(`reportage review --producer NAME`): they may delete anyone's note, as a producer tidies a review
before it is exported; the same caveat holds for their names.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from ..fsutil import nfc
from ..records import review as review_record
from ..records.review import SHAPES, Drawing, Note
from ..workspace import Workspace
from .errors import Invalid, NotFound, ReviewRefused
from .state import MAX_NOTE_CHARS, author_name

MAX_POINTS = 400
"""A freehand line's points, at most (the page thins a stroke to fewer)."""


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Forbidden(ReviewRefused):
    """The reviewer may not do this to someone else's note (delete it)."""

    status = 403


def drawing_of(value: Any) -> Drawing | None:
    """A shape from the page (`{shape, points: [[x, y], …]}`, fractions of the programme frame), its
    points kept within the frame; None when none was drawn. Invalid for anything else."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise Invalid("the drawing must be an object {shape, points}")
    shape = value.get("shape")
    if shape not in SHAPES:
        raise Invalid(f"the drawing's shape must be one of {', '.join(SHAPES)}")
    raw = value.get("points")
    if not isinstance(raw, list) or not 2 <= len(raw) <= MAX_POINTS:
        raise Invalid(f"the drawing needs 2 to {MAX_POINTS} points [x, y]")
    points = []
    for point in raw:
        try:
            x, y = float(point[0]), float(point[1])
        except (TypeError, ValueError, IndexError, KeyError):
            raise Invalid("each point of the drawing must be [x, y], fractions 0–1 of the picture") from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise Invalid("a point of the drawing is not a number")
        points.append((round(min(1.0, max(0.0, x)), 4), round(min(1.0, max(0.0, y)), 4)))
    if shape != "pen":
        points = [points[0], points[-1]]
    return Drawing(str(shape), tuple(points))


def _text(value: Any) -> str:
    body = nfc(str(value or "")).strip()
    if not body:
        raise Invalid("the note has no text")
    if len(body) > MAX_NOTE_CHARS:
        raise Invalid(f"the note is longer than {MAX_NOTE_CHARS} characters")
    return body


def _find(notes: list[Note], note_id: str) -> Note:
    for note in notes:
        if note.id == note_id:
            return note
    raise NotFound(f"there is no note {note_id!r}", hint="reload the page: it may have been deleted")


def add_comment(ws: Workspace, body: Mapping[str, Any], duration_ms: int | None,
                deliverables: frozenset[str]) -> Note:
    """A note from the page's JSON: `in_ms`, `out_ms`, `author`, `text`, and optionally `drawing`,
    `deliverable` (one of `deliverables`, those rendered) and `parent` (a reply: its range and
    deliverable are its note's). Invalid / NotFound, nothing written, when something is wrong."""
    notes = review_record.read_notes(ws)
    parent_id = str(body.get("parent") or "")
    if parent_id:
        parent = _find(notes, parent_id)
        if parent.parent:
            raise Invalid("a reply goes under the note it answers, not under another reply",
                          hint=f"reply to note {parent.parent}")
        note = Note(uuid.uuid4().hex[:12], parent.in_ms, parent.out_ms, author_name(body.get("author")),
                    _text(body.get("text")), _now(), parent=parent.id, deliverable=parent.deliverable)
        review_record.add_note(ws, note)
        return note
    try:
        start = int(body.get("in_ms"))  # type: ignore[arg-type]
        out = body.get("out_ms")
        end = int(out) if out is not None else start
    except (TypeError, ValueError):
        raise Invalid("in and out must be whole milliseconds") from None
    if start < 0 or end < start:
        raise Invalid(f"the out point ({end} ms) is before the in point ({start} ms)" if start >= 0
                      else "the in point is before the start of the programme",
                      hint="set the in point (I) before the out point (O)")
    if duration_ms is not None and start > duration_ms:
        raise Invalid(f"the in point ({start} ms) is past the end of the programme ({duration_ms} ms)")
    deliverable = nfc(str(body.get("deliverable") or ""))
    if deliverable and deliverable not in deliverables:
        raise Invalid(f"there is no rendered deliverable {deliverable!r}", hint="reload the page")
    note = Note(uuid.uuid4().hex[:12], start, end, author_name(body.get("author")), _text(body.get("text")),
                _now(), deliverable=deliverable, drawing=drawing_of(body.get("drawing")))
    review_record.add_note(ws, note)
    return note


def resolve(ws: Workspace, note_id: str, by: Any, resolved: bool) -> Note:
    """Mark a note resolved by `by` (anyone reviewing may), or open again; a reply is resolved with
    its note, not on its own."""
    name = author_name(by)
    note = _find(review_record.read_notes(ws), note_id)
    if note.parent:
        raise Invalid("a reply is resolved with its note", hint=f"resolve note {note.parent}")
    changed = dataclasses.replace(note, resolved_by=name if resolved else "", resolved_at=_now() if resolved else "")
    review_record.replace_note(ws, changed)
    return changed


def delete(ws: Workspace, note_id: str, by: Any, producers: Iterable[str] = ()) -> None:
    """Delete a note (and its replies) when `by` wrote it or is one of the `producers`; Forbidden
    (403) for anyone else."""
    name = author_name(by)
    note = _find(review_record.read_notes(ws), note_id)
    allowed = {nfc(note.author).casefold(), *(nfc(p).casefold() for p in producers)}
    if name.casefold() not in allowed:
        who = f"{note.author} or a producer" if producers else note.author
        raise Forbidden(f"only {who} may delete this note (you are {name})",
                        hint="reply to it, or mark it resolved, instead")
    review_record.delete_note(ws, note_id)
