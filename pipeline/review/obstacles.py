"""What stands in the way of approving a programme, decided in one place: for the page's approve
button, for the approval the room records, and for `reportage package`.

An approval says "these files may go", and `package` trusts it. So the room refuses one while:

- `unchecked`: it cannot ask the stages whether the outputs are current (opened without the manifest);
- `renders_stale`: a deliverable's render is older than what it is made from (the subtitles it burns
  in, the manifest, the timeline …): the render stage's plan for it no longer matches its last
  recorded run, or it has none;
- `qc_stale`: the QC report is older than the renders or the subtitles: the QC stage's plan for the
  report is not fresh, the report did not judge the files as they are now (`qc_outdated`), or there
  is no report;
- `qc_fail`: a QC check FAILs (one obstacle per check, named `<deliverable>:<check id>`, `subtitles:…`
  or `pipeline:…`);
- `machine_cues`: cues a machine translator drafted (or cut short with "…") that nobody has reviewed,
  as the cue list shows them;
- `uncertain_words`: words the recogniser was unsure of, in cues nobody has changed.

The first three cannot be set aside: what would be approved is not what would be delivered, and the
fix is to run the stages. The others can, each by an explicit override with a reason (`settle`),
which the approval records with who gave it.

Freshness comes from the stage runs the catalogue keeps, as `Freshness` (made by `review.freshness`
through `pipeline.run`): this module imports no stage and not the registry, so `package`, a stage,
can ask it too. `package` asks `qc_outdated` itself and refuses a bag whose QC report is older than
its contents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import WorkspaceError
from ..qc.plan import CheckResult, Status
from ..records.qc import QCReport, read_qc_report
from ..records.review import Override
from ..workspace import Workspace
from .errors import Blocked, Invalid

Kind = Literal["unchecked", "renders_stale", "qc_stale", "qc_fail", "machine_cues", "uncertain_words"]
FIXED: frozenset[str] = frozenset({"unchecked", "renders_stale", "qc_stale"})
"""The kinds no override sets aside: the stages must run first."""
UNREVIEWED_ORIGINS = frozenset({"machine", "shortened"})
"""The cue list's origins of cues a machine made and nobody has reviewed (a cue cut with "…" is no
longer the translator's sentence: it counts as unreviewed)."""
MAX_REASON_CHARS = 1000
RUN = "chạy `reportage run MANIFEST`"


@dataclass(frozen=True)
class Obstacle:
    """One thing standing in the way of an approval, in the page's words: what, which items, and what
    to do about it; `id` is what an override names."""

    kind: Kind
    id: str
    problem: str
    fix: str
    items: tuple[str, ...] = ()

    @property
    def overridable(self) -> bool:
        return self.kind not in FIXED

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "problem": self.problem, "fix": self.fix,
                "items": list(self.items), "overridable": self.overridable}


@dataclass(frozen=True)
class Freshness:
    """What the stages' recorded runs say of the outputs (`review.freshness.stage_freshness`)."""

    stale_renders: tuple[str, ...] = ()
    """The deliverables whose render is older than what it is made from (or was never recorded)."""
    render_problem: str | None = None
    """Why the render stage could not plan, when it could not (every render then counts as stale)."""
    qc_stale: bool = False
    """The QC stage's plan for the report no longer matches its last recorded run (or there is none)."""
    unchecked: str | None = None
    """Why the stages could not be asked at all (then nothing above is known)."""


def qc_outdated(report: QCReport, files: Mapping[str, str]) -> list[str]:
    """The files of `files` (`{path relative to the programme folder: SHA-256}`, as
    `review.state.current_outputs` gives them) whose content the QC report did not judge: changed
    since QC ran, made since, or all of them for a report that does not say what it judged."""
    return sorted(name for name, digest in files.items() if report.judged.get(name) != digest)


def gather(ws: Workspace, files: Mapping[str, str], freshness: Freshness,
           board: Mapping[str, Any] | None) -> list[Obstacle]:
    """Everything standing in the way of approving `files` (the current renders and subtitle files)
    now: freshness first (nothing else can be judged on outputs about to change), then the QC report's
    FAILs, then the cues (`board`: the cue list as the page gets it, `review.cues.board`)."""
    out: list[Obstacle] = []
    if freshness.unchecked is not None:
        out.append(Obstacle("unchecked", "unchecked",
                            "Không kiểm tra được bản dựng và báo cáo kỹ thuật có còn mới không: "
                            + freshness.unchecked,
                            "Mở phòng duyệt kèm manifest: `reportage review MANIFEST`."))
    if freshness.stale_renders:
        out.append(Obstacle("renders_stale", "renders_stale",
                            "Bản dựng cũ hơn phụ đề hoặc manifest: " + ", ".join(freshness.stale_renders),
                            f"Dựng lại: {RUN} (hoặc `reportage render MANIFEST`), rồi duyệt.",
                            (freshness.render_problem,) if freshness.render_problem else ()))
    report, unreadable = _report(ws)
    outdated = qc_outdated(report, files) if report is not None else []
    if report is None:
        out.append(Obstacle("qc_stale", "qc_stale",
                            "Chưa có báo cáo kiểm tra kỹ thuật." if unreadable is None
                            else f"Không đọc được báo cáo kiểm tra kỹ thuật: {unreadable}",
                            f"Kiểm tra lại: `reportage qc MANIFEST` (hoặc {RUN})."))
    elif freshness.qc_stale or outdated:
        out.append(Obstacle("qc_stale", "qc_stale",
                            "Báo cáo kiểm tra kỹ thuật cũ hơn bản dựng hoặc phụ đề"
                            + (": " + ", ".join(outdated[:4]) + (" …" if len(outdated) > 4 else "") if outdated
                               else "."),
                            f"Kiểm tra lại: `reportage qc MANIFEST` (hoặc {RUN}).", tuple(outdated)))
    if report is not None:
        out += [_failed(where, check) for where, check in _checks(report) if check.status is Status.FAIL]
    if board is not None:
        out += _cue_obstacles(board)
    return out


