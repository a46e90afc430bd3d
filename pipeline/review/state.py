"""What the review room stores in `workspace/<id>/review/`: timecoded notes and the approval, checked
here before they are written (the records and their reader: `records/review.py`).

`notes.json` is a list of `{id, in_ms, out_ms, author, text, created}`. `approval.json` holds the
latest verdict (`approved` or `changes_requested`) with who, when, a comment and the SHA-256 of
every current render and subtitle file at that moment, plus the earlier verdicts as history. The
approval counts only while those files are unchanged: `approval_state` compares them with the files
as they are now, which is what `reportage package` asks before it builds a bag.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from .. import stagerun
from ..fsutil import nfc
from ..records import review as review_record
from ..records.review import VERDICTS, Approval, Note, Verdict, approval_path, notes_path, read_approval, review_dir
from ..render.state import read_render_record
from ..sheetcells import csv_row
from ..subs import WRITTEN_FORMATS
from ..timecode import ms_to_timecode
from ..workspace import Workspace
from .errors import Invalid, NotFound

__all__ = ["MAX_AUTHOR_CHARS", "MAX_NOTE_CHARS", "VERDICTS", "Approval", "ApprovalState", "Note", "Verdict", "add_note",
           "approval_path", "approval_state", "author_name", "current_outputs", "delete_note", "notes_csv",
           "notes_path", "read_approval", "read_notes", "record_verdict", "review_dir"]
MAX_NOTE_CHARS = 4000
MAX_AUTHOR_CHARS = 80


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def author_name(author: Any) -> str:
    """A reviewer's name as stored: NFC, one line, not empty."""
    name = " ".join(nfc(str(author or "")).split())
    if not name:
        raise Invalid("a name is needed (who is reviewing?)")
    if len(name) > MAX_AUTHOR_CHARS:
        raise Invalid(f"the name is longer than {MAX_AUTHOR_CHARS} characters")
    return name


# -- notes ----------------------------------------------------------------------------------------

def read_notes(ws: Workspace) -> list[Note]:
    """Every note, in programme order (in point, then creation time)."""
    return review_record.read_notes(ws)


def add_note(ws: Workspace, in_ms: Any, out_ms: Any, author: Any, text: Any,
             duration_ms: int | None = None) -> Note:
    """Validate and append one note; returns it. Invalid (nothing written) for bad times or text."""
    try:
        start, end = int(in_ms), int(out_ms if out_ms is not None else in_ms)
    except (TypeError, ValueError):
        raise Invalid("in and out must be whole milliseconds") from None
    if start < 0 or end < start:
        raise Invalid(f"the out point ({end} ms) is before the in point ({start} ms)" if start >= 0
                      else "the in point is before the start of the programme")
    if duration_ms is not None and start > duration_ms:
        raise Invalid(f"the in point ({start} ms) is past the end of the programme ({duration_ms} ms)")
    body = nfc(str(text or "")).strip()
    if not body:
        raise Invalid("the note has no text")
    if len(body) > MAX_NOTE_CHARS:
        raise Invalid(f"the note is longer than {MAX_NOTE_CHARS} characters")
    note = Note(uuid.uuid4().hex[:12], start, end, author_name(author), body, _now())
    review_record.add_note(ws, note)
    return note


def delete_note(ws: Workspace, note_id: str) -> None:
    if not review_record.delete_note(ws, note_id):
        raise NotFound(f"there is no note {note_id!r}")


def notes_csv(notes: Sequence[Note], rate: Any) -> str:
    """The notes as CSV (UTF-8 with BOM, so spreadsheet programs read the diacritics)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "in", "out", "in_ms", "out_ms", "author", "text", "created"])
    for n in notes:  # formula-like text is quote-prefixed (sheetcells)
        writer.writerow(csv_row([n.id, ms_to_timecode(n.in_ms, rate), ms_to_timecode(n.out_ms, rate), n.in_ms,
                                 n.out_ms, n.author, n.text, n.created]))
    return "\ufeff" + out.getvalue()


# -- approval ---------------------------------------------------------------------------------------

def _rel(ws: Workspace, path: Path) -> str:
    try:
        return path.resolve().relative_to(ws.dir.resolve()).as_posix()
    except ValueError:
        return str(path)


def current_outputs(ws: Workspace, deliverables: Sequence[str] | None = None) -> dict[str, str]:
    """`{path relative to the programme folder: SHA-256}` of the renders (of `deliverables`, or every
    one the render record has) and of every subtitle file, as they are now."""
    record = read_render_record(ws)
    names = list(deliverables) if deliverables is not None else sorted(record.deliverables)
    files = [m for n in names if (e := record.get(n)) is not None and e.present() for m in e.members]
    files += [p for lang in ("vi", "en") for ext in WRITTEN_FORMATS if (p := ws.subtitle(lang, ext)).is_file()]
    return {_rel(ws, p): stagerun.content_hash(ws, p) for p in files}


def record_verdict(ws: Workspace, verdict: Any, author: Any, comment: Any = "",
                   deliverables: Sequence[str] | None = None) -> Approval:
    """Record `approved` or `changes_requested` over the outputs as they are now."""
    if verdict not in VERDICTS:
        raise Invalid(f"the verdict must be one of {', '.join(VERDICTS)}")
    files = current_outputs(ws, deliverables)
    if verdict == "approved" and not files:
        raise Invalid("there is nothing to approve yet: no render and no subtitle file")
    previous = read_approval(ws)
    history = (*previous.history, previous.entry()) if previous else ()
    entry = Approval(cast(Verdict, verdict), author_name(author), _now(),
                     nfc(str(comment or "")).strip()[:MAX_NOTE_CHARS], files, history)
    review_record.write_approval(ws, entry)
    return entry


@dataclass(frozen=True)
class ApprovalState:
    """Whether the outputs as they are now are the ones approved; `changed` names those that differ."""

    state: Literal["approved", "stale", "changes_requested", "none"]
    record: Approval | None = None
    changed: list[str] = field(default_factory=list)

    @property
    def approved(self) -> bool:
        return self.state == "approved"

    @property
    def reason(self) -> str:
        if self.state == "none":
            return "nobody has approved them"
        if self.state == "changes_requested":
            by = (self.record.by or "?") if self.record else "?"
            return f"{by} asked for changes"
        if self.state == "stale":
            return "changed since approval: " + ", ".join(self.changed[:4]) + (" …" if len(self.changed) > 4 else "")
        return "approved"

    def to_dict(self) -> dict[str, Any]:
        latest = self.record.to_json() if self.record is not None else {}
        history = latest.pop("history", [])
        return {"state": self.state, "approved": self.approved, "reason": self.reason, "changed": self.changed,
                "record": latest or None, "history": history}


def approval_state(ws: Workspace, deliverables: Sequence[str] | None = None) -> ApprovalState:
    """The approval measured against the current renders (of `deliverables`) and subtitle files."""
    latest = read_approval(ws)
    if latest is None:
        return ApprovalState("none")
    if not latest.approved:
        return ApprovalState("changes_requested", latest)
    now = current_outputs(ws, deliverables)
    changed = sorted(p for p, digest in now.items() if latest.files.get(p) != digest)
    return ApprovalState("stale" if changed or not now else "approved", latest, changed)
