"""Package stage: the BagIt delivery bag of a programme, built in a temporary folder and renamed
into `delivery/<BAG_NAME>/` so a receiver (or a crash) never sees half a bag.

What goes in comes from the records: the deliverables the manifest lists, as the render record
(`renders/render.json`) names their files and gives their loudness (numbers); the QC report and its
poster frames; the subtitles; the transcripts of the clips the manifest still lists (footage and
master — a clip taken out of the manifest is not shipped); and the metadata sheet built from the
manifest. Refuses while the QC report has a FAIL unless `allow_fail`, which is written into
bag-info.txt so the receiver sees the bag was sent knowingly with failures. Refuses, too, while the
current renders and subtitles are not the ones approved in the review room (`review/approval.json`,
compared by SHA-256) unless `allow_unapproved`, also written into bag-info.txt. The review notes and
the approval go into the metadata sheet.

Freshness is `pipeline.stagerun`'s, and its inputs include the bag's own files by content: a bag
altered or damaged since it was written is built again. What failed upstream and still stands (a clip
whose transcription failed, a stage that stopped: `stagerun.upstream_failures`) is part of the key and
is written into bag-info.txt (`Stage-Failures`), so a bag says what it was made without. A bag of no
deliverable at all is refused (`stagerun.enforce`).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import bagit

from .. import __version__, stagerun
from ..errors import ReportageError, WorkspaceError
from ..fsutil import default_dir_mode, read_json, write_json, write_text
from ..manifest import Programme
from ..package.naming import bag_name, delivered
from ..package.sheet import build_sheet, glossary_entries, sheet_html, tech_specs
from ..package.verify import zip_bag
from ..profiles import Profile, load_profile
from ..progress import ProgressFn, ignore
from ..render.state import RenderedDeliverable, read_render_record, render_record_path
from ..review.state import approval_path, approval_state, notes_path, read_approval, read_notes
from ..subs import WRITTEN_FORMATS
from ..timecode import ms_to_timecode
from ..timeline import Timeline, load_timeline
from ..workspace import Workspace
from .ingest import programme_sources

STAGE = "package"
PACKAGE_VERSION = 2


@dataclass(frozen=True)
class Settings:
    """`allow_fail`: package even though QC failed (said so in bag-info.txt); `allow_unapproved`:
    package outputs nobody approved in the review room (said so too); `make_zip`: also write
    `delivery/<BAG_NAME>.zip`."""

    allow_fail: bool = False
    make_zip: bool = False
    allow_unapproved: bool = False


@dataclass
class PackageResult:
    bag: Path
    files: list[str] = field(default_factory=list)
    zip: Path | None = None
    allowed_failures: list[str] = field(default_factory=list)
    up_to_date: bool = False
    unapproved: str | None = None
    """Why the outputs were packaged without approval (`allow_unapproved`), None when approved."""
    stage_failures: list[str] = field(default_factory=list)
    """What failed upstream and still stands, as bag-info.txt's `Stage-Failures` says."""

    @property
    def ok(self) -> bool:
        return True  # a bag that cannot be built is a WorkspaceError, not a report

    def to_dict(self) -> dict[str, Any]:
        return {"bag": str(self.bag), "ok": self.ok, "up_to_date": self.up_to_date, "files": self.files,
                "zip": str(self.zip) if self.zip else None, "allowed_failures": self.allowed_failures,
                "unapproved": self.unapproved, "stage_failures": self.stage_failures}


def _qc(ws: Workspace) -> dict[str, Any]:
    path = ws.qc_dir / "report.json"
    if not path.is_file():
        raise WorkspaceError("no QC report yet", path=path, hint="run `reportage qc MANIFEST` first")
    try:
        data = read_json(path)
    except (OSError, ValueError) as exc:
        raise WorkspaceError(f"QC report is unreadable ({exc})", path=path, hint="run `reportage qc` again") from exc
    if not isinstance(data, dict):
        raise WorkspaceError("QC report is not a JSON object", path=path)
    return data


def _paths(programme: Programme, ws: Workspace) -> tuple[str, Path, Path]:
    """The bag's base name, its folder and its zip."""
    base = bag_name(programme.id, programme.manifest.year)
    return base, ws.delivery_dir / base, ws.delivery_dir / f"{base}.zip"


def _profile(programme: Programme, name: str) -> Profile | None:
    overrides = programme.base_dir / "profiles"
    try:
        return load_profile(name, overrides if overrides.is_dir() else None)
    except ReportageError:
        return None