def settle(standing: Sequence[Obstacle], overrides: Any, by: str) -> tuple[Override, ...]:
    """The overrides an approval records: one for each obstacle standing that can be set aside and
    that `overrides` (`{obstacle id: reason}`) gives a reason for. Blocked, naming what is left, while
    any obstacle is neither set aside nor able to be; Invalid (nothing recorded) for an override
    without a reason, or one not in that form."""
    reasons = _reasons(overrides)
    settled: list[Override] = []
    left: list[Obstacle] = []
    for obstacle in standing:
        reason = reasons.get(obstacle.id)
        if obstacle.overridable and reason:
            settled.append(Override(obstacle.id, obstacle.kind, obstacle.problem, reason, by))
        else:
            left.append(obstacle)
    if left:
        fixed = [o.id for o in left if not o.overridable]
        raise Blocked(
            f"approval refused: {len(left)} obstacle(s) stand: " + ", ".join(o.id for o in left),
            hint=("run the stages first (" + ", ".join(fixed) + " cannot be set aside); " if fixed else "")
            + "fix the rest, or set each aside with a reason",
            obstacles=[o.to_dict() for o in left])
    return tuple(settled)


def _reasons(overrides: Any) -> dict[str, str]:
    """`{obstacle id: reason}` from a request; Invalid for another form or an empty reason."""
    if overrides is None:
        return {}
    if not isinstance(overrides, Mapping):
        raise Invalid("overrides must be an object {obstacle id: reason}")
    out: dict[str, str] = {}
    for key, value in overrides.items():
        reason = " ".join(str(value or "").split())
        if not reason:
            raise Invalid(f"setting {key!r} aside needs a reason", hint="say why it may go as it is")
        if len(reason) > MAX_REASON_CHARS:
            raise Invalid(f"the reason for setting {key!r} aside is longer than {MAX_REASON_CHARS} characters")
        out[str(key)] = reason
    return out


def _report(ws: Workspace) -> tuple[QCReport | None, str | None]:
    """The QC report and, when it cannot be read, why."""
    try:
        return read_qc_report(ws), None
    except WorkspaceError as exc:
        return None, exc.problem


def _checks(report: QCReport) -> list[tuple[str, CheckResult]]:
    """Every check of the report with where it belongs: a deliverable, `subtitles` or `pipeline`."""
    return ([("pipeline", c) for c in report.pipeline] + [(f.deliverable, c) for f in report.files for c in f.checks]
            + [("subtitles", c) for c in report.subtitles])


def _failed(where: str, check: CheckResult) -> Obstacle:
    measured = f" — đo được {check.measured}, giới hạn {check.limit}" if check.measured or check.limit else ""
    return Obstacle("qc_fail", f"{where}:{check.id}", f"Kiểm tra kỹ thuật báo LỖI: {where} · {check.label}{measured}",
                    "Sửa rồi kiểm tra lại (`reportage qc MANIFEST`), hoặc bỏ qua kèm lý do.",
                    (check.detail,) if check.detail else ())


def _cue_obstacles(board: Mapping[str, Any]) -> list[Obstacle]:
    machine: list[str] = []
    words = cues = 0
    for lang, side in board.items():
        rows = side.get("cues") if isinstance(side, Mapping) else None
        for row in rows or ():
            if row.get("origin") in UNREVIEWED_ORIGINS:
                machine.append(f"{lang} #{row.get('no')}")
            unsure = row.get("uncertain") or ()
            words += len(unsure)
            cues += 1 if unsure else 0
    out: list[Obstacle] = []
    if machine:
        out.append(Obstacle("machine_cues", "machine_cues",
                            f"{len(machine)} câu phụ đề do máy dịch chưa ai duyệt (kể cả câu bị cắt ngắn “…”).",
                            "Xem lại và lưu từng câu trong danh sách phụ đề, hoặc bỏ qua kèm lý do.", tuple(machine)))
    if words:
        out.append(Obstacle("uncertain_words", "uncertain_words",
                            f"{words} từ nhận dạng chưa chắc chắn trong {cues} câu chưa ai xem lại.",
                            "Nghe lại và sửa các câu đó (N / Shift+N tới từng từ), hoặc bỏ qua kèm lý do."))
    return out
