"""`reportage publish MANIFEST`: the web-portal package and the social package (the work is
`pipeline.stages.publish`), and how its report is drawn (`show_publish`, also used by `reportage run`).
Exit code 1 when the stream validator fails the web package or a platform's limit is broken."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .. import ui
from ..manifest import Programme
from .common import Ctx, manifest_arg, pass_ctx


def show_publish(c: Ctx, programme: Programme, report: Any) -> None:
    """Where to open the page and the social sheet, the validator's verdict, what a platform refuses."""
    if c.as_json:
        return
    ws = c.workspace(programme)
    if report.held:
        ui.say(f"publish: {programme.id} {report.held}", c.quiet)
        return
    state = "up to date" if report.up_to_date else "published"
    ui.say(f"publish: {programme.id} {state}", c.quiet)
    if report.web is not None:
        web = report.web
        verdict = (f"all {web.rules_passed} stream rules pass" if web.ok
                   else f"{len(web.failures)} stream rule failure(s)")
        ui.say(f"  web: open {ws.dir / web.folder / web.page} — {', '.join(web.renditions)}, "
               f"subtitles {', '.join(web.subtitles)}; {verdict}", c.quiet)
        for line in web.failures[:5]:
            ui.say(f"    FAIL {line}", c.quiet)
    if report.social is not None:
        social = report.social
        ui.say(f"  social: {ws.dir / social.folder / social.sheet} — {', '.join(social.platforms)}"
               + (f"; {len(social.problems)} problem(s)" if social.problems else ""), c.quiet)
        for line in social.problems[:5]:
            ui.say(f"    PROBLEM {line}", c.quiet)
        for line in social.notes[:3]:
            ui.say(f"    note: {line}", c.quiet)
    for line in report.warnings:
        ui.say(f"  warning: {line}", c.quiet)
    if report.allowed_failures:
        ui.say(f"  published with {len(report.allowed_failures)} QC failure(s) (--allow-fail)", c.quiet)


@click.command("publish")
@manifest_arg
@click.option("--allow-fail", is_flag=True, help="Publish even though QC failed (said in publish/publish.json).")
@click.option("--only", type=click.Choice(["web", "social"]), multiple=True,
              help="Only this part (repeatable); the other is left as it is.")
@pass_ctx
def publish(c: Ctx, manifest: Path, allow_fail: bool, only: tuple[str, ...]) -> None:
    """Write the web package (HLS + DASH, player page, README for the portal) into
    WORKSPACE/<id>/publish/web/ and the social package into publish/social/; refused while QC has a FAIL."""
    from ..stages.publish import Settings
    from ..validate import load_manifest

    programme = load_manifest(manifest)
    c.stage_command(programme, "publish", show_publish, Settings(allow_fail=allow_fail, only=only))
