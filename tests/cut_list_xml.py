"""An FCP7 XML of a programme's cut list, as Premiere would export the same cut: the end-to-end test
of the NLE round trip writes one so a programme can be assembled from an edit file and compared with
its cut list.

It reads the manifest's `cut:` and the ingested clips (for each clip's own timecode and rate), builds
the timeline the cut list describes, and writes it through the same export path as
`reportage export --format fcp7xml` (sequence at the house rate, start 10:00:00:00, linked to the
original files). Importing the file gives the same timeline.json as the cut list.

A test helper, so it lives with the tests: the pipeline never writes an edit from a cut list, and the
sample generator (`scripts/make-sample-footage`, standard library only) writes its own FCP7 XML.
"""

from __future__ import annotations

from pathlib import Path

from pipeline import fsutil
from pipeline.manifest import Programme
from pipeline.nle.export import export_text
from pipeline.nle.match import footage_from_workspace
from pipeline.nle.plan import ExportPlan
from pipeline.nle.programme import DEFAULT_START_TC
from pipeline.stages.assemble import build_timeline
from pipeline.timecode import Timecode
from pipeline.workspace import Workspace


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
