"""What was rendered from which inputs: `renders/render.json`, and the subtitle sidecars.

Each deliverable has its own inputs hash, so a change that only some outputs see re-renders only
those: an edited subtitle file changes the hash of the deliverables that burn subtitles in, while
web deliverables (sidecars only) keep theirs and just get the new sidecar copied.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from .. import fsutil
from ..profiles import Profile
from ..stagerun import file_fingerprint, inputs_hash
from ..workspace import Workspace
from .plan import PLAN_VERSION


def render_json(ws: Workspace) -> Path:
    return ws.dir / "renders" / "render.json"


def load_state(ws: Workspace) -> dict[str, Any]:
    path = render_json(ws)
    if not path.exists():
        return {"deliverables": {}}
    try:
        data: dict[str, Any] = fsutil.read_json(path)
    except (OSError, ValueError):
        return {"deliverables": {}}  # unreadable record: everything counts as stale
    data.setdefault("deliverables", {})
    return data


def save_state(ws: Workspace, state: dict[str, Any]) -> None:
    fsutil.write_json(render_json(ws), state)


def deliverable_inputs(*, profile: Profile, shared: dict[str, Any], burn_in: Path | None,
                       excerpt: tuple[float, float] | None) -> dict[str, Any]:
    """The inputs of one deliverable: the shared ones (timeline, working copies, graphics, logo,
    settings, ffmpeg) plus its profile, its burned-in subtitle file and its excerpt."""
    subtitle: Any = None
    if profile.subtitles.burn_in is not None:
        subtitle = fsutil.sha256_file(burn_in) if burn_in is not None and burn_in.exists() else "missing"
    return {"plan": PLAN_VERSION, **shared, "profile": profile.model_dump(mode="json", exclude={"source"}),
            "burn_in": subtitle, "excerpt": list(excerpt) if excerpt else None}


def working_copies(paths: list[str]) -> list[dict[str, Any]]:
    """Fingerprints of the working copies (size + mtime; checksums were taken at ingest)."""
    return [file_fingerprint(Path(p)) for p in sorted(set(paths))]


def is_fresh(state: dict[str, Any], name: str, key: str, output: Path) -> bool:
    entry = state["deliverables"].get(name)
    return bool(entry) and entry.get("inputs_hash") == key and output.exists()


def copy_sidecars(ws: Workspace, profile: Profile, output: Path) -> list[Path]:
    """Copy the subtitle files a web/broadcast deliverable carries beside it (`<stem>.<lang>.<fmt>`).

    Copied only when different, atomically; a missing subtitle file is skipped (the caller warns).
    """
    copied: list[Path] = []
    for lang in profile.subtitles.sidecar:
        for fmt in profile.subtitles.formats:
            source = ws.subtitle(lang, fmt)
            if not source.exists():
                continue
            target = output.with_name(f"{output.stem}.{lang}.{fmt}")
            if not target.exists() or target.read_bytes() != source.read_bytes():
                with fsutil.atomic_path(target) as tmp:
                    shutil.copyfile(source, tmp)
            copied.append(target)
    return copied


__all__ = ["copy_sidecars", "deliverable_inputs", "inputs_hash", "is_fresh", "load_state", "save_state",
           "working_copies"]
