"""Package stage: the BagIt delivery bag of a programme, built in a temporary folder and renamed
into `delivery/<BAG_NAME>/` so a receiver (or a crash) never sees half a bag.

What goes in comes from the records: the deliverables the manifest lists, as the render record
(`renders/render.json`) names their files and gives their loudness (numbers); the QC report and its
poster frames; the subtitles; the transcripts of the clips the manifest still lists (footage and
master — a clip taken out of the manifest is not shipped); and the metadata sheet built from the
manifest. Refuses, whatever it is told, while the QC report is older than what would be bagged: it
did not judge the renders and subtitle files as they are now (`review.obstacles.qc_outdated`, from
the SHA-256 of each file the report says it judged), so its verdicts would travel beside files they
are not about. Refuses while the QC report has a FAIL unless `allow_fail`, which is written into
bag-info.txt so the receiver sees the bag was sent knowingly with failures. Refuses, too, while the
current renders and subtitles are not the ones approved in the review room (`review/approval.json`,
compared by SHA-256) unless `allow_unapproved`, also written into bag-info.txt. The review notes and
the approval (its decision and the obstacles the approver set aside, with their reasons) go into the
metadata sheet and bag-info.txt.

Freshness is `pipeline.stagerun`'s, and its inputs include the bag's own files by content: a bag
altered or damaged since it was written is built again. What failed upstream and still stands (a clip
whose transcription failed, a stage that stopped: `stagerun.upstream_failures`) is part of the key and
is written into bag-info.txt (`Stage-Failures`), so a bag says what it was made without. A bag of no
deliverable at all is refused (`stagerun.enforce`). What was delivered is recorded in
`delivery/package.json` (`records/package.py`: the bag, its payload files with their SHA-256, when),
which the batch summary reads.

With `with_publish` (`reportage package --with-publish`) the bag also carries the publish stage's web
and social packages as they are (`data/publish/web/…`, `data/publish/social/…`: the player page
addresses its files by relative paths, so their names are kept), listed with their roles and the
stream check's verdict in the metadata sheet; every file of both folders and the publish record are
inputs of the bag then, so a new publish makes the bag again. Refused when there is no publish record,
no web package, or one that failed the stream validator (`records/publish.py`). Without it, the plan,
the bag and the sheet are what they were.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import bagit

from .. import __version__, stagerun
from ..errors import ReportageError, WorkspaceError
from ..fsutil import atomic_dir, folder_files, write_json, write_text
from ..manifest import Programme
from ..package.naming import bag_name, delivered
from ..package.sheet import build_sheet, glossary_entries, publish_entries, sheet_html, tech_specs
from ..package.verify import zip_bag
from ..profiles import Profile, programme_profile
from ..records.package import PackageRecord, PayloadFile, read_package_record, write_package_record
from ..records.publish import PublishRecord, publish_record_path, read_publish_record
from ..records.qc import FileQC, QCReport, qc_report_path, read_qc_report
from ..records.review import APPROVING, Approval, approval_path, notes_path, read_approval, read_notes
from ..render.state import RenderedDeliverable, read_render_record, render_record_path
from ..review.state import approval_state, judged_qc_report
from ..stagerun import Work
from ..subs import WRITTEN_FORMATS
from ..timecode import ms_to_timecode
from ..timeline import Timeline, load_timeline
from ..workspace import Workspace

STAGE = "package"
VERSION = 3  # 3: keyed by the runner
PUBLISH_HINT = "run `reportage publish MANIFEST` first, or package without --with-publish"


@dataclass(frozen=True)
class Settings:
    """`allow_fail`: package even though QC failed (said so in bag-info.txt); `allow_unapproved`:
    package outputs nobody approved in the review room (said so too); `make_zip`: also write
    `delivery/<BAG_NAME>.zip`; `with_publish`: also carry the publish stage's web and social packages."""

    allow_fail: bool = False
    make_zip: bool = False
    allow_unapproved: bool = False
    with_publish: bool = False


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
    published: list[str] = field(default_factory=list)
    """The publish packages the bag carries (`web`, `social`), with `with_publish`."""

    @property
    def ok(self) -> bool:
        return True  # a bag that cannot be built is a WorkspaceError, not a report

    def to_dict(self) -> dict[str, Any]:
        return {"bag": str(self.bag), "ok": self.ok, "up_to_date": self.up_to_date, "files": self.files,
                "zip": str(self.zip) if self.zip else None, "allowed_failures": self.allowed_failures,
                "unapproved": self.unapproved, "stage_failures": self.stage_failures, "published": self.published}