def _renders(programme: Programme, ws: Workspace) -> list[RenderedDeliverable]:
    """The manifest's deliverables as the render record has them (those with a file on disk)."""
    record = read_render_record(ws)
    entries = [record.get(name) for name in programme.manifest.deliverables]
    return [e for e in entries if e is not None and e.path.is_file()]


def _transcripts(programme: Programme, ws: Workspace) -> list[Path]:
    """Transcripts (JSON and text) of the clips the manifest lists; none of clips taken out of it."""
    found: list[Path] = []
    for src in programme_sources(programme):
        found += [p for p in (ws.transcript_json(src.clip_id), ws.transcript_txt(src.clip_id)) if p.is_file()]
    return found


def _subtitles(ws: Workspace) -> dict[tuple[str, str], Path]:
    """(language, format) → the programme's subtitle file, for those that exist."""
    return {(lang, ext): p for lang in ("vi", "en") for ext in WRITTEN_FORMATS
            if (p := ws.subtitle(lang, ext)).is_file()}


def _posters(ws: Workspace, qc: dict[str, Any], name: str) -> list[Path]:
    """The poster frames QC recorded for a deliverable."""
    entry: dict[str, Any] = next((d for d in qc.get("deliverables", []) if d.get("deliverable") == name), {})
    return [p for n in entry.get("posters", []) if (p := ws.qc_dir / "posters" / str(n)).is_file()]


def _bag_fingerprint(ws: Workspace, bag: Path) -> dict[str, str] | None:
    """Every file of the bag as written, by content (None when there is no bag)."""
    if not bag.is_dir():
        return None
    return {str(p.relative_to(bag)): stagerun.content_hash(ws, p) for p in sorted(bag.rglob("*")) if p.is_file()}


# -- the stage model ------------------------------------------------------------------------------

def inputs(programme: Programme, ws: Workspace, settings: Settings | None = None) -> dict[str, Any]:
    """Everything the bag is made from, by content, and the bag itself."""
    settings = settings or Settings()
    _, target, _ = _paths(programme, ws)
    renders: dict[str, Any]
    try:
        renders = {r.name: {"file": r.file, "sha256": stagerun.content_hash(ws, r.path)}
                   for r in _renders(programme, ws)}
    except WorkspaceError as exc:
        renders = {"unreadable": exc.problem}
    try:
        qc = _qc(ws)
    except WorkspaceError:
        qc = {}
    posters = [p for name in programme.manifest.deliverables for p in _posters(ws, qc, name)]
    glossary = programme.glossary_path()
    record = render_record_path(ws)
    return {stagerun.PROGRAMME: {
        "version": PACKAGE_VERSION, "settings": {"allow_fail": settings.allow_fail, "zip": settings.make_zip,
                                                 "allow_unapproved": settings.allow_unapproved},
        "manifest": stagerun.content_hash(ws, programme.manifest_path),
        "glossary": stagerun.content_hash(ws, glossary) if glossary is not None and glossary.is_file() else None,
        "profiles": {name: p.model_dump(mode="json", exclude={"source"}) if (p := _profile(programme, name)) else None
                     for name in programme.manifest.deliverables},
        "render_record": stagerun.content_hash(ws, record) if record.is_file() else None,
        "renders": renders,
        "timeline": stagerun.content_hash(ws, ws.timeline_json) if ws.timeline_json.is_file() else None,
        "qc": stagerun.content_hashes(ws, [ws.qc_dir / "report.json", ws.qc_dir / "report.html"]),
        "posters": stagerun.content_hashes(ws, posters),
        "subtitles": stagerun.content_hashes(ws, list(_subtitles(ws).values())),
        "transcripts": stagerun.content_hashes(ws, _transcripts(programme, ws)),
        "review": stagerun.content_hashes(ws, [notes_path(ws), approval_path(ws)]),
        "bag": _bag_fingerprint(ws, target),
    }}


def outputs(programme: Programme, ws: Workspace) -> list[Path]:
    """The bag's folder and its zip (written only with `make_zip`)."""
    _, target, zip_path = _paths(programme, ws)
    return [target, zip_path]


def run(programme: Programme, ws: Workspace, settings: Settings, progress: ProgressFn = ignore,
        clips: tuple[str, ...] | None = None) -> PackageResult:
    """The registry's entry point: `package_programme`."""
    return package_programme(programme, ws, settings)


# -- the work ---------------------------------------------------------------------------------------

