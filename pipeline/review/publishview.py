"""The publish stage's record as the review room shows it: the web package's player page and the social
sheet to open (served read-only under `/publish/<id>/web/…` and `/publish/<id>/social/…`), the stream
validator's verdict and the platforms' findings.

The room does not judge the packages itself: `publish/publish.json` (`records/publish.py`) already
holds the validator's failures and the platforms' problems and notes, so the page shows those, with
an address for each file it names that the room can actually send (a record whose folder was
deleted or moved since says so instead of linking to a 404).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..errors import ReportageError
from ..records.publish import PublishedSocial, PublishedWeb, read_publish_record, social_dir, web_dir
from ..workspace import Workspace
from .errors import NotFound
from .files import resolve_in_folder

PARTS: dict[str, Callable[[Workspace], Path]] = {"web": web_dir, "social": social_dir}
"""The folders `/publish/<id>/<part>/…` serves, and nothing else of the programme."""
DEFAULT_FILE = {"web": "index.html", "social": "social.html"}
"""What `/publish/<id>/<part>/` sends: the player page, the social sheet."""
RUN_PUBLISH = "reportage publish MANIFEST"
"""What makes (or makes again) the record and the packages."""


def part_folder(ws: Workspace, part: str) -> Path:
    """The folder of `part` (web or social); NotFound for any other name."""
    if part not in PARTS:
        raise NotFound(f"there is no publish part {part!r} (web or social)")
    return PARTS[part](ws)


def published_file(ws: Workspace, part: str, relative: str) -> Path:
    """A file of the web or social package, by its path in that folder (the part's main page for an
    empty path); NotFound for anything outside the folder (`files.resolve_in_folder`)."""
    return resolve_in_folder(ws.dir, part_folder(ws, part), relative or DEFAULT_FILE[part])


def _url(ws: Workspace, part: str, relative: str) -> str | None:
    """The room's address of a package file, None when the room would not send it (missing, outside)."""
    if not relative:
        return None
    try:
        published_file(ws, part, relative)
    except NotFound:
        return None
    return f"/publish/{quote(ws.programme_id, safe='')}/{part}/{quote(relative)}"


def _web(ws: Workspace, web: PublishedWeb) -> dict[str, Any]:
    return {"ok": web.ok, "folder": web.folder, "page": web.page, "page_url": _url(ws, "web", web.page),
            "embed_url": _url(ws, "web", web.embed), "master": web.master,
            "master_url": _url(ws, "web", web.master), "mpd_url": _url(ws, "web", web.mpd),
            "progressive_url": _url(ws, "web", web.progressive), "renditions": list(web.renditions),
            "subtitles": list(web.subtitles), "duration_s": web.duration_s, "rules_passed": web.rules_passed,
            "failures": list(web.failures), "notes": list(web.notes), "files": web.files,
            "size_bytes": web.size_bytes}


def _social(ws: Workspace, social: PublishedSocial) -> dict[str, Any]:
    return {"ok": social.ok, "folder": social.folder, "sheet": social.sheet,
            "sheet_url": _url(ws, "social", social.sheet), "data_url": _url(ws, "social", social.data),
            "platforms": list(social.platforms), "problems": list(social.problems), "notes": list(social.notes),
            "files": len(social.files)}


def _verdict(web: PublishedWeb | None, social: PublishedSocial | None) -> str:
    """FAIL when the web package failed the validator; WARN when a platform's limit is broken or a part
    is missing; PASS otherwise (the badge beside QC's)."""
    if web is not None and not web.ok:
        return "FAIL"
    if web is None or social is None or not social.ok:
        return "WARN"
    return "PASS"


def publish_view(ws: Workspace) -> dict[str, Any]:
    """What the page's "Xuất bản / Publish" block shows: `state` none (publish has not run), unreadable
    (with the reason and the fix) or the verdict, and each part with its addresses and findings."""
    try:
        record = read_publish_record(ws)
    except ReportageError as exc:
        return {"state": "unreadable", "error": f"publish/publish.json: {exc.problem}",
                "hint": exc.hint or f"run `{RUN_PUBLISH}`", "command": RUN_PUBLISH}
    if record is None:
        return {"state": "none", "command": RUN_PUBLISH}
    return {"state": _verdict(record.web, record.social), "published_at": record.published_at,
            "web": _web(ws, record.web) if record.web is not None else None,
            "social": _social(ws, record.social) if record.social is not None else None,
            "warnings": list(record.warnings)}