def _paths(programme: Programme, ws: Workspace) -> tuple[str, Path, Path]:
    """The bag's base name, its folder and its zip."""
    base = bag_name(programme.id, programme.manifest.year)
    return base, ws.delivery_dir / base, ws.delivery_dir / f"{base}.zip"


def _profile(programme: Programme, name: str) -> Profile | None:
    try:
        return programme_profile(programme.base_dir, programme.deliverable_profile(name))
    except ReportageError:
        return None


def _renders(programme: Programme, ws: Workspace) -> list[RenderedDeliverable]:
    """The manifest's deliverables as the render record has them (those with a file on disk)."""
    record = read_render_record(ws)
    entries = [record.get(name) for name in programme.deliverables]
    return [e for e in entries if e is not None and e.present()]


def _transcripts(programme: Programme, ws: Workspace) -> list[Path]:
    """Transcripts (JSON and text) of the clips the manifest lists; none of clips taken out of it."""
    found: list[Path] = []
    for src in programme.clips():
        found += [p for p in (ws.transcript_json(src.clip_id), ws.transcript_txt(src.clip_id)) if p.is_file()]
    return found


def _subtitles(ws: Workspace) -> dict[tuple[str, str], Path]:
    """(language, format) → the programme's subtitle file, for those that exist."""
    return {(lang, ext): p for lang in ("vi", "en") for ext in WRITTEN_FORMATS
            if (p := ws.subtitle(lang, ext)).is_file()}


def _posters(qc: QCReport | None, name: str) -> list[Path]:
    """The poster frames QC recorded for a deliverable (those still on disk)."""
    entry = qc.file(name) if qc is not None else None
    return [p for p in entry.posters if p.is_file()] if entry is not None else []


def _bag_fingerprint(ws: Workspace, bag: Path) -> dict[str, str] | None:
    """Every file of the bag as written, by content (None when there is no bag)."""
    if not bag.is_dir():
        return None
    return {str(p.relative_to(bag)): stagerun.content_hash(ws, p) for p in sorted(bag.rglob("*")) if p.is_file()}


def _publish_folders(ws: Workspace, record: PublishRecord | None) -> dict[str, Path]:
    """The record's web and social folders (those it has), each only while it lies inside the
    programme folder: a record naming a folder elsewhere brings nothing of it into the bag."""
    parts = {"web": record.web, "social": record.social} if record is not None else {}
    home = ws.dir.resolve()
    return {name: part.path(ws) for name, part in parts.items()
            if part is not None and part.path(ws).resolve().is_relative_to(home)}


def _publish_inputs(ws: Workspace) -> dict[str, Any]:
    """The bag's publish inputs (`with_publish`): the record, and every file of each folder by its path
    in the folder and its content, so a publish made again makes the bag again."""
    path = publish_record_path(ws)
    try:
        folders = _publish_folders(ws, read_publish_record(ws))
    except WorkspaceError as exc:
        return {"unreadable": exc.problem}
    inputs: dict[str, Any] = {"record": stagerun.content_hash(ws, path) if path.is_file() else None}
    for name, folder in folders.items():
        inputs[name] = stagerun.folder_hashes(ws, folder)
    return inputs


