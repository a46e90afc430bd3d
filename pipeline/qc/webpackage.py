"""QC of the web package the publish stage wrote: the stream validator (`publish/streamcheck.py`) run
on its HLS stream, its verdicts one more section of the QC report (`web-package`) that fails QC like
any deliverable.

Why QC runs the validator itself rather than reading the publish record's verdict: the record says
what was found when it was written, and a playlist edited by hand or a stream packaged again since
would go out unjudged; the QC report must be of the files as they are. Where the stream is comes
from the record (`publish/publish.json`: the web part's folder and master playlist), never from
guessing at folders; without a web part, or with its folder gone, there is no section at all.

Checking is cheap (the playlists, and a sample of segments probed for their IDR), but a package of
an hour holds thousands of segments, so the QC stage keys it (target `web-package`) by the content
of every file of the stream (`stagerun.folder_hashes`: each read once, then known by size and mtime) and
judges it again only when one changed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import ReportageError
from ..publish.streamcheck import MASTER_NAME, verify_stream
from ..records.publish import read_publish_record, web_dir
from ..workspace import Workspace
from .plan import CheckResult, Status

WEB_PACKAGE = "web-package"
"""The section's name in the report, and the QC stage's target for it."""
PROFILE = "hls"
"""What the section is judged against (the report's profile column): RFC 8216 and Apple's HLS
authoring specification, as the validator's rules."""
REPUBLISH = "run `reportage publish MANIFEST` again"


@dataclass(frozen=True)
class WebPackage:
    """The stream to judge, as the publish record places it: its folder and its master playlist as
    the report names it (relative to the programme folder). `problem`: why it cannot be judged (the
    record unreadable), a verdict standing in for the validator's."""

    folder: Path
    shown: str
    problem: CheckResult | None = None


def web_package(ws: Workspace) -> WebPackage | None:
    """The HLS stream of the programme's web package, None when the publish record has no web part
    or its folder is gone (QC then has nothing to say about publishing)."""
    try:
        record = read_publish_record(ws)
    except ReportageError as exc:
        return WebPackage(web_dir(ws), "publish/publish.json", CheckResult(
            "hls.record", "Publish record readable", Status.WARN, "unreadable", "publish/publish.json",
            f"{exc.problem}: the web package cannot be found to be judged; {REPUBLISH}"))
    web = record.web if record is not None else None
    if web is None or not web.path(ws).is_dir():
        return None
    master = PurePosixPath(web.master or f"stream/{MASTER_NAME}")
    folder = web.path(ws) / master.parent
    return WebPackage(folder, (PurePosixPath(web.folder) / master).as_posix())


def stream_checks(package: WebPackage) -> list[CheckResult]:
    """The validator's verdicts on the stream, one per rule (the rule's id in its label; the
    playlist and line of each problem in the detail), and what it only sampled as an INFO."""
    if package.problem is not None:
        return [package.problem]
    try:
        report = verify_stream(package.folder)
    except (ReportageError, OSError, ValueError) as exc:
        why = exc.one_line() if isinstance(exc, ReportageError) else f"{type(exc).__name__}: {exc}"
        return [CheckResult("hls.package", "Stream package readable", Status.FAIL, "unreadable",
                            f"{MASTER_NAME} and the playlists it names",
                            f"{package.shown}: {why}; {REPUBLISH}")]
    checks = [dataclasses.replace(c, label=f"{c.label} [{c.id.removeprefix('hls.')}]")
              for c in report.to_check_results()]
    if report.notes:
        checks.append(CheckResult("hls.sampled", "What the validator sampled", Status.INFO,
                                  f"{len(report.notes)} note{'s' if len(report.notes) != 1 else ''}", "reported",
                                  "; ".join(report.notes)))
    return checks
