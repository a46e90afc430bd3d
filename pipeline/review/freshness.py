"""Whether the renders and the QC report are up to date, as the stages' recorded runs say.

The review room asks the registry (`pipeline.run`, never a stage module) for the render and QC
stages' plans with the settings every command uses, and checks each target the way the stage's own
make does (`Work.check`): a deliverable's render is stale when its plan no longer matches its last
recorded run, the QC report when the QC stage's plan for `programme` does not. No file's mtime
decides anything. `review.obstacles` turns the answer into what the page shows.
"""

from __future__ import annotations

from ..errors import ReportageError
from ..manifest import Programme
from ..run import stage
from ..stagerun import PROGRAMME
from ..workspace import Workspace
from .obstacles import Freshness

NO_MANIFEST = "phòng duyệt được mở không kèm manifest."


def stage_freshness(programme: Programme | None, ws: Workspace) -> Freshness:
    """The deliverables whose render is stale and whether the QC report is, for `programme`; without
    a manifest the stages cannot be asked (`Freshness.unchecked`)."""
    if programme is None:
        return Freshness(unchecked=NO_MANIFEST)
    stale, problem = _stale_renders(programme, ws)
    return Freshness(stale_renders=stale, render_problem=problem, qc_stale=_qc_stale(programme, ws))


def _stale_renders(programme: Programme, ws: Workspace) -> tuple[tuple[str, ...], str | None]:
    """Each deliverable whose render plan differs from its last recorded run (the render stage keys
    its work by its own inputs alone: `upstream=False`, as it asks); all of them, with the reason,
    when the stage cannot plan."""
    render = stage("render")
    try:
        planned = render.plan(programme, ws)
    except ReportageError as exc:
        return programme.deliverables, exc.one_line()
    work = render.work(ws)
    return tuple(name for name, inputs in planned.items()
                 if inputs is None or not work.check(name, inputs, upstream=False).fresh), None


def _qc_stale(programme: Programme, ws: Workspace) -> bool:
    """Whether the QC stage would judge the report again: its plan for `programme` differs from its
    last recorded run (failures upstream included, as its make keys them)."""
    qc = stage("qc")
    try:
        planned = qc.plan(programme, ws)
    except ReportageError:
        return True
    inputs = planned.get(PROGRAMME)
    return inputs is None or not qc.work(ws).check(PROGRAMME, inputs).fresh