def _publish(ws: Workspace) -> PublishRecord:
    """The publish record `with_publish` carries; a WorkspaceError naming `reportage publish MANIFEST`
    when there is none, it has no web package, the web package failed the stream validator, or a folder
    it names is missing or outside the programme folder."""
    path = publish_record_path(ws)
    record = read_publish_record(ws)
    if record is None:
        raise WorkspaceError("--with-publish: there is no publish record yet", path=path, hint=PUBLISH_HINT)
    if record.web is None:
        raise WorkspaceError("--with-publish: the publish record has no web package", path=path, hint=PUBLISH_HINT)
    if not record.web.ok:
        failures = "; ".join(record.web.failures[:3]) + (" …" if len(record.web.failures) > 3 else "")
        raise WorkspaceError(f"--with-publish: the web package failed the stream validator "
                             f"({len(record.web.failures)} failure(s)): {failures}", path=path,
                             hint="fix what it names, run `reportage publish MANIFEST` again, then package")
    folders = _publish_folders(ws, record)
    for name, part in (("web", record.web), ("social", record.social)):
        if part is not None and (name not in folders or not folder_files(folders[name])):
            raise WorkspaceError(f"--with-publish: the {name} package the record names ({part.folder}/) is "
                                 "missing, empty or outside the programme folder", path=path,
                                 hint="run `reportage publish MANIFEST` again, then package")
    return record


# -- the stage model ------------------------------------------------------------------------------

def settings(programme: Programme | None = None, **options: Any) -> Settings:
    """The stage's settings (`allow_fail`, `allow_unapproved`, `make_zip`, `with_publish`)."""
    return Settings(**options)


def plan(programme: Programme, ws: Workspace, settings: Settings | None = None) -> dict[str, Any]:
    """Everything the bag is made from, by content, and the bag itself."""
    settings = settings or Settings()
    _, target, _ = _paths(programme, ws)
    renders: dict[str, Any]
    try:
        renders = {r.name: {"file": r.path.name, "files": stagerun.content_hashes(ws, r.members)}
                   for r in _renders(programme, ws)}
    except WorkspaceError as exc:
        renders = {"unreadable": exc.problem}
    try:
        qc: QCReport | None = read_qc_report(ws)
    except WorkspaceError:
        qc = None
    posters = [p for name in programme.deliverables for p in _posters(qc, name)]
    glossary = programme.glossary_path()
    record = render_record_path(ws)
    inputs: dict[str, Any] = {
        "settings": {"allow_fail": settings.allow_fail, "zip": settings.make_zip,
                                                 "allow_unapproved": settings.allow_unapproved},
        "manifest": stagerun.content_hash(ws, programme.manifest_path),
        "glossary": stagerun.content_hash(ws, glossary) if glossary is not None and glossary.is_file() else None,
        "profiles": {name: p.model_dump(mode="json", exclude={"source"}) if (p := _profile(programme, name)) else None
                     for name in programme.deliverables},
        "render_record": stagerun.content_hash(ws, record) if record.is_file() else None,
        "renders": renders,
        "timeline": stagerun.content_hash(ws, ws.timeline_json) if ws.timeline_json.is_file() else None,
        "qc": stagerun.content_hashes(ws, [qc_report_path(ws), ws.qc_dir / "report.html"]),
        "posters": stagerun.content_hashes(ws, posters),
        "subtitles": stagerun.content_hashes(ws, list(_subtitles(ws).values())),
        "transcripts": stagerun.content_hashes(ws, _transcripts(programme, ws)),
        "review": stagerun.content_hashes(ws, [notes_path(ws), approval_path(ws)]),
        "bag": _bag_fingerprint(ws, target),
    }
    if settings.with_publish:  # only then: a bag made without it keeps the key it was made under
        inputs["publish"] = _publish_inputs(ws)
    return {stagerun.PROGRAMME: inputs}


def make(programme: Programme, ws: Workspace, settings: Settings, work: Work) -> PackageResult:
    """The registry's entry point: `package_programme`."""
    return package_programme(programme, ws, settings, work)


def proceed(programme: Programme, report: PackageResult) -> bool:
    return True


# -- the work ---------------------------------------------------------------------------------------

