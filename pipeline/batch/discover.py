"""The programmes of a batch: manifests named on the command line, or found in folders.

A file named on the command line is always taken as a manifest, so a broken one is reported.
In a folder, only YAML files that look like manifests (a mapping with `id:` or `footage:`) are
taken: a programme folder also holds glossaries and other YAML. A manifest that cannot be loaded
becomes an entry with its error, reported in the summary; the rest of the batch goes on.

A folder is searched with its subfolders (`programmes/dautu/dautu.yaml`), down to `MAX_DEPTH`
levels below it, a folder's own manifests before its subfolders', each level in name order. Not
searched: hidden folders (`.git`, `.Trash`), the workspace (the one the batch writes into, and any
folder holding a programme's `catalogue.sqlite`), and footage: a camera card's folders (`DCIM`,
`PRIVATE`, `XDROOT` …) and any folder holding media files but no YAML, so a card of thousands of
clips is never walked. Folders reached twice (a link back up the tree) are searched once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import ManifestError, ReportageError
from ..manifest import Programme
from ..media.extensions import MEDIA_EXTS
from ..run import preflight
from ..validate import load_manifest

_SUFFIXES = (".yaml", ".yml")
MAX_DEPTH = 3
"""How many levels of subfolders below a folder named on the command line are searched."""
# Folders a camera card or an NLE's media cache is made of: footage, never manifests.
_FOOTAGE_FOLDERS = frozenset({"dcim", "private", "xdroot", "bpav", "avchd", "contents", "clip", "clips", "m4root",
                              "sub", "proxy", "cacheclip", "media cache files", "media cache"})
_MEDIA = MEDIA_EXTS | {".r3d", ".braw", ".crm", ".mp4v"}
_MAX_MANIFEST_BYTES = 1 << 20  # a manifest is a page of YAML; a bigger file found in a folder is data


@dataclass(frozen=True)
class Entry:
    """One programme of the batch: its manifest, and the loaded programme or why it is not."""

    manifest: Path
    programme: Programme | None = None
    error: ReportageError | None = None

    @property
    def key(self) -> str:
        """The programme id, or for a manifest that did not load, its file name."""
        return self.programme.id if self.programme is not None else self.manifest.stem


def _looks_like_manifest(path: Path) -> bool:
    try:
        if path.stat().st_size > _MAX_MANIFEST_BYTES:
            return False  # data, not a manifest: not even parsed
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return True  # unreadable: let the loader say why
    return isinstance(data, dict) and ("id" in data or "footage" in data)


def _entries(folder: Path) -> tuple[list[Path], list[Path]]:
    """The files and the subfolders of `folder` (links to folders included), each in name order;
    nothing when it cannot be listed."""
    files: list[Path] = []
    folders: list[Path] = []
    try:
        with os.scandir(folder) as listing:
            for entry in listing:
                try:
                    if entry.is_dir():
                        folders.append(Path(entry.path))
                    elif entry.is_file():
                        files.append(Path(entry.path))
                except OSError:
                    continue
    except OSError:
        return [], []
    return sorted(files), sorted(folders)


def _not_searched(folder: Path, files: Sequence[Path], skip: set[Path]) -> bool:
    """Hidden, a workspace, or footage (see the module docstring)."""
    if folder.name.startswith(".") or folder.name.casefold() in _FOOTAGE_FOLDERS:
        return True
    if folder.resolve() in skip or any(f.name == "catalogue.sqlite" for f in files):
        return True
    media = any(f.suffix.lower() in _MEDIA for f in files)
    return media and not any(f.suffix.lower() in _SUFFIXES for f in files)


def _walk(folder: Path, skip: set[Path], seen: set[Path], depth: int = 0,
          listing: tuple[list[Path], list[Path]] | None = None) -> Iterator[Path]:
    """The manifests in `folder` and its subfolders, by the module docstring's rule."""
    real = folder.resolve()
    if real in seen:
        return
    seen.add(real)
    files, folders = listing or _entries(folder)
    yield from (p for p in files if p.suffix.lower() in _SUFFIXES and _looks_like_manifest(p))
    if depth >= MAX_DEPTH:
        return
    for sub in folders:
        if sub.name.startswith("."):  # not even listed
            continue
        sub_listing = _entries(sub)
        if not _not_searched(sub, sub_listing[0], skip):
            yield from _walk(sub, skip, seen, depth + 1, sub_listing)


def find_manifests(paths: Sequence[Path], *, skip: Sequence[Path] = ()) -> list[Path]:
    """Every manifest in `paths` (folders searched with their subfolders), in order, each once;
    ManifestError for a path that does not exist. `skip`: folders never searched (the workspace)."""
    found: list[Path] = []
    skipped = {p.resolve() for p in skip}
    walked: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found += _walk(path, skipped, walked)
        elif path.exists():
            found.append(path)
        else:
            raise ManifestError("no such file or folder", path=path, hint="name manifests or folders that hold them")
    unique: list[Path] = []
    seen: set[Path] = set()
    for p in found:
        if p.resolve() not in seen:
            seen.add(p.resolve())
            unique.append(p.absolute())
    return unique


def load_entries(paths: Sequence[Path], *, skip: Sequence[Path] = ()) -> list[Entry]:
    """Load every manifest; a bad one (or one missing what the walk needs, or a second manifest with
    an id already taken) is an entry carrying its error. `skip`: folders never searched (the workspace)."""
    entries: list[Entry] = []
    ids: dict[str, Path] = {}
    for path in find_manifests(paths, skip=skip):
        try:
            programme = load_manifest(path)
            preflight(programme)  # a batch walks every stage: a missing title is said now, not after hours
        except ReportageError as exc:
            entries.append(Entry(path, error=exc))
            continue
        if programme.id in ids:
            entries.append(Entry(path, error=ManifestError(
                f"programme id {programme.id!r} is already used by {ids[programme.id]}", path=path,
                hint="give each programme its own `id:` (it names the workspace folder)")))
            continue
        ids[programme.id] = path
        entries.append(Entry(path, programme))
    return entries
