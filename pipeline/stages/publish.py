"""Publish stage: the programme for the province's web portal and its social media, from what the
render made and QC judged — `publish/web/` (`publish/web.py`) and `publish/social/`
(`publish/social/package.py`), each built beside its place and renamed in whole (`fsutil.atomic_dir`),
and `publish/publish.json` (`records/publish.py`) saying what was written and what was found.

Each part is a target of its own (`web`, `social`), fresh by its inputs like every stage: the web part
by the ladder's rung files (the `web-stream` deliverable), the WebVTT files, the manifest's titles,
synopsis, credits and language, the page's assets and Shaka Packager's version; the social part by the
files and facts `gather_social` reads. A part whose deliverable is not in the manifest is left out
with a warning that says which deliverable to add.

Held while QC has a FAIL (unless `allow_fail`): nothing is written, the report says why and is not
ok, and the walk goes on to the package stage, which refuses the bag for the same reason. Refused
while the QC report did not judge the renders as they are now (no option allows that: its verdicts
would not be about what is published), as the package stage refuses. The web package is kept when
our validator (`publish/streamcheck.py`) fails it, so the team can look, but the report is not ok,
the record lists each failure by rule and line, and `reportage qc` fails on it too.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import stagerun
from ..errors import ReportageError, WorkspaceError
from ..fsutil import atomic_dir
from ..manifest import Programme
from ..profiles import programme_profile
from ..publish import vendor
from ..publish.packager import installed_version
from ..publish.page import PAGE_ASSETS
from ..publish.social.package import SocialInputs, build_social, gather_social, social_inputs_key
from ..publish.web import STREAM_DELIVERABLE, build_web
from ..qc.webpackage import WEB_PACKAGE
from ..records.publish import (
    PublishedSocial,
    PublishedWeb,
    PublishRecord,
    publish_record_path,
    read_publish_record,
    social_dir,
    web_dir,
    write_publish_record,
)
from ..render.state import RenderedDeliverable, read_render_record, render_record_path
from ..review.state import judged_qc_report
from ..stagerun import Work
from ..timeline import load_timeline
from ..workspace import Workspace

STAGE = "publish"
VERSION = 2  # 2: BANDWIDTH declared as measured
WEB, SOCIAL = "web", "social"


@dataclass(frozen=True)
class Settings:
    """`allow_fail`: publish even though QC failed (the record says so); `only`: one part (`web` or
    `social`)."""

    allow_fail: bool = False
    only: tuple[str, ...] = ()


@dataclass
class PublishReport:
    programme_id: str
    web: PublishedWeb | None = None
    social: PublishedSocial | None = None
    made: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    allowed_failures: list[str] = field(default_factory=list)
    held: str = ""
    """Why nothing was published (QC failed and `allow_fail` was not given); empty when it ran."""
    platforms_asked: bool = False
    """The manifest names the platforms (`social: {platforms: […]}`): breaking one of their limits is
    then a failure; against the default list it is a problem shown in the sheet and the report."""

    @property
    def ok(self) -> bool:
        """Published, the web package passing every rule of the validator, and the social package
        breaking no limit of a platform the manifest names."""
        social_ok = self.social is None or self.social.ok or not self.platforms_asked
        return not self.held and (self.web is None or self.web.ok) and social_ok

    @property
    def up_to_date(self) -> bool:
        return not self.made and not self.held

    def to_dict(self) -> dict[str, Any]:
        return {"programme": self.programme_id, "ok": self.ok, "up_to_date": self.up_to_date, "made": self.made,
                "warnings": self.warnings, "allowed_failures": self.allowed_failures, "held": self.held or None,
                "web": self.web.to_json() if self.web else None,
                "social": self.social.to_json() if self.social else None}


# -- the stage model ------------------------------------------------------------------------------

def settings(programme: Programme | None = None, **options: Any) -> Settings:
    """The stage's settings (`allow_fail`, `only`)."""
    return Settings(**options)


def _stream_entry(programme: Programme, ws: Workspace) -> RenderedDeliverable | None:
    if STREAM_DELIVERABLE not in programme.deliverables:
        return None
    return read_render_record(ws).get(STREAM_DELIVERABLE)


def _web_inputs(programme: Programme, ws: Workspace) -> dict[str, Any] | None:
    entry = _stream_entry(programme, ws)
    if entry is None:
        return None
    m = programme.manifest
    return {
        "rungs": stagerun.content_hashes(ws, entry.members),
        "subtitles": stagerun.content_hashes(ws, [ws.subtitle(lang, "vtt") for lang in ("vi", "en")]),
        "title": m.title.model_dump() if m.title else None, "synopsis": m.synopsis.model_dump() if m.synopsis else None,
        "credits": [c.model_dump() for c in m.credits], "language": m.language,
        "profile": programme_profile(programme.base_dir, STREAM_DELIVERABLE).model_dump(mode="json",
                                                                                         exclude={"source"}),
        "packager": installed_version(), "player": vendor.VERSION, "page": PAGE_ASSETS,
    }