def package_programme(programme: Programme, ws: Workspace, settings: Settings | None = None,
                      work: Work | None = None) -> PackageResult:
    """Build `delivery/<BAG_NAME>/` (and `<BAG_NAME>.zip` with `make_zip`) unless it is up to date.

    WorkspaceError while the QC report is older than the files it would travel with; while it has a
    FAIL and `allow_fail` is not set; while the current outputs are not the approved ones and
    `allow_unapproved` is not set; or, with `with_publish`, while there is no publish record, no web
    package or one the stream validator failed (`_publish`).
    """
    settings = settings or Settings()
    work = work or Work.of(ws, STAGE, VERSION)
    began = time.time()
    qc = judged_qc_report(ws, list(programme.deliverables), made="bagged", again="package")
    failed = qc.failed
    if failed and not settings.allow_fail:
        raise WorkspaceError(f"QC has {len(failed)} failed check(s): " + "; ".join(failed[:3]),
                             path=qc_report_path(ws), hint="fix them, or package with --allow-fail")
    allowed = failed if settings.allow_fail else []
    approval = approval_state(ws, programme.deliverables)
    if not approval.approved and not settings.allow_unapproved:
        raise WorkspaceError(f"the current renders and subtitles are not approved: {approval.reason}",
                             path=approval_path(ws), hint="approve them in `reportage review MANIFEST`, "
                             "or package with --allow-unapproved")
    unapproved = None if approval.approved else approval.reason
    published = _publish(ws) if settings.with_publish else None
    parts = sorted(_publish_folders(ws, published)) if published is not None else []
    expected = len(programme.deliverables)
    missing = stagerun.enforce(stagerun.shortfall(
        "Delivery", "the render", expected - len(_renders(programme, ws)), expected, "deliverables",
        "run `reportage render MANIFEST` (or `reportage run`) before packaging", render_record_path(ws)))
    failures = [f.line() for f in work.failed_upstream()] + ([missing] if missing else [])
    base, target, zip_path = _paths(programme, ws)
    wanted = [target, *([zip_path] if settings.make_zip else [])]
    fresh = work.check(stagerun.PROGRAMME, plan(programme, ws, settings)[stagerun.PROGRAMME], wanted)
    if fresh.fresh:
        _keep_record(programme, ws, target, zip_path if settings.make_zip else None)
        files = sorted(str(p.relative_to(target)) for p in (target / "data").rglob("*") if p.is_file())
        return PackageResult(target, files, zip_path if settings.make_zip else None, allowed, up_to_date=True,
                             unapproved=unapproved, stage_failures=failures, published=parts)
    with atomic_dir(target) as tmp:  # the bag appears whole or not at all; the one it replaces goes after
        copied, sheet = _stage_payload(programme, ws, tmp, base, qc, published)
        _bag(tmp, programme, base, qc, allowed, sheet, unapproved, failures)
    result = PackageResult(target, copied, allowed_failures=allowed, unapproved=unapproved,
                           stage_failures=failures, published=parts)
    if settings.make_zip:
        result.zip = zip_bag(target, zip_path)
    write_package_record(ws, delivered_record(programme.id, ws, target, result.zip))
    written = plan(programme, ws, settings)[stagerun.PROGRAMME]  # now with the bag as written
    work.done(work.check(stagerun.PROGRAMME, written, wanted), wanted, started_at=began)
    return result


def delivered_record(programme_id: str, ws: Workspace, bag: Path, zip_path: Path | None) -> PackageRecord:
    """The package record of the bag as written: each payload file with the SHA-256 bagit recorded
    for it, the bag's size and file count, and the zip."""
    entries = bagit.Bag(str(bag)).payload_entries()
    payload = tuple(PayloadFile(Path(name).as_posix(), str(digests["sha256"]), (bag / name).stat().st_size)
                    for name, digests in sorted(entries.items()))
    files = [p for p in bag.rglob("*") if p.is_file()]
    made = dt.datetime.fromtimestamp((bag / "bagit.txt").stat().st_mtime, dt.UTC)
    return PackageRecord(programme_id, bag.relative_to(ws.dir).as_posix(), payload,
                         sum(p.stat().st_size for p in files), len(files), made.isoformat(timespec="seconds"),
                         zip_path.relative_to(ws.dir).as_posix() if zip_path is not None else None,
                         zip_path.stat().st_size if zip_path is not None else None)


