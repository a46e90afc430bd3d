"""Editors own edited files: remember what the pipeline wrote, and never overwrite anything else.

The ledger is a small JSON file (e.g. `subtitles/.written.json`) mapping each subtitle file the
pipeline wrote to the SHA-256 of the bytes it wrote. A file whose bytes differ — or a file the
pipeline never wrote — belongs to an editor: the pipeline keeps it and uses it. Paths are stored
relative to the ledger's folder so a workspace can be moved or mounted elsewhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..errors import SubtitleError, WorkspaceError
from ..fsutil import nfc, sha256_file, sha256_text, write_json, write_text

_VERSION = 1

Status = Literal["written", "unchanged", "kept-edited", "removed", "none"]


@dataclass(frozen=True)
class WriteOutcome:
    """What `write_if_not_edited` did: wrote the file, found it already identical, or kept an edit."""

    path: Path
    status: Status
    sha256: str

    @property
    def written(self) -> bool:
        """True when new bytes were put on disk."""
        return self.status == "written"

    @property
    def message(self) -> str:
        """One line for the stage's log."""
        return {
            "written": f"wrote {self.path.name}",
            "unchanged": f"{self.path.name} is up to date",
            "kept-edited": f"kept hand-edited file {self.path.name}",
            "removed": f"removed {self.path.name}: nothing to show in it",
            "none": f"no {self.path.name}: nothing to show in it",
        }[self.status]


def _key(path: Path, ledger: Path) -> str:
    target = path.resolve()
    try:
        return target.relative_to(ledger.resolve().parent).as_posix()
    except ValueError:
        return target.as_posix()


def load_ledger(ledger: Path) -> dict[str, str]:
    """The ledger's entries (file key -> SHA-256); empty when the ledger does not exist yet."""
    if not ledger.exists():
        return {}
    try:
        data: Any = json.loads(ledger.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WorkspaceError(
            f"cannot read the ledger of written subtitles: {exc}",
            path=ledger,
            hint="delete it to treat every existing subtitle file as hand-edited",
        ) from None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
        raise WorkspaceError(
            "the ledger of written subtitles is not in the expected form",
            path=ledger,
            hint="delete it to treat every existing subtitle file as hand-edited",
        )
    return {str(key): value for key, value in files.items()}


def _save_ledger(ledger: Path, entries: dict[str, str]) -> None:
    write_json(ledger, {"version": _VERSION, "files": dict(sorted(entries.items()))})


def is_hand_edited(path: Path, ledger: Path) -> bool:
    """True when `path` exists and is not byte-for-byte what the pipeline last wrote there."""
    if not path.exists():
        return False
    recorded = load_ledger(ledger).get(_key(path, ledger))
    return recorded is None or recorded != sha256_file(path)


def release(path: Path, ledger: Path) -> None:
    """Give a file back to the pipeline: its next write replaces it (an editor's explicit reset)."""
    entries = load_ledger(ledger)
    if path.exists():
        entries[_key(path, ledger)] = sha256_file(path)
    else:
        entries.pop(_key(path, ledger), None)
    _save_ledger(ledger, entries)


def write_if_not_edited(path: Path, text: str, ledger: Path) -> WriteOutcome:
    """Write `text` (NFC UTF-8, atomically) unless an editor has changed the file; record its hash.

    An existing file identical to `text` is left alone (its time stamp too), so downstream stages
    that look at files see nothing new.
    """
    if not text.strip():
        raise SubtitleError("nothing to write: a subtitle file without cues is not written", path=path,
                            hint="leave the language without a file (`withdraw`), as a programme without "
                                 "speech has none")
    digest = sha256_text(nfc(text))
    entries = load_ledger(ledger)  # first, so a broken ledger stops us before anything is written
    key = _key(path, ledger)
    if path.exists():
        on_disk = sha256_file(path)
        if entries.get(key) != on_disk:
            return WriteOutcome(path, "kept-edited", on_disk)
        if on_disk == digest:
            return WriteOutcome(path, "unchanged", digest)
    write_text(path, text, min_bytes=1)
    entries[key] = digest
    _save_ledger(ledger, entries)
    return WriteOutcome(path, "written", digest)


def withdraw(path: Path, ledger: Path) -> WriteOutcome:
    """There is nothing to show in `path` (no cues): remove the file the pipeline wrote there
    before, so no earlier cues outlive what they were made from; an editor's file is kept."""
    entries = load_ledger(ledger)
    key = _key(path, ledger)
    if not path.exists():
        if entries.pop(key, None) is not None:
            _save_ledger(ledger, entries)
        return WriteOutcome(path, "none", "")
    on_disk = sha256_file(path)
    if entries.get(key) != on_disk:
        return WriteOutcome(path, "kept-edited", on_disk)
    path.unlink()
    entries.pop(key, None)
    _save_ledger(ledger, entries)
    return WriteOutcome(path, "removed", on_disk)
