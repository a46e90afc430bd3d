"""Package stage: the BagIt delivery bag of a programme, built in a temporary folder and renamed
into `delivery/<BAG_NAME>/` so a receiver (or a crash) never sees half a bag.

Refuses while the QC report has a FAIL unless `allow_fail`, which is written into bag-info.txt so
the receiver sees the bag was sent knowingly with failures.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import bagit

from .. import __version__
from ..errors import WorkspaceError
from ..fsutil import default_dir_mode, read_json, write_json, write_text
from ..manifest import Programme
from ..package.naming import bag_name, delivered
from ..package.sheet import build_sheet, glossary_entries, sheet_html, tech_specs
from ..package.verify import zip_bag
from ..profiles import load_profile
from ..stagerun import files_fingerprint, inputs_hash, read_key, write_key
from ..timecode import ms_to_timecode
from ..timeline import load_timeline
from ..workspace import Workspace
from .qc import find_renders


@dataclass
class PackageResult:
    bag: Path
    files: list[str] = field(default_factory=list)
    zip: Path | None = None
    allowed_failures: list[str] = field(default_factory=list)
    up_to_date: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"bag": str(self.bag), "files": self.files, "zip": str(self.zip) if self.zip else None,
                "allowed_failures": self.allowed_failures}


def _qc(ws: Workspace) -> dict[str, Any]:
    path = ws.qc_dir / "report.json"
    if not path.is_file():
        raise WorkspaceError("no QC report yet", path=path, hint="run `reportage qc MANIFEST` first")
    data = read_json(path)
    if not isinstance(data, dict):
        raise WorkspaceError("QC report is not a JSON object", path=path)
    return data


def _loudness(render: Path, qc_checks: list[dict[str, Any]]) -> dict[str, Any]:
    """Measured figures: the render's own log when present, else the QC re-measurement."""
    log = render.with_name(render.name + ".loudness.json")
    if log.is_file():
        try:
            data = read_json(log)
            if isinstance(data, dict):
                return {k: data.get(k) for k in ("integrated", "true_peak", "lra")} | {
                    k.replace("_lufs", "").replace("_dbtp", "").replace("_lu", ""): v
                    for k, v in data.items() if k in ("integrated_lufs", "true_peak_dbtp", "lra_lu")}
        except (OSError, ValueError):
            pass
    out: dict[str, Any] = {}
    for check in qc_checks:
        key = {"loudness.integrated": "integrated", "loudness.true_peak": "true_peak", "loudness.lra": "lra"}.get(
            str(check.get("id")))
        if key:
            try:
                out[key] = float(str(check.get("measured", "")).split()[0])
            except (ValueError, IndexError):
                out[key] = None
    return out


def package_programme(programme: Programme, ws: Workspace, *, allow_fail: bool = False,
                      make_zip: bool = False) -> PackageResult:
    """Build `delivery/<BAG_NAME>/` (and `<BAG_NAME>.zip` with `make_zip`)."""
    qc = _qc(ws)
    failed = [str(x) for x in qc.get("failed", [])]
    if failed and not allow_fail:
        raise WorkspaceError(f"QC has {len(failed)} failed check(s): " + "; ".join(failed[:3]),
                             path=ws.qc_dir / "report.json", hint="fix them, or package with --allow-fail")
    base = bag_name(programme.id, programme.manifest.year)
    target = ws.delivery_dir / base
    state = ws.delivery_dir / f".{base}.inputs.json"
    key = _inputs_key(programme, ws, allow_fail, make_zip)
    zip_path = ws.delivery_dir / f"{base}.zip"
    if target.is_dir() and read_key(state) == f"{key}:{_bag_key(target)}" and (zip_path.is_file() or not make_zip):
        files = sorted(str(p.relative_to(target)) for p in (target / "data").rglob("*") if p.is_file())
        return PackageResult(target, files, zip_path if make_zip else None,
                             allowed_failures=failed if allow_fail else [], up_to_date=True)
    ws.delivery_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{base}.", suffix=".part", dir=ws.delivery_dir))
    os.chmod(tmp, default_dir_mode())
    try:
        copied, sheet = _stage_payload(programme, ws, tmp, base, qc)
        _bag(tmp, programme, base, qc, failed if allow_fail else [], sheet)
        if target.exists():
            old = ws.delivery_dir / f".{base}.old"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
            shutil.rmtree(old, ignore_errors=True)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result = PackageResult(target, copied, allowed_failures=failed if allow_fail else [])
    if make_zip:
        result.zip = zip_bag(target, zip_path)
    write_key(state, f"{key}:{_bag_key(target)}")
    return result