def _planned(programme: Programme, ws: Workspace, settings: Settings) -> tuple[dict[str, Any], SocialInputs | str]:
    """`plan`, and what the social part was gathered from (or why it could not be): the stage makes
    the package from the same reading it keyed it by, rather than reading everything twice."""
    parts: dict[str, Any] = {}
    gathered: SocialInputs | str = "not asked for"
    if not settings.only or WEB in settings.only:
        try:
            parts[WEB] = _web_inputs(programme, ws)
        except ReportageError as exc:
            parts[WEB] = {"unreadable": str(exc)}
    if not settings.only or SOCIAL in settings.only:
        try:
            gathered = gather_social(programme, ws)
            parts[SOCIAL] = social_inputs_key(ws, gathered)
        except ReportageError as exc:
            gathered = str(exc)
            parts[SOCIAL] = {"unreadable": gathered}
    return parts, gathered


def plan(programme: Programme, ws: Workspace, settings: Settings | None = None) -> dict[str, Any]:
    """`{web: inputs, social: inputs}`; a part's inputs are None while what it is made from is not there."""
    return _planned(programme, ws, settings or Settings())[0]


def make(programme: Programme, ws: Workspace, settings: Settings, work: Work) -> PublishReport:
    """The registry's entry point: `publish_programme`."""
    return publish_programme(programme, ws, settings, work)


def proceed(programme: Programme, report: PublishReport) -> bool:
    """Packaging follows whatever the publish packages found: the bag for the centre does not carry
    them unless asked (`reportage package --with-publish`), and then it checks them itself."""
    return True


# -- the work ---------------------------------------------------------------------------------------

def _qc_failures(programme: Programme, ws: Workspace) -> list[str]:
    """QC's failures on what would be published (its verdict on an earlier web package aside: this
    run makes a new one); a WorkspaceError while QC has not judged the renders as they are."""
    qc = judged_qc_report(ws, list(programme.deliverables), made="published", again="publish")
    return [line for line in qc.failed if not line.startswith(f"{WEB_PACKAGE}:")]


def publish_programme(programme: Programme, ws: Workspace, settings: Settings | None = None,
                      work: Work | None = None) -> PublishReport:
    """Make the web and social packages that are stale; see the module docstring."""
    settings = settings or Settings()
    work = work or Work.of(ws, STAGE, VERSION)
    began = time.time()
    asked = any(cut.platforms is not None for cut in programme.social_cuts)
    report = PublishReport(programme.id, platforms_asked=asked)
    failed = _qc_failures(programme, ws)
    previous = read_publish_record(ws)
    report.web, report.social = (previous.web, previous.social) if previous else (None, None)
    if failed and not settings.allow_fail:  # held, not an error: the walk goes on to the bag, which says the same
        report.held = (f"not published: QC has {len(failed)} failed check(s): " + "; ".join(failed[:3])
                       + " — fix them, or publish with --allow-fail")
        return report
    report.allowed_failures = failed
    planned, gathered = _planned(programme, ws, settings)
    record = publish_record_path(ws)
    if WEB in planned:
        report.web = _web(programme, ws, planned[WEB], work, record, report)
    if SOCIAL in planned:
        report.social = _social(ws, planned[SOCIAL], gathered, work, record, report)
    if report.made or previous is None:
        when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        write_publish_record(ws, PublishRecord(programme.id, report.web, report.social, when,
                                               tuple(report.warnings + [f"published with QC failing: {line}"
                                                                        for line in report.allowed_failures])))
        for target in report.made:
            work.done(work.check(target, planned[target], [record]), [record], started_at=began)
    return report


def _web(programme: Programme, ws: Workspace, inputs: dict[str, Any] | None, work: Work, record: Path,
         report: PublishReport) -> PublishedWeb | None:
    folder = web_dir(ws)
    if inputs is None:
        report.warnings.append(f"no web package: the manifest's deliverables do not list {STREAM_DELIVERABLE} "
                               f"(add it, render, QC, then publish)"
                               if STREAM_DELIVERABLE not in programme.deliverables else
                               f"no web package: {STREAM_DELIVERABLE} is not rendered yet (run `reportage render`)")
        return None
    if work.check(WEB, inputs, [folder, record]).fresh and report.web is not None:
        return report.web
    entry = _stream_entry(programme, ws)
    if entry is None or not entry.present():
        raise WorkspaceError(f"the {STREAM_DELIVERABLE} render is missing or incomplete", path=render_record_path(ws),
                             hint="run `reportage render MANIFEST` again")
    timeline = load_timeline(ws.timeline_json)
    profile = programme_profile(programme.base_dir, STREAM_DELIVERABLE)
    subtitles = {lang: ws.subtitle(lang, "vtt") for lang in ("vi", "en")}
    with atomic_dir(folder) as build:
        made = build_web(programme, entry, profile, (timeline.width, timeline.height), subtitles, build)
    report.made.append(WEB)
    return made.to_record(ws.stored(folder))


def _social(ws: Workspace, inputs: dict[str, Any], gathered: SocialInputs | str, work: Work, record: Path,
            report: PublishReport) -> PublishedSocial | None:
    folder = social_dir(ws)
    if isinstance(gathered, str):
        report.warnings.append(f"no social package: {gathered}")
        return None
    if work.check(SOCIAL, inputs, [folder, record]).fresh and report.social is not None:
        return report.social
    with atomic_dir(folder) as build:
        made = build_social(gathered, build)
    report.made.append(SOCIAL)
    return made.to_record(ws.stored(folder))
