"""`publish/publish.json`: what the publish stage wrote last (publish is its only writer), read by QC,
the review room, the package stage (`--with-publish`) and the morning summary.

Two parts, each present once made: the web package (`publish/web/`: the player page, the HLS and
DASH stream, the progressive MP4 and the portal's README) with the stream validator's verdict, and the
social package (`publish/social/`: the sheet, thumbnails, upload SRTs) with the platform findings.
Paths are relative to the programme folder (folders) or to their part's folder (files), so a copied
workspace still finds them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import fsutil
from ..workspace import Workspace
from .reading import read_record

PUBLISH_RECORD_VERSION = 1


def _texts(values: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in values or ())


@dataclass(frozen=True)
class PublishedWeb:
    """The web package: its folder and the files a portal's web team opens first."""

    folder: str
    """Relative to the programme folder: `publish/web`."""
    page: str
    """The player page, relative to the folder: `index.html`."""
    embed: str
    master: str
    """The HLS master playlist, relative to the folder: `stream/master.m3u8`."""
    mpd: str
    progressive: str
    """The plain MP4 for CMSs that take one file, relative to the folder."""
    renditions: tuple[str, ...]
    """The rungs packaged, as `<height>p`, in the order the master lists them."""
    subtitles: tuple[str, ...]
    """The subtitle languages carried, the default first."""
    duration_s: float
    rules_passed: int
    failures: tuple[str, ...] = ()
    """The validator's failures (`publish/streamcheck.py`), each naming the rule, playlist and line."""
    notes: tuple[str, ...] = ()
    packager_version: str = ""
    files: int = 0
    size_bytes: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures

    def path(self, ws: Workspace) -> Path:
        return ws.dir / self.folder

    def to_json(self) -> dict[str, Any]:
        return {"folder": self.folder, "page": self.page, "embed": self.embed, "master": self.master, "mpd": self.mpd,
                "progressive": self.progressive, "renditions": list(self.renditions),
                "subtitles": list(self.subtitles), "duration_s": self.duration_s, "rules_passed": self.rules_passed,
                "failures": list(self.failures), "notes": list(self.notes), "packager_version": self.packager_version,
                "files": self.files, "size_bytes": self.size_bytes}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PublishedWeb:
        return cls(str(data["folder"]), str(data["page"]), str(data.get("embed") or ""), str(data["master"]),
                   str(data.get("mpd") or ""), str(data.get("progressive") or ""), _texts(data.get("renditions")),
                   _texts(data.get("subtitles")), float(data.get("duration_s") or 0.0),
                   int(data.get("rules_passed") or 0), _texts(data.get("failures")), _texts(data.get("notes")),
                   str(data.get("packager_version") or ""), int(data.get("files") or 0),
                   int(data.get("size_bytes") or 0))


@dataclass(frozen=True)
class PublishedSocial:
    """The social package: its folder, its sheet, and what each platform's limits found."""

    folder: str
    """Relative to the programme folder: `publish/social`."""
    sheet: str
    """`social.html`, relative to the folder."""
    data: str
    """`social.json`, relative to the folder."""
    platforms: tuple[str, ...]
    problems: tuple[str, ...] = ()
    """Findings that break a platform's limit (the file cannot be uploaded there as it is)."""
    notes: tuple[str, ...] = ()
    """Findings that are advice (too few chapters for YouTube, a title shortened)."""
    files: tuple[str, ...] = ()
    """Every file of the package, relative to the folder."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def path(self, ws: Workspace) -> Path:
        return ws.dir / self.folder

    def to_json(self) -> dict[str, Any]:
        return {"folder": self.folder, "sheet": self.sheet, "data": self.data, "platforms": list(self.platforms),
                "problems": list(self.problems), "notes": list(self.notes), "files": list(self.files)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PublishedSocial:
        return cls(str(data["folder"]), str(data.get("sheet") or "social.html"), str(data.get("data") or "social.json"),
                   _texts(data.get("platforms")), _texts(data.get("problems")), _texts(data.get("notes")),
                   _texts(data.get("files")))


@dataclass(frozen=True)
class PublishRecord:
    """What the publish stage wrote last."""

    programme: str
    web: PublishedWeb | None = None
    social: PublishedSocial | None = None
    published_at: str = ""
    """When (UTC, ISO 8601)."""
    warnings: tuple[str, ...] = field(default=())
    version: int = PUBLISH_RECORD_VERSION

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "programme": self.programme, "published_at": self.published_at,
                "web": self.web.to_json() if self.web else None,
                "social": self.social.to_json() if self.social else None, "warnings": list(self.warnings)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PublishRecord:
        version = data.get("version")
        if version != PUBLISH_RECORD_VERSION:
            raise ValueError(f"it is of version {version!r}; this reportage reads version {PUBLISH_RECORD_VERSION}")
        web, social = data.get("web"), data.get("social")
        return cls(str(data.get("programme") or ""),
                   PublishedWeb.from_json(web) if isinstance(web, Mapping) else None,
                   PublishedSocial.from_json(social) if isinstance(social, Mapping) else None,
                   str(data.get("published_at") or ""), _texts(data.get("warnings")))


def publish_record_path(ws: Workspace) -> Path:
    return ws.publish_dir / "publish.json"


def web_dir(ws: Workspace) -> Path:
    """`publish/web/`: the folder a portal hosts as it is."""
    return ws.publish_dir / "web"


def social_dir(ws: Workspace) -> Path:
    """`publish/social/`: what a person uploads to each platform, and the sheet to copy from."""
    return ws.publish_dir / "social"


def write_publish_record(ws: Workspace, record: PublishRecord) -> Path:
    """Write what was published (the publish stage is its only writer)."""
    path = publish_record_path(ws)
    fsutil.write_json(path, record.to_json())
    return path


def read_publish_record(ws: Workspace) -> PublishRecord | None:
    """What the publish stage wrote last, None before it has run; a WorkspaceError naming the file
    when it cannot be read."""
    return read_record(publish_record_path(ws), PublishRecord.from_json, "publish record",
                       "run `reportage publish MANIFEST` again")
