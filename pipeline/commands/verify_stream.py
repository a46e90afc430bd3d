"""`reportage verify-stream DIR`: judge an HLS web package by RFC 8216 and Apple's authoring rules
(the work is `pipeline.publish.streamcheck.verify_stream`). A table, or one JSON document with
`--json`; exit code 1 on any FAIL, so a script can stop before publishing a package players reject."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import ui
from .common import Ctx, pass_ctx

_COLUMNS = ["status", "rule", "where", "detail", "source"]


@click.command("verify-stream")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--probe", "probe_limit", type=click.IntRange(min=2), default=None,
              help="Most segments per playlist decoded for the IDR check (default 12; more are sampled).")
@click.option("--json", "json_flag", is_flag=True, help="Print one JSON document (as the global --json).")
@pass_ctx
def verify_stream_command(c: Ctx, folder: Path, probe_limit: int | None, json_flag: bool) -> None:
    """Check the HLS package in FOLDER (master.m3u8 at its top); exit 1 on any FAIL."""
    from ..publish.streamcheck import PROBE_SAMPLE, verify_stream

    as_json = c.as_json or json_flag
    if json_flag:
        ui.json_requested(True)  # an error now prints a JSON document too
    report = verify_stream(folder, probe_limit=probe_limit or PROBE_SAMPLE)
    if as_json:
        ui.emit_json(report.to_dict())
    else:
        if c.verbosity >= 0:
            ui.table(f"verify-stream {folder}: {report.status.value}", _COLUMNS,
                     [[r.status.value, r.rule, r.where(), r.detail, r.source] for r in report.results])
        for note in report.notes:
            ui.say(f"note: {note}", c.quiet)
        failed = report.failures()
        state = f"{len(failed)} FAIL(s)" if failed else report.status.value
        ui.say(f"verify-stream: {folder} {state}", c.quiet)
    if not report.ok:
        sys.exit(1)