def _keep_record(programme: Programme, ws: Workspace, bag: Path, zip_path: Path | None) -> None:
    """An up-to-date bag keeps its record; one lost, unreadable or naming another bag is written again
    from the bag as it is (nothing is rewritten when it stands)."""
    try:
        record = read_package_record(ws)
    except WorkspaceError:
        record = None
    if record is None or record.bag_path(ws) != bag or record.zip_path(ws) != zip_path:
        write_package_record(ws, delivered_record(programme.id, ws, bag, zip_path))


def _loudness(render: RenderedDeliverable, judged: FileQC | None) -> dict[str, float | None]:
    """Measured loudness of a deliverable: the render record's figures, else QC's measured values."""
    if render.loudness is not None:
        loud = render.loudness
        return {"integrated": loud.integrated_lufs, "true_peak": loud.true_peak_dbtp, "lra": loud.lra_lu}

    def value(check_id: str) -> float | None:
        check = judged.check(check_id) if judged is not None else None
        return check.value if check is not None else None

    return {"integrated": value("loudness.integrated"), "true_peak": value("loudness.true_peak"),
            "lra": value("loudness.lra")}


def _copy(src: Path, dst: Path, files: list[str], root: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)
    files.append(str(dst.relative_to(root)))


def _copy_publish(ws: Workspace, record: PublishRecord, root: Path, files: list[str]) -> list[dict[str, Any]]:
    """Copy the publish folders into `publish/<part>/`, every file under its own name (the player page
    and the playlists address them so); returns the sheet's publish section."""
    where: dict[str, str] = {}
    counts: dict[str, tuple[int, int]] = {}
    for name, folder in _publish_folders(ws, record).items():
        found = folder_files(folder)
        for src in found:
            _copy(src, root / "publish" / name / src.relative_to(folder), files, root)
        where[name] = f"publish/{name}"
        counts[name] = (len(found), sum(p.stat().st_size for p in found))
    return publish_entries(record, where, counts, set(files))


def _stage_payload(programme: Programme, ws: Workspace, root: Path, base: str, qc: QCReport,
                   published: PublishRecord | None = None) -> tuple[list[str], dict[str, Any]]:
    """Copy every payload file under ASCII names (the publish packages under their own, with
    `published`); write the metadata sheet. Returns names and sheet."""
    files: list[str] = []
    entries: list[dict[str, Any]] = []
    for render in _renders(programme, ws):
        profile = _profile(programme, render.name)
        what = profile.part_suffix((programme.deliverable_cut(render.name) or 0) + 1) if profile else render.name
        out = delivered(base, what, "" if render.folder else render.path.suffix)
        for member in render.members:  # a deliverable that is a folder travels as that folder
            inside = member.relative_to(render.path) if render.folder else None
            _copy(member, root / "video" / out / inside if inside else root / "video" / out, files, root)
        entries.append({"deliverable": render.name, "file": out, "size_bytes": sum(m.stat().st_size
                                                                                  for m in render.members),
                        "specs": tech_specs(profile) if profile else {},
                        "loudness": _loudness(render, qc.file(render.name))})
        for n, poster in enumerate(_posters(qc, render.name), 1):
            _copy(poster, root / "posters" / delivered(base, f"{what} poster {n}", ".jpg"), files, root)
    for (lang, ext), src in _subtitles(ws).items():
        _copy(src, root / "subtitles" / delivered(base, f"sub {lang}", ext), files, root)
    for src in _transcripts(programme, ws):
        _copy(src, root / "transcripts" / delivered(base, f"transcript {src.stem}", src.suffix), files, root)
    for ext, src in (("json", qc_report_path(ws)), ("html", ws.qc_dir / "report.html")):
        if src.is_file():
            _copy(src, root / "qc" / delivered(base, "qc report", ext), files, root)
    publish = _copy_publish(ws, published, root, files) if published is not None else None
    duration: str | None = None
    tl: Timeline | None = None
    if ws.timeline_json.is_file():
        tl = load_timeline(ws.timeline_json)
        duration = ms_to_timecode(tl.duration_ms, tl.rate) + f" ({float(Fraction(tl.duration_frames) / tl.rate):.1f} s)"
    sheet = build_sheet(programme, duration=duration, files=entries, glossary=glossary_entries(programme),
                        qc_verdict=qc.verdict.value, notes=_notes(ws, tl.rate if tl else None),
                        approval=review_summary(read_approval(ws)), publish=publish)
    write_json(root / "metadata" / delivered(base, "metadata", "json"), sheet)
    write_text(root / "metadata" / delivered(base, "metadata", "html"), sheet_html(sheet))
    files += [f"metadata/{delivered(base, 'metadata', ext)}" for ext in ("json", "html")]
    return files, sheet


