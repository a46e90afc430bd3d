"""An FCP7 XML of a programme's cut list, as Premiere would export the same cut: the sample generator
calls `write_cut_list_xml` so one sample programme can be driven from an edit file.

It reads the manifest's `cut:` and the ingested clips (for each clip's own timecode and rate), builds
the timeline the cut list describes, and writes it through the same export path as
`reportage export --format fcp7xml` (sequence at the house rate, start 10:00:00:00, linked to the
original files). Importing the file gives the same timeline.json as the cut list.
"""

from __future__ import annotations

from pathlib import Path

from .. import fsutil
from ..manifest import Programme
from ..stages.assemble import build_timeline
from ..timecode import Timecode
from ..workspace import Workspace
from .export import ExportPlan, export_text
from .match import footage_from_workspace
from .programme import DEFAULT_START_TC


def cut_list_xml(programme: Programme, ws: Workspace, start_tc: str = DEFAULT_START_TC) -> str:
    """The FCP7 XML text of the programme's cut list (the clips must be ingested)."""
    timeline = build_timeline(programme, ws)
    used = sorted({s.clip_id for s in timeline.segments})
    footage = {c.clip_id: c for c in footage_from_workspace(ws, used)}
    title = programme.manifest.title.vi if programme.manifest.title else programme.id
    plan = ExportPlan(title, timeline, footage, Timecode.parse(start_tc, timeline.rate).frames, timeline.markers)
    return export_text(plan, "fcp7xml")


def write_cut_list_xml(programme: Programme, ws: Workspace, target: Path, start_tc: str = DEFAULT_START_TC) -> Path:
    """Write `cut_list_xml` to `target` atomically; returns `target`."""
    fsutil.write_text(target, cut_list_xml(programme, ws, start_tc))
    return target