def _bag_key(bag: Path) -> str:
    """The bag as written (every file's size and mtime): a bag touched since is built again."""
    return inputs_hash({"files": files_fingerprint([p for p in bag.rglob("*") if p.is_file()])})


def _inputs_key(programme: Programme, ws: Workspace, allow_fail: bool, make_zip: bool) -> str:
    """Everything the bag is made from: the QC report, renders, subtitles, transcripts, manifest."""
    watched = [ws.qc_dir / "report.json", *find_renders(ws).values(), programme.manifest_path]
    for folder in (ws.subtitles_dir, ws.transcripts_dir, ws.qc_dir / "posters"):
        if folder.is_dir():
            watched += [p for p in folder.iterdir() if p.is_file()]
    return inputs_hash({"version": 1, "files": files_fingerprint(watched), "allow_fail": allow_fail,
                        "zip": make_zip})


def _copy(src: Path, dst: Path, files: list[str], root: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)
    files.append(str(dst.relative_to(root)))


def _stage_payload(programme: Programme, ws: Workspace, root: Path, base: str,
                   qc: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """Copy every payload file under ASCII names; write the metadata sheet. Returns names and sheet."""
    files: list[str] = []
    overrides = programme.base_dir / "profiles"
    qc_by_name = {d["deliverable"]: d for d in qc.get("deliverables", [])}
    entries: list[dict[str, Any]] = []
    for name, render in find_renders(ws).items():
        try:
            profile = load_profile(name, overrides if overrides.is_dir() else None)
        except Exception:
            profile = None
        what = profile.suffix if profile else name
        out = delivered(base, what, render.suffix)
        _copy(render, root / "video" / out, files, root)
        entries.append({"deliverable": name, "file": out, "size_bytes": render.stat().st_size,
                        "specs": tech_specs(profile) if profile else {},
                        "loudness": _loudness(render, qc_by_name.get(name, {}).get("checks", []))})
        for n, poster in enumerate(sorted((ws.qc_dir / "posters").glob(f"{name}_poster*.jpg")), 1):
            _copy(poster, root / "posters" / delivered(base, f"{what} poster {n}", ".jpg"), files, root)
    for lang in ("vi", "en"):
        for ext in ("srt", "vtt"):
            src = ws.subtitle(lang, ext)
            if src.is_file():
                _copy(src, root / "subtitles" / delivered(base, f"sub {lang}", ext), files, root)
    if ws.transcripts_dir.is_dir():
        for src in sorted(ws.transcripts_dir.iterdir()):
            if src.is_file() and src.suffix in (".json", ".txt"):
                _copy(src, root / "transcripts" / delivered(base, f"transcript {src.stem}", src.suffix), files, root)
    for ext in ("json", "html"):
        src = ws.qc_dir / f"report.{ext}"
        if src.is_file():
            _copy(src, root / "qc" / delivered(base, "qc report", ext), files, root)
    duration = None
    if ws.timeline_json.is_file():
        tl = load_timeline(ws.timeline_json)
        duration = ms_to_timecode(tl.duration_ms, tl.rate) + f" ({float(Fraction(tl.duration_frames) / tl.rate):.1f} s)"
    sheet = build_sheet(programme, duration=duration, files=entries, glossary=glossary_entries(programme),
                        qc_verdict=str(qc.get("verdict", "unknown")))
    write_json(root / "metadata" / delivered(base, "metadata", "json"), sheet)
    write_text(root / "metadata" / delivered(base, "metadata", "html"), sheet_html(sheet))
    files += [f"metadata/{delivered(base, 'metadata', ext)}" for ext in ("json", "html")]
    return files, sheet


def _bag(root: Path, programme: Programme, base: str, qc: dict[str, Any], failures: list[str],
         sheet: dict[str, Any]) -> None:
    m = programme.manifest
    info: dict[str, Any] = {
        "Source-Organization": m.co_producers[0] if m.co_producers else "unknown",
        "External-Identifier": m.id,
        "External-Description": f"{m.title.vi} / {m.title.en}",
        "Bag-Group-Identifier": base,
        "Title-Vi": m.title.vi,
        "Title-En": m.title.en,
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
    info = {k: v for k, v in info.items() if v}
    try:
        bagit.make_bag(str(root), bag_info=info, checksums=["sha256", "md5"], processes=1)
    except (bagit.BagError, OSError) as exc:
        raise WorkspaceError(f"cannot build the bag ({exc})", path=root) from exc