def package_programme(programme: Programme, ws: Workspace, settings: Settings | None = None) -> PackageResult:
    """Build `delivery/<BAG_NAME>/` (and `<BAG_NAME>.zip` with `make_zip`) unless it is up to date.

    WorkspaceError while the QC report has a FAIL and `allow_fail` is not set, or while the current
    outputs are not the approved ones and `allow_unapproved` is not set.
    """
    settings = settings or Settings()
    began = time.time()
    qc = _qc(ws)
    failed = [str(x) for x in qc.get("failed", [])]
    if failed and not settings.allow_fail:
        raise WorkspaceError(f"QC has {len(failed)} failed check(s): " + "; ".join(failed[:3]),
                             path=ws.qc_dir / "report.json", hint="fix them, or package with --allow-fail")
    allowed = failed if settings.allow_fail else []
    approval = approval_state(ws, programme.manifest.deliverables)
    if not approval.approved and not settings.allow_unapproved:
        raise WorkspaceError(f"the current renders and subtitles are not approved: {approval.reason}",
                             path=approval_path(ws), hint="approve them in `reportage review MANIFEST`, "
                             "or package with --allow-unapproved")
    unapproved = None if approval.approved else approval.reason
    expected = len(programme.manifest.deliverables)
    missing = stagerun.enforce(stagerun.shortfall(
        "Delivery", "the render", expected - len(_renders(programme, ws)), expected, "deliverables",
        "run `reportage render MANIFEST` (or `reportage run`) before packaging", render_record_path(ws)))
    failures = [f.line() for f in stagerun.upstream_failures(ws, STAGE)] + ([missing] if missing else [])
    base, target, zip_path = _paths(programme, ws)
    wanted = [target, *([zip_path] if settings.make_zip else [])]
    fresh = stagerun.check(ws, STAGE, stagerun.PROGRAMME, inputs(programme, ws, settings)[stagerun.PROGRAMME],
                           wanted)
    if fresh.fresh:
        files = sorted(str(p.relative_to(target)) for p in (target / "data").rglob("*") if p.is_file())
        return PackageResult(target, files, zip_path if settings.make_zip else None, allowed, up_to_date=True,
                             unapproved=unapproved, stage_failures=failures)
    ws.delivery_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{base}.", suffix=".part", dir=ws.delivery_dir))
    os.chmod(tmp, default_dir_mode())
    try:
        copied, sheet = _stage_payload(programme, ws, tmp, base, qc)
        _bag(tmp, programme, base, qc, allowed, sheet, unapproved, failures)
        if target.exists():
            old = ws.delivery_dir / f".{base}.old"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
            shutil.rmtree(old, ignore_errors=True)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result = PackageResult(target, copied, allowed_failures=allowed, unapproved=unapproved,
                           stage_failures=failures)
    if settings.make_zip:
        result.zip = zip_bag(target, zip_path)
    written = inputs(programme, ws, settings)[stagerun.PROGRAMME]  # now with the bag as written
    stagerun.record(ws, replace(fresh, key=stagerun.inputs_hash(written)), wanted, started_at=began)
    return result


def _loudness(render: RenderedDeliverable, qc_checks: list[dict[str, Any]]) -> dict[str, float | None]:
    """Measured loudness of a deliverable: the render record's figures, else QC's measured values."""
    if render.loudness is not None:
        loud = render.loudness
        return {"integrated": loud.integrated_lufs, "true_peak": loud.true_peak_dbtp, "lra": loud.lra_lu}
    values = {str(c.get("id")): c.get("value") for c in qc_checks}
    return {key: float(v) if isinstance(v, int | float) else None
            for key, v in (("integrated", values.get("loudness.integrated")),
                           ("true_peak", values.get("loudness.true_peak")), ("lra", values.get("loudness.lra")))}


def _copy(src: Path, dst: Path, files: list[str], root: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)
    files.append(str(dst.relative_to(root)))


