"""The programmes of a batch: manifests named on the command line, or found in folders.

A file named on the command line is always taken as a manifest, so a broken one is reported.
In a folder, only YAML files that look like manifests (a mapping with `id:` or `footage:`) are
taken: a programme folder also holds glossaries and other YAML. A manifest that cannot be loaded
becomes an entry with its error, reported in the summary; the rest of the batch goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import ManifestError, ReportageError
from ..manifest import Programme, load_manifest
from ..run import preflight

_SUFFIXES = (".yaml", ".yml")


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
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return True  # unreadable: let the loader say why
    return isinstance(data, dict) and ("id" in data or "footage" in data)


def find_manifests(paths: Sequence[Path]) -> list[Path]:
    """Every manifest in `paths`, in order, each once; ManifestError for a path that does not exist."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += [p for p in sorted(path.iterdir())
                      if p.is_file() and p.suffix.lower() in _SUFFIXES and _looks_like_manifest(p)]
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


def load_entries(paths: Sequence[Path]) -> list[Entry]:
    """Load every manifest; a bad one (or one missing what the walk needs, or a second manifest with
    an id already taken) is an entry carrying its error."""
    entries: list[Entry] = []
    ids: dict[str, Path] = {}
    for path in find_manifests(paths):
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
