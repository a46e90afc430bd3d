"""What the review room stores in `workspace/<id>/review/`: timecoded notes and the approval, checked
here before they are written (the records and their reader: `records/review.py`).

`notes.json` is a list of `{id, in_ms, out_ms, author, text, created}`. `approval.json` holds the
latest decision (`approved`, `approved_with_changes` or `changes_requested`) with who, when, a
comment, the SHA-256 of every current render and subtitle file at that moment and the obstacles set
aside with their reasons, plus the earlier decisions as history. An approval is recorded only when
nothing stands in its way or what stands is set aside (`review.obstacles.settle`, over the obstacles
the caller gathered). It counts only while those files are unchanged: `approval_state` compares them
with the files as they are now, which is what `reportage package` asks before it builds a bag.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from .. import stagerun
from ..errors import WorkspaceError
from ..fsutil import nfc
from ..records import review as review_record
from ..records.qc import QCReport, qc_report_path, read_qc_report, relative_name
from ..records.review import (
    APPROVING,
    DECISIONS,
    Approval,
    Decision,
    Note,
    approval_path,
    notes_path,
    read_approval,
    review_dir,
)
from ..render.state import read_render_record
from ..sheetcells import csv_row
from ..subs import WRITTEN_FORMATS
from ..timecode import Timecode
from ..workspace import Workspace
from .clock import to_timecode
from .errors import Invalid, NotFound
from .obstacles import Obstacle, qc_outdated, settle

__all__ = ["DECISIONS", "MAX_AUTHOR_CHARS", "MAX_NOTE_CHARS", "Approval", "ApprovalState", "Decision", "Note",
           "add_note", "approval_path", "approval_state", "author_name", "current_outputs", "delete_note",
           "notes_csv", "notes_path", "read_approval", "read_notes", "record_decision", "review_dir"]
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


def notes_csv(notes: Sequence[Note], start: Timecode) -> str:
    """The notes as CSV (UTF-8 with BOM, so spreadsheet programs read the diacritics), timed in
    broadcast timecode from the programme's `start` as the room and the NLE exports show it."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "in", "out", "in_ms", "out_ms", "author", "text", "created"])
    for n in notes:  # formula-like text is quote-prefixed (sheetcells)
        writer.writerow(csv_row([n.id, to_timecode(n.in_ms, start), to_timecode(n.out_ms, start), n.in_ms,
                                 n.out_ms, n.author, n.text, n.created]))
    return "\ufeff" + out.getvalue()


# -- approval ---------------------------------------------------------------------------------------

def judged_qc_report(ws: Workspace, deliverables: Sequence[str], *, made: str, again: str) -> QCReport:
    """The QC report, when it judged the renders and subtitles as they are now: what `package` and
    `publish` make from them must carry verdicts about those files, so no option lets them past.
    WorkspaceError before QC has run, or naming the files changed since (`qc_outdated`); `made` is
    what the stage makes ("bagged"), `again` its command ("package")."""
    report = read_qc_report(ws)
    if report is None:
        raise WorkspaceError("no QC report yet", path=qc_report_path(ws), hint="run `reportage qc MANIFEST` first")
    outdated = qc_outdated(report, current_outputs(ws, deliverables))
    if not outdated:
        return report
    named = ", ".join(outdated[:4]) + (f" and {len(outdated) - 4} more" if len(outdated) > 4 else "")
    why = "changed since QC judged them" if report.judged else "not named by the report (written before it named them)"
    raise WorkspaceError(f"the QC report is older than what would be {made}: {named} {why}",
                         path=qc_report_path(ws),
                         hint=f"run `reportage qc MANIFEST` (or `reportage run MANIFEST`), then {again} again")


def current_outputs(ws: Workspace, deliverables: Sequence[str] | None = None) -> dict[str, str]:
    """`{path relative to the programme folder: SHA-256}` of the renders (of `deliverables`, or every
    one the render record has) and of every subtitle file, as they are now (named as the QC report's
    `judged` names them, so the two compare)."""
    record = read_render_record(ws)
    names = list(deliverables) if deliverables is not None else sorted(record.deliverables)
    files = [m for n in names if (e := record.get(n)) is not None and e.present() for m in e.members]
    files += [p for lang in ("vi", "en") for ext in WRITTEN_FORMATS if (p := ws.subtitle(lang, ext)).is_file()]
    return {relative_name(ws, p): stagerun.content_hash(ws, p) for p in files}


def record_decision(ws: Workspace, decision: Any, author: Any, comment: Any = "",
                    deliverables: Sequence[str] | None = None, *, standing: Sequence[Obstacle],
                    overrides: Any = None) -> Approval:
    """Record a decision over the outputs as they are now. An approving one (`approved`,
    `approved_with_changes`: the changes said in the comment) only when every obstacle `standing`
    (`obstacles.gather`, by the caller, under the programme's lock) is set aside by `overrides`
    (`{obstacle id: reason}`), which are recorded with it; `obstacles.Blocked` otherwise. Asking for
    changes needs nothing cleared. Invalid (nothing written) for a bad decision, name or comment."""
    if decision not in DECISIONS:
        raise Invalid(f"the decision must be one of {', '.join(DECISIONS)}")
    by = author_name(author)
    text = nfc(str(comment or "")).strip()[:MAX_NOTE_CHARS]
    if decision == "approved_with_changes" and not text:
        raise Invalid("say which changes the approval asks for (the comment)")
    files = current_outputs(ws, deliverables)
    approving = decision in APPROVING
    if approving and not files:
        raise Invalid("there is nothing to approve yet: no render and no subtitle file")
    settled = settle(standing, overrides, by) if approving else ()
    previous = read_approval(ws)
    history = (*previous.history, previous.entry()) if previous else ()
    entry = Approval(cast(Decision, decision), by, _now(), text, files, history, settled)
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
        return "approved with changes" if self.decision == "approved_with_changes" else "approved"

    @property
    def decision(self) -> Decision | None:
        """The decision recorded (the state says whether it still holds for the files now)."""
        return self.record.decision if self.record is not None else None

    def to_dict(self) -> dict[str, Any]:
        latest = self.record.to_json() if self.record is not None else {}
        history = latest.pop("history", [])
        return {"state": self.state, "decision": self.decision, "approved": self.approved, "reason": self.reason,
                "changed": self.changed, "record": latest or None, "history": history}


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
