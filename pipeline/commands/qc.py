"""`reportage qc`, `reportage package`, `reportage verify`, and the `run_step` hooks for `reportage run`.

`qc` takes a manifest (every deliverable + subtitles, report files in qc/) or any single media file
with `--profile` (what a receiving centre runs on arrival). Exit code 1 on any FAIL.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import ui
from ..errors import ManifestError
from ..manifest import Programme, load_manifest
from .common import Ctx, manifest_arg, pass_ctx


def _print_checks(c: Ctx, title: str, rows: list[list[str]]) -> None:
    if not c.quiet:
        ui.table(title, ["verdict", "check", "measured", "limit", "detail"], rows)


def qc_step(c: Ctx, programme: Programme) -> bool:
    """QC every deliverable and the subtitles; write qc/report.json + report.html. True when no FAIL."""
    from ..fsutil import read_json
    from ..qc.report import summary_rows, write_reports
    from ..stagerun import read_key, write_key
    from ..stages.qc import qc_inputs_key, qc_programme, qc_state_path

    ws = c.workspace(programme)
    key = qc_inputs_key(programme, ws)
    report_json = ws.qc_dir / "report.json"
    if read_key(qc_state_path(ws)) == key and report_json.is_file() and (ws.qc_dir / "report.html").is_file():
        previous = read_json(report_json)
        if c.as_json:
            ui.emit_json(previous)
        else:
            ui.say(f"qc: {programme.id} up to date ({previous.get('verdict')}) — {ws.qc_dir / 'report.html'}",
                   c.quiet)
        return not previous.get("failed")
    report = qc_programme(programme, ws)
    _, html_path = write_reports(report, ws.qc_dir)
    write_key(qc_state_path(ws), key)
    if c.as_json:
        ui.emit_json(report.to_dict())
    else:
        for f in report.files:
            _print_checks(c, f"qc {f.deliverable} ({f.profile}): {f.verdict.value}", summary_rows(f.checks))
        _print_checks(c, "qc subtitles", summary_rows(report.subtitles))
        ui.say(f"qc: {programme.id} {report.verdict.value} — {html_path}", c.quiet)
    return not report.failed


def package_step(c: Ctx, programme: Programme, *, allow_fail: bool = False, make_zip: bool = False) -> bool:
    """Build the delivery bag; raises WorkspaceError (one clear line) while QC has FAILs."""
    from ..stages.package import package_programme

    result = package_programme(programme, c.workspace(programme), allow_fail=allow_fail, make_zip=make_zip)
    if c.as_json:
        ui.emit_json(result.to_dict())
    else:
        note = f" (with {len(result.allowed_failures)} QC failure(s), --allow-fail)" if result.allowed_failures else ""
        state = "up to date" if result.up_to_date else f"{len(result.files)} files"
        ui.say(f"package: {result.bag} — {state}{note}"
               + (f", zip {result.zip}" if result.zip else ""), c.quiet)
    return True


def run_step(c: Ctx, programme: Programme) -> bool:
    """QC then package, for `reportage run`: packaging only when QC has no FAIL."""
    return qc_step(c, programme) and package_step(c, programme)


def run_qc_step(c: Ctx, programme: Programme) -> bool:
    """The QC stage alone, for `reportage run`."""
    return qc_step(c, programme)


def run_package_step(c: Ctx, programme: Programme) -> bool:
    """The package stage alone, for `reportage run` (refuses on QC FAIL)."""
    return package_step(c, programme)


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
        ok = qc_step(c, load_manifest(target))
        if not ok:
            sys.exit(1)
        return
    from ..profiles import load_profile
    from ..qc.report import summary_rows
    from ..stages.qc import qc_file

    result = qc_file(target, load_profile(profile_name))
    if c.as_json:
        ui.emit_json(result.to_dict())
    else:
        _print_checks(c, f"qc {target.name} ({result.profile}): {result.verdict.value}", summary_rows(result.checks))
    if result.verdict.value == "FAIL":
        sys.exit(1)


@click.command("package")
@manifest_arg
@click.option("--zip", "make_zip", is_flag=True, help="Also write delivery/<BAG>.zip.")
@click.option("--allow-fail", is_flag=True, help="Package even though QC failed (recorded in bag-info.txt).")
@pass_ctx
def package_command(c: Ctx, manifest: Path, make_zip: bool, allow_fail: bool) -> None:
    """Build the BagIt delivery package in WORKSPACE/<id>/delivery/."""
    package_step(c, load_manifest(manifest), allow_fail=allow_fail, make_zip=make_zip)


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
