"""`reportage export MANIFEST --format fcp7xml|fcpxml|otio|edl [--to FILE]`: the assembled programme
back to the NLE (the work is `pipeline.nle.programme.export_programme`)."""

from __future__ import annotations

from pathlib import Path

import click

from .. import ui
from ..nle.formats import FORMATS
from ..validate import load_manifest
from .common import Ctx, manifest_arg, pass_ctx


@click.command("export")
@manifest_arg
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True,
              help="fcp7xml (Premiere, Resolve), fcpxml (Final Cut Pro X), otio (Resolve 18.5+), edl (Vegas, Avid).")
@click.option("--to", "to", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write it (default WORKSPACE/<id>/export/<id>.<ext>); SRTs go beside it.")
@pass_ctx
def export_command(c: Ctx, manifest: Path, fmt: str, to: Path | None) -> None:
    """Export the assembled programme, linked to the original footage, with subtitles and QC/review markers."""
    from ..nle.programme import export_programme

    programme = load_manifest(manifest)
    with c.locked(programme) as ws:
        report = export_programme(programme, ws, fmt, to)
    if c.as_json:
        ui.emit_json(report.to_dict())
        return
    ui.say(f"export: {programme.id} {fmt} from {report.start_tc}, {report.markers} marker(s), subtitles "
           f"{', '.join(report.subtitles) or 'none'} — " + ", ".join(str(p) for p in report.files), c.quiet)