def _stage_payload(programme: Programme, ws: Workspace, root: Path, base: str,
                   qc: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """Copy every payload file under ASCII names; write the metadata sheet. Returns names and sheet."""
    files: list[str] = []
    qc_by_name = {d["deliverable"]: d for d in qc.get("deliverables", [])}
    entries: list[dict[str, Any]] = []
    for render in _renders(programme, ws):
        profile = _profile(programme, render.name)
        what = profile.suffix if profile else render.name
        out = delivered(base, what, render.path.suffix)
        _copy(render.path, root / "video" / out, files, root)
        entries.append({"deliverable": render.name, "file": out, "size_bytes": render.path.stat().st_size,
                        "specs": tech_specs(profile) if profile else {},
                        "loudness": _loudness(render, qc_by_name.get(render.name, {}).get("checks", []))})
        for n, poster in enumerate(_posters(ws, qc, render.name), 1):
            _copy(poster, root / "posters" / delivered(base, f"{what} poster {n}", ".jpg"), files, root)
    for (lang, ext), src in _subtitles(ws).items():
        _copy(src, root / "subtitles" / delivered(base, f"sub {lang}", ext), files, root)
    for src in _transcripts(programme, ws):
        _copy(src, root / "transcripts" / delivered(base, f"transcript {src.stem}", src.suffix), files, root)
    for ext in ("json", "html"):
        src = ws.qc_dir / f"report.{ext}"
        if src.is_file():
            _copy(src, root / "qc" / delivered(base, "qc report", ext), files, root)
    duration: str | None = None
    tl: Timeline | None = None
    if ws.timeline_json.is_file():
        tl = load_timeline(ws.timeline_json)
        duration = ms_to_timecode(tl.duration_ms, tl.rate) + f" ({float(Fraction(tl.duration_frames) / tl.rate):.1f} s)"
    sheet = build_sheet(programme, duration=duration, files=entries, glossary=glossary_entries(programme),
                        qc_verdict=str(qc.get("verdict", "unknown")), notes=_notes(ws, tl.rate if tl else None),
                        approval=review_summary(read_approval(ws)))
    write_json(root / "metadata" / delivered(base, "metadata", "json"), sheet)
    write_text(root / "metadata" / delivered(base, "metadata", "html"), sheet_html(sheet))
    files += [f"metadata/{delivered(base, 'metadata', ext)}" for ext in ("json", "html")]
    return files, sheet


def _notes(ws: Workspace, rate: Fraction | None) -> list[dict[str, Any]]:
    """The review notes as the sheet lists them, with timecodes at the programme's rate."""
    out = []
    for n in read_notes(ws):
        entry = {k: n.get(k) for k in ("id", "in_ms", "out_ms", "author", "text", "created")}
        if rate is not None:
            entry["in_tc"] = ms_to_timecode(int(n.get("in_ms", 0)), rate)
            entry["out_tc"] = ms_to_timecode(int(n.get("out_ms", 0)), rate)
        out.append(entry)
    return out


def review_summary(record: dict[str, Any] | None) -> dict[str, Any] | None:
    """Who approved (or asked for changes), when, with what comment, over how many files."""
    if record is None:
        return None
    return {"verdict": record.get("verdict"), "by": record.get("by"), "at": record.get("at"),
            "comment": record.get("comment") or "", "files": dict(record.get("files") or {})}


def _bag(root: Path, programme: Programme, base: str, qc: dict[str, Any], failures: list[str],
         sheet: dict[str, Any], unapproved: str | None = None, stage_failures: list[str] | None = None) -> None:
    m, title = programme.manifest, programme.title
    info: dict[str, Any] = {
        "Source-Organization": m.co_producers[0] if m.co_producers else "unknown",
        "External-Identifier": m.id,
        "External-Description": f"{title.vi} / {title.en}",
        "Bag-Group-Identifier": base,
        "Title-Vi": title.vi,
        "Title-En": title.en,
        "Programme-Year": str(m.year or ""),
        "Programme-Duration": sheet.get("duration") or "",
        "Producing-Organization": m.co_producers[0] if m.co_producers else "",
        "Receiving-Organization": ", ".join(m.co_producers[1:]),
        "Co-Producers": ", ".join(m.co_producers),
        "QC-Verdict": str(qc.get("verdict", "unknown")),
        "Bagging-Software": f"reportage {__version__} (bagit-python)",
        "Bagging-Date": dt.date.today().isoformat(),
    }
    if failures:
        info["QC-Override"] = f"packaged with --allow-fail despite {len(failures)} failed check(s)"
        info["QC-Failed-Checks"] = "; ".join(failures)[:900]
    if stage_failures:  # what the outputs were made without: a failure upstream that still stands
        info["Stage-Failures"] = "; ".join(" ".join(line.split()) for line in stage_failures)[:900]
    approval = sheet.get("approval") or {}
    if unapproved is not None:
        info["Review-Override"] = f"packaged with --allow-unapproved: {unapproved}"[:900]
    elif approval.get("verdict") == "approved":
        info["Review-Approved-By"] = str(approval.get("by") or "")
        info["Review-Approved-At"] = str(approval.get("at") or "")
    info = {k: v for k, v in info.items() if v}
    try:
        bagit.make_bag(str(root), bag_info=info, checksums=["sha256", "md5"], processes=1)
    except (bagit.BagError, OSError) as exc:
        raise WorkspaceError(f"cannot build the bag ({exc})", path=root) from exc
