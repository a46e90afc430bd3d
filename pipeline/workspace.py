"""Where every artefact of a programme lives on disk, in one place.

Stages ask this module for paths instead of building them, so the layout documented in the README
is the layout on disk.

Names that come from a manifest (the programme id, clip ids, deliverable names) become folder and
file names here. The manifest refuses any that is not one clean path segment (`segment_problem`),
and, in case one arrives another way, every method below refuses to build a path outside the
programme's folder (WorkspaceError).

Records name files the way `Workspace.stored` writes them and `Workspace.resolve` reads them back: a
file inside the programme's folder relative to it, so a workspace copied, restored or mounted
elsewhere (a batch worker's mount, a backup put back on another disk) finds its own files; a file
outside it (footage on the editors' disks) absolute, in the batch path map's shared form.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .batch.pathmap import PathMap
from .errors import WorkspaceError

MAX_SEGMENT_BYTES = 240
"""Longest name (UTF-8 bytes) used as a folder or file name: file systems allow 255, and a clip's
transcript adds `.json`."""


def segment_problem(name: object) -> str | None:
    """Why `name` cannot be one folder or file name inside the workspace, or None when it can.

    A clean segment is relative, has no separator (`/` or `\\`), is not `.` or `..` and does not
    start with a dot (hidden files, `..` tricks), has no control character, NUL or lone surrogate,
    no space at either end, and fits a file system's name limit.
    """
    if not isinstance(name, str):
        return f"is {type(name).__name__}, not text"
    if not name or not name.strip():
        return "is empty"
    if name in (".", ".."):
        return f"is {name!r}, a folder's own name"
    for bad, what in (("/", "'/'"), ("\\", "a backslash"), ("\0", "a NUL character")):
        if bad in name:
            return f"contains {what} (it must be one name, not a path)"
    if name.startswith("."):
        return "starts with a dot (a hidden name)"
    if name != name.strip():
        return "starts or ends with a space"
    for char in name:
        category = unicodedata.category(char)
        if category == "Cc":
            return f"contains the control character {char!r}"
        if category == "Cs":
            return f"contains a lone surrogate ({ascii(char)[1:-1]})"
    if len(name.encode("utf-8")) > MAX_SEGMENT_BYTES:
        return f"is longer than {MAX_SEGMENT_BYTES} bytes"
    return None


def shown(text: str) -> str:
    """`text` for a message: as it is when printable, else with escapes (a control character or a
    lone surrogate would garble the terminal or fail to print)."""
    return text if text.isprintable() else ascii(text)[1:-1]


def stored_path(base: Path, path: Path | str) -> str:
    """`path` as a record under `base` (a programme's folder) names it: relative to `base`, with
    POSIX separators, when it lies inside it, so the record holds wherever the folder is copied,
    restored or mounted; otherwise absolute, in the shared form of the batch path map
    (`REPORTAGE_PATH_MAP`), so every machine of a batch reads the same footage. Inside is judged on
    the path as written, then on real paths (a folder reached through a symlink)."""
    absolute = os.path.abspath(path)
    for here, folder in ((absolute, os.path.abspath(base)), (os.path.realpath(absolute), os.path.realpath(base))):
        if os.path.commonpath([folder, here]) == folder:
            return Path(os.path.relpath(here, folder)).as_posix()
    return PathMap.from_env_and_options().to_shared(absolute)


def resolved_path(base: Path, stored: str) -> Path:
    """A path a record under `base` names (`stored_path`), as a file on this machine: a relative one
    under `base`; an absolute one through the batch path map (`REPORTAGE_PATH_MAP`). An absolute one
    that is not there but names this programme's own folder where it was before a move (records
    written before paths were stored relative: `…/<programme id>/renders/…`) is the same file
    under `base`, when that file is here."""
    path = Path(stored)
    if not path.is_absolute():
        return base / path
    local = Path(PathMap.from_env_and_options().to_local(stored))
    if local.exists():
        return local
    parts = local.parts
    for index, part in enumerate(parts[:-1]):
        if part == base.name and (moved := base.joinpath(*parts[index + 1:])).exists():
            return moved
    return local


@dataclass(frozen=True)
class Workspace:
    """The folder `<root>/<programme-id>/` and the paths inside it."""

    root: Path
    programme_id: str

    def __post_init__(self) -> None:
        self._segment(self.programme_id, "programme id")

    @property
    def dir(self) -> Path:
        return self.root / self.programme_id

    def _segment(self, name: str, what: str) -> str:
        """`name` when it is one clean folder or file name; WorkspaceError otherwise."""
        problem = segment_problem(name)
        if problem is not None:
            raise WorkspaceError(f"the {what} {repr(name)[:120]} {problem}", path=self.root,
                                 hint="a name used in the workspace must be one clean file name; "
                                      "fix it in the manifest")
        return name

    def _inside(self, path: Path) -> Path:
        """`path` when it lies inside the programme's folder; WorkspaceError otherwise. The test is
        on the path as written (normalised), not on symlinks: a `renders/` linked to another disk
        is the editor's choice."""
        base = os.path.normpath(os.path.abspath(self.dir))
        target = os.path.normpath(os.path.abspath(path))
        if os.path.commonpath([base, target]) != base:
            raise WorkspaceError(f"refused the path {shown(target)}: it is outside the programme's folder",
                                 path=base,
                                 hint="a name from the manifest tried to leave the workspace; fix it there")
        return path

    def stored(self, path: Path | str) -> str:
        """`path` as the programme's records name it (`stored_path`): relative to the programme's
        folder when inside it, so a moved workspace still finds it."""
        return stored_path(self.dir, path)

    def resolve(self, stored: str) -> Path:
        """A path one of the programme's records names, as a file on this machine (`resolved_path`)."""
        return resolved_path(self.dir, stored)

    @property
    def catalogue_path(self) -> Path:
        return self.dir / "catalogue.sqlite"

    def ingest_dir(self, clip_id: str) -> Path:
        return self._inside(self.dir / "ingest" / self._segment(clip_id, "clip id"))

    def probe_json(self, clip_id: str) -> Path:
        return self.ingest_dir(clip_id) / "probe.json"

    def conform(self, clip_id: str) -> Path:
        """House-format working copy; absent when the source already matches the house format."""
        return self.ingest_dir(clip_id) / "conform.mov"

    def proxy(self, clip_id: str) -> Path:
        return self.ingest_dir(clip_id) / "proxy.mp4"

    def audio16k(self, clip_id: str) -> Path:
        """16 kHz mono PCM WAV for speech recognition; absent when the clip has no audio."""
        return self.ingest_dir(clip_id) / "audio16k.wav"

    def poster(self, clip_id: str) -> Path:
        return self.ingest_dir(clip_id) / "poster.jpg"

    def thumbs(self, clip_id: str) -> Path:
        return self.ingest_dir(clip_id) / "thumbs.jpg"

    def shots_json(self, clip_id: str) -> Path:
        return self.ingest_dir(clip_id) / "shots.json"

    @property
    def transcripts_dir(self) -> Path:
        return self.dir / "transcripts"

    def transcript_json(self, clip_id: str) -> Path:
        return self._inside(self.transcripts_dir / (self._segment(clip_id, "clip id") + ".json"))

    def transcript_txt(self, clip_id: str) -> Path:
        return self._inside(self.transcripts_dir / (self._segment(clip_id, "clip id") + ".txt"))

    @property
    def timeline_json(self) -> Path:
        return self.dir / "timeline.json"

    @property
    def subtitles_dir(self) -> Path:
        return self.dir / "subtitles"

    def subtitle(self, lang: str, ext: str) -> Path:
        """e.g. subtitle('vi', 'srt') → subtitles/<id>.vi.srt"""
        name = self._segment(f"{self.programme_id}.{lang}.{ext}", "subtitle file name")
        return self._inside(self.subtitles_dir / name)

    @property
    def graphics_dir(self) -> Path:
        return self.dir / "graphics"

    @property
    def loudness_cache_dir(self) -> Path:
        """The render's remembered audio-only measurements (`render/meter_cache.py`)."""
        return self.dir / "cache" / "loudness"

    def render_dir(self, deliverable: str) -> Path:
        return self._inside(self.dir / "renders" / self._segment(deliverable, "deliverable name"))

    @property
    def qc_dir(self) -> Path:
        return self.dir / "qc"

    @property
    def delivery_dir(self) -> Path:
        return self.dir / "delivery"

    @property
    def publish_dir(self) -> Path:
        """`publish/`: the web package (`web/`) and the social package (`social/`)."""
        return self.dir / "publish"

    def ensure(self) -> None:
        """Create the programme folder (stages create their own sub-folders as they write)."""
        self.dir.mkdir(parents=True, exist_ok=True)
