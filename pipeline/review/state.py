"""What the review room stores in `workspace/<id>/review/`: timecoded notes and the approval.

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
from typing import Any, Literal

from .. import stagerun
from ..errors import WorkspaceError
from ..fsutil import nfc, read_json, write_json
from ..render.state import read_render_record
from ..sheetcells import csv_row
from ..subs import WRITTEN_FORMATS
from ..timecode import ms_to_timecode
from ..workspace import Workspace
from .errors import Invalid, NotFound

Verdict = Literal["approved", "changes_requested"]
VERDICTS: tuple[str, ...] = ("approved", "changes_requested")
MAX_NOTE_CHARS = 4000
MAX_AUTHOR_CHARS = 80


def review_dir(ws: Workspace) -> Path:
    return ws.dir / "review"


def notes_path(ws: Workspace) -> Path:
    return review_dir(ws) / "notes.json"


def approval_path(ws: Workspace) -> Path:
    return review_dir(ws) / "approval.json"


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _read_list(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    try:
        data = read_json(path)
    except (OSError, ValueError) as exc:
        raise WorkspaceError(f"cannot read review notes ({exc})", path=path,
                             hint="repair or delete the file (notes in it would be lost)") from exc
    if not isinstance(data, list):
        raise WorkspaceError("review notes are not a JSON list", path=path)
    return [n for n in data if isinstance(n, dict)]


def author_name(author: Any) -> str:
    """A reviewer's name as stored: NFC, one line, not empty."""
    name = " ".join(nfc(str(author or "")).split())
    if not name:
        raise Invalid("a name is needed (who is reviewing?)")
    if len(name) > MAX_AUTHOR_CHARS:
        raise Invalid(f"the name is longer than {MAX_AUTHOR_CHARS} characters")
    return name


# -- notes ----------------------------------------------------------------------------------------

def read_notes(ws: Workspace) -> list[dict[str, Any]]:
    """Every note, in programme order (in point, then creation time)."""
    return sorted(_read_list(notes_path(ws)), key=lambda n: (int(n.get("in_ms", 0)), str(n.get("created", ""))))


def add_note(ws: Workspace, in_ms: Any, out_ms: Any, author: Any, text: Any,
             duration_ms: int | None = None) -> dict[str, Any]:
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
    note = {"id": uuid.uuid4().hex[:12], "in_ms": start, "out_ms": end, "author": author_name(author),
            "text": body, "created": _now()}
    notes = _read_list(notes_path(ws))
    notes.append(note)
    write_json(notes_path(ws), notes)
    return note


def delete_note(ws: Workspace, note_id: str) -> None:
    notes = _read_list(notes_path(ws))
    kept = [n for n in notes if n.get("id") != note_id]
    if len(kept) == len(notes):
        raise NotFound(f"there is no note {note_id!r}")
    write_json(notes_path(ws), kept)


def notes_csv(notes: Sequence[dict[str, Any]], rate: Any) -> str:
    """The notes as CSV (UTF-8 with BOM, so spreadsheet programs read the diacritics)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "in", "out", "in_ms", "out_ms", "author", "text", "created"])
    for n in notes:
        writer.writerow(csv_row([n["id"], ms_to_timecode(int(n["in_ms"]), rate),
                                 ms_to_timecode(int(n["out_ms"]), rate), n["in_ms"], n["out_ms"], n["author"],
                                 n["text"], n["created"]]))  # formula-like text quote-prefixed (sheetcells)
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
    files = [e.path for n in names if (e := record.get(n)) is not None and e.path.is_file()]
    files += [p for lang in ("vi", "en") for ext in WRITTEN_FORMATS if (p := ws.subtitle(lang, ext)).is_file()]
    return {_rel(ws, p): stagerun.content_hash(ws, p) for p in files}


def read_approval(ws: Workspace) -> dict[str, Any] | None:
    path = approval_path(ws)
    if not path.is_file():
        return None
    try:
        data = read_json(path)
    except (OSError, ValueError) as exc:
        raise WorkspaceError(f"cannot read the approval ({exc})", path=path,
                             hint="approve the programme again in `reportage review`") from exc
    if not isinstance(data, dict) or data.get("verdict") not in VERDICTS:
        raise WorkspaceError("the approval is not in the expected form", path=path,
                             hint="approve the programme again in `reportage review`")
    return data


def record_verdict(ws: Workspace, verdict: Any, author: Any, comment: Any = "",
                   deliverables: Sequence[str] | None = None) -> dict[str, Any]:
    """Record `approved` or `changes_requested` over the outputs as they are now."""
    if verdict not in VERDICTS:
        raise Invalid(f"the verdict must be one of {', '.join(VERDICTS)}")
    files = current_outputs(ws, deliverables)
    if verdict == "approved" and not files:
        raise Invalid("there is nothing to approve yet: no render and no subtitle file")
    previous = read_approval(ws)
    history = list(previous.get("history", [])) if previous else []
    if previous:
        history.append({k: previous[k] for k in ("verdict", "by", "at", "comment") if k in previous})
    entry = {"verdict": verdict, "by": author_name(author), "at": _now(),
             "comment": nfc(str(comment or "")).strip()[:MAX_NOTE_CHARS], "files": files, "history": history}
    write_json(approval_path(ws), entry)
    return entry


@dataclass(frozen=True)
class ApprovalState:
    """Whether the outputs as they are now are the ones approved; `changed` names those that differ."""

    state: Literal["approved", "stale", "changes_requested", "none"]
    record: dict[str, Any] | None = None
    changed: list[str] = field(default_factory=list)

    @property
    def approved(self) -> bool:
        return self.state == "approved"

    @property
    def reason(self) -> str:
        if self.state == "none":
            return "nobody has approved them"
        if self.state == "changes_requested":
            by = self.record.get("by", "?") if self.record else "?"
            return f"{by} asked for changes"
        if self.state == "stale":
            return "changed since approval: " + ", ".join(self.changed[:4]) + (" …" if len(self.changed) > 4 else "")
        return "approved"

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "approved": self.approved, "reason": self.reason, "changed": self.changed,
                "record": {k: v for k, v in (self.record or {}).items() if k != "history"} or None,
                "history": list((self.record or {}).get("history", []))}


def approval_state(ws: Workspace, deliverables: Sequence[str] | None = None) -> ApprovalState:
    """The approval measured against the current renders (of `deliverables`) and subtitle files."""
    record = read_approval(ws)
    if record is None:
        return ApprovalState("none")
    if record["verdict"] != "approved":
        return ApprovalState("changes_requested", record)
    files = record.get("files")
    approved: dict[str, Any] = files if isinstance(files, dict) else {}
    now = current_outputs(ws, deliverables)
    changed = sorted(p for p, digest in now.items() if approved.get(p) != digest)
    return ApprovalState("stale" if changed or not now else "approved", record, changed)