def _notes(ws: Workspace, rate: Fraction | None) -> list[dict[str, Any]]:
    """The review notes as the sheet lists them, with timecodes at the programme's rate."""
    out = []
    for n in read_notes(ws):
        entry: dict[str, Any] = n.to_json()
        if rate is not None:
            entry["in_tc"] = ms_to_timecode(n.in_ms, rate)
            entry["out_tc"] = ms_to_timecode(n.out_ms, rate)
        out.append(entry)
    return out


def review_summary(record: Approval | None) -> dict[str, Any] | None:
    """Who decided (approved, approved with changes, asked for changes), when, with what comment,
    over which files, and the obstacles set aside with their reasons."""
    if record is None:
        return None
    return {"decision": record.decision, "by": record.by, "at": record.at, "comment": record.comment,
            "files": dict(record.files), "overrides": [o.to_json() for o in record.overrides]}


def _bag(root: Path, programme: Programme, base: str, qc: QCReport, failures: list[str],
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
        "QC-Verdict": qc.verdict.value,
        "Bagging-Software": f"reportage {__version__} (bagit-python)",
        "Bagging-Date": dt.date.today().isoformat(),
    }
    if failures:
        info["QC-Override"] = f"packaged with --allow-fail despite {len(failures)} failed check(s)"
        info["QC-Failed-Checks"] = "; ".join(failures)[:900]
    if sheet.get("publish"):  # the portal's and the platforms' packages, whole in the metadata sheet
        info["Publish-Packages"] = "; ".join(f"data/{p['folder']}/ ({p['files']} files)" for p in sheet["publish"])
    if stage_failures:  # what the outputs were made without: a failure upstream that still stands
        info["Stage-Failures"] = "; ".join(" ".join(line.split()) for line in stage_failures)[:900]
    approval = sheet.get("approval") or {}
    if unapproved is not None:
        info["Review-Override"] = f"packaged with --allow-unapproved: {unapproved}"[:900]
    elif approval.get("decision") in APPROVING:
        info["Review-Decision"] = str(approval["decision"]).replace("_", " ")
        info["Review-Approved-By"] = str(approval.get("by") or "")
        info["Review-Approved-At"] = str(approval.get("at") or "")
        overrides = approval.get("overrides") or []
        if overrides:  # what the approver set aside knowingly, and why (whole in the metadata sheet)
            ordered = sorted(overrides, key=lambda o: o.get("kind") == "qc_fail")  # QC's many checks last
            info["Review-Overrides"] = (f"{len(overrides)} set aside: " + "; ".join(
                f"{o['id']}: {o['reason']} ({o['by']})" for o in ordered))[:900]
    info = {k: v for k, v in info.items() if v}
    try:
        bagit.make_bag(str(root), bag_info=info, checksums=["sha256", "md5"], processes=1)
    except (bagit.BagError, OSError) as exc:
        raise WorkspaceError(f"cannot build the bag ({exc})", path=root) from exc
