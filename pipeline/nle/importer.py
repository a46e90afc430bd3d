"""`timeline: {edit: FILE}`: read the NLE's edit and place it on the ingested footage (assemble's entry)."""

from __future__ import annotations

from pathlib import Path

from ..errors import ManifestError
from ..manifest import Programme
from ..workspace import Workspace
from .edit import EditProblem, edit_from_otio
from .formats import format_of, read_edit
from .match import footage_from_workspace
from .placement import Placed, place_edit


def import_edit(programme: Programme, ws: Workspace, edit_path: Path) -> Placed:
    """The edit file as timeline parts; ManifestError (naming the manifest, the edit and each event)
    for anything that cannot become the programme."""
    spec = programme.timeline_spec
    fmt = format_of(edit_path, spec.format)
    read = read_edit(edit_path, fmt, programme.rate)
    try:
        edit = edit_from_otio(read)
    except EditProblem as exc:
        raise ManifestError(f"timeline.edit {edit_path.name}: {exc}", path=programme.manifest_path) from exc
    footage = footage_from_workspace(ws, [src.clip_id for src in programme.sources()])
    if not footage:
        raise ManifestError("timeline.edit: no footage has been ingested yet", path=programme.manifest_path,
                            hint="run `reportage ingest MANIFEST` first")
    return place_edit(edit, footage, programme.rate, manifest=programme.manifest_path, edit_path=edit_path)
