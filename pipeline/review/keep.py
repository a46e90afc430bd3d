"""Keep what was approved: at each approval, the player's file of every approved deliverable goes under
`review/approved/<deliverable>/<file>` (`records/approved.py`, whose one writer this is), so the room
can later show the approved picture beside a newer render.

A hard link when the render and the review folder share a file system: the render stage replaces its
files by renaming a new one into place (`fsutil.atomic_path`), so the link keeps the approved bytes
without taking any space. A copy otherwise. The whole folder is built beside and renamed into place
(`fsutil.atomic_dir`): a later approval replaces it whole, and a failure leaves the previous one. Each
kept file is checked against the approval's SHA-256 (the file approved is the file kept); the source
footage is never touched, only renders are read.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from .. import fsutil, stagerun
from ..errors import ReportageError
from ..records.approved import KeptApproval, KeptFile, approved_dir
from ..records.qc import relative_name
from ..records.review import Approval
from ..render.state import RenderedDeliverable, read_render_record
from ..workspace import Workspace
from .watch import PLAYABLE


def _place(source: Path, target: Path) -> bool:
    """`source` at `target`: a hard link (True) where the file system allows one, else a copy (False)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
        return True
    except OSError:  # another file system (EXDEV), or one without links (EPERM, ENOTSUP)
        shutil.copyfile(source, target)
        return False


def _digest(ws: Workspace, source: Path, kept: Path, linked: bool) -> str:
    """The kept file's SHA-256: for a link (the same bytes as the render) the catalogue's reading of the
    render when its size and time still match, so a long render is not read again; read otherwise."""
    if linked and os.path.samefile(source, kept):
        known = stagerun.known_hash(ws, source)
        if known is not None:
            return known
    return fsutil.sha256_file(kept)


def _keep_one(ws: Workspace, folder: Path, entry: RenderedDeliverable, digest: str) -> KeptFile | str:
    """Keep one deliverable's playable file in `folder`, or say why not."""
    main = entry.main
    suffix = main.suffix.lower()
    if suffix not in PLAYABLE:
        return (f"trình duyệt không phát được {main.suffix}, không giữ để so sánh / "
                f"the browser cannot play {main.suffix}: not kept for comparison")
    if not main.is_file():
        return "tệp không còn / the file is missing"
    name = f"{entry.name}/{main.name}"
    target = folder / entry.name / main.name
    linked = _place(main.resolve(), target)
    if _digest(ws, main, target, linked) != digest:
        target.unlink()
        return "tệp đã đổi từ lúc duyệt / the file changed after it was approved"
    st = target.stat()
    start = entry.excerpt_s[0] if entry.excerpt_s else 0.0
    return KeptFile(entry.name, name, relative_name(ws, main), digest, st.st_size, st.st_mtime_ns, linked,
                    entry.leader_s - start,
                    (round(entry.excerpt_s[0] * 1000), round(entry.excerpt_s[1] * 1000)) if entry.excerpt_s else None)


def keep_approved(ws: Workspace, approval: Approval) -> KeptApproval:
    """Keep the playable file of every deliverable `approval` approved (its main file named in the
    approval's files), replacing what an earlier approval kept. Run under the programme's lock, as the
    approval is, so no render replaces a file between the two."""
    record = read_render_record(ws)
    kept: dict[str, KeptFile] = {}
    skipped: dict[str, str] = {}
    with fsutil.atomic_dir(approved_dir(ws)) as folder:
        for name in sorted(record.deliverables):
            entry = record.deliverables[name]
            digest = approval.files.get(relative_name(ws, entry.main))
            if digest is None:
                continue  # not among the files approved
            outcome = _keep_one(ws, folder, entry, digest)
            if isinstance(outcome, KeptFile):
                kept[name] = outcome
            else:
                skipped[name] = outcome
        result = KeptApproval(approval.decision, approval.by, approval.at, kept, skipped)
        fsutil.write_json(folder / "approved.json", result.to_json())
    return result


def keep_after_approval(ws: Workspace, approval: Approval) -> dict[str, Any]:
    """`keep_approved` for the room's approve button: the decision is already recorded and stands
    whatever happens here, so a failure (a full disk) is said in the answer, not raised."""
    try:
        result = keep_approved(ws, approval)
    except (ReportageError, OSError) as exc:  # `atomic_dir` has left the previous folder as it was
        text = exc.one_line() if isinstance(exc, ReportageError) else str(exc)
        return {"kept": [], "skipped": {}, "error": f"không giữ được bản đã duyệt để so sánh / "
                                                     f"could not keep the approved version: {text}"}
    return {"kept": sorted(result.kept), "skipped": dict(result.skipped), "error": None}
