"""`reportage qc`, `reportage package`, `reportage verify`, and how QC and package reports are
drawn (`show_qc`, `show_package`, also used by `reportage run`).

`qc` takes a manifest (every deliverable + subtitles, report files in qc/) or any single media file
with `--profile` (what a receiving centre runs on arrival). Exit code 1 on any FAIL.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from .. import ui
from ..errors import ManifestError
from ..manifest import Programme
from ..qc.plan import CheckResult
from ..records.qc import QCReport
from ..validate import load_manifest
from .common import Ctx, manifest_arg, pass_ctx

_COLUMNS = ["verdict", "check", "measured", "limit", "detail"]


def _rows(checks: Sequence[CheckResult]) -> list[list[str]]:
    return [[ch.status.value, ch.label, ch.measured, ch.limit, ch.detail] for ch in checks]


def show_qc(c: Ctx, programme: Programme, report: Any) -> None:
    """One table per deliverable and one for the subtitles, then the verdict and the HTML report;
    one line when the report was up to date."""
    if c.as_json:
        return
    if report.up_to_date:
        ui.say(f"qc: {programme.id} up to date ({report.verdict}) — {report.html}", c.quiet)
        return
    if not c.quiet:
        judged: QCReport = report.report
        for f in judged.files:
            ui.table(f"qc {f.deliverable} ({f.profile}): {f.verdict.value}", _COLUMNS, _rows(f.checks))
        ui.table("qc subtitles", _COLUMNS, _rows(judged.subtitles))
    ui.say(f"qc: {programme.id} {report.verdict} — {report.html}", c.quiet)


def show_package(c: Ctx, programme: Programme, report: Any) -> None:
    """The bag, whether it was built, and any QC failures it was sent with."""
    if c.as_json:
        return
    note = f" (with {len(report.allowed_failures)} QC failure(s), --allow-fail)" if report.allowed_failures else ""
    if getattr(report, "unapproved", None):
        note += f" (not approved: {report.unapproved}, --allow-unapproved)"
    state = "up to date" if report.up_to_date else f"{len(report.files)} files"
    ui.say(f"package: {report.bag} — {state}{note}" + (f", zip {report.zip}" if report.zip else ""), c.quiet)
    published = getattr(report, "published", None) or []
    if published:
        ui.say(f"  with the publish packages: {', '.join(f'data/publish/{p}/' for p in published)}", c.quiet)
    failed = getattr(report, "stage_failures", None) or []
    if failed:
        ui.say(f"  bag-info.txt Stage-Failures: made without {len(failed)} failed step(s) — {failed[0]}", c.quiet)


@click.command("qc")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--profile", "profile_name", help="Check TARGET as a single media file against this profile.")
@pass_ctx
def qc_command(c: Ctx, target: Path, profile_name: str | None) -> None:
    """QC a programme (MANIFEST) or one media file (FILE --profile NAME); exit 1 on any FAIL."""
    if profile_name is None and target.suffix.lower() not in (".yaml", ".yml"):
        raise ManifestError("a media file needs --profile NAME", path=target,
                            hint="e.g. reportage qc FILE --profile broadcast-xdcam")
    if profile_name is None:
        programme = load_manifest(target)
        c.stage_command(programme, "qc", show_qc)
        return
    from ..profiles import load_profile
    from ..stages.qc import qc_file

    result = qc_file(target, load_profile(profile_name))
    if c.as_json:
        ui.emit_json(result.to_json())
    elif not c.quiet:
        ui.table(f"qc {target.name} ({result.profile}): {result.verdict.value}", _COLUMNS,
                 _rows(result.checks))
    if result.verdict.value == "FAIL":
        sys.exit(1)


@click.command("package")
@manifest_arg
@click.option("--zip", "make_zip", is_flag=True, help="Also write delivery/<BAG>.zip.")
@click.option("--allow-fail", is_flag=True, help="Package even though QC failed (recorded in bag-info.txt).")
@click.option("--allow-unapproved", is_flag=True,
              help="Package outputs not approved in `reportage review` (recorded in bag-info.txt).")
@click.option("--with-publish", is_flag=True,
              help="Also carry the web and social packages of `reportage publish` (data/publish/).")
@pass_ctx
def package_command(c: Ctx, manifest: Path, make_zip: bool, allow_fail: bool, allow_unapproved: bool,
                    with_publish: bool) -> None:
    """Build the BagIt delivery package in WORKSPACE/<id>/delivery/; refused while QC has a FAIL or
    while the current renders and subtitles are not the approved ones (and, with --with-publish, while
    there is no publish record or its web package failed the stream check)."""
    from ..stages.package import Settings

    programme = load_manifest(manifest)
    c.stage_command(programme, "package", show_package,
                    Settings(allow_fail=allow_fail, make_zip=make_zip, allow_unapproved=allow_unapproved,
                             with_publish=with_publish))


@click.command("verify")
@click.argument("package", type=click.Path(path_type=Path))
@pass_ctx
def verify_command(c: Ctx, package: Path) -> None:
    """Check a delivery bag: every file present, every SHA-256 and MD5 matching; exit 1 otherwise."""
    from ..package.verify import verify_bag

    result = verify_bag(package)
    if c.as_json:
        ui.emit_json({"bag": result.bag, "ok": result.ok, "files": result.files, "problems": result.problems})
    else:
        for problem in result.problems:
            ui.console.print(f"FAIL {problem}", markup=False)
        state = "valid" if result.ok else f"INVALID ({len(result.problems)} problem(s))"
        ui.say(f"verify: {package} {state}: {result.files} payload files, {', '.join(result.algorithms)}", False)
    if not result.ok:
        sys.exit(1)
