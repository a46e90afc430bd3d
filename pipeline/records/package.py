"""`delivery/package.json`: what the package stage delivered last (package is its only writer), read by
the batch summary, which would otherwise have to guess at the bags from what lies in `delivery/`.

The bag folder and its zip are named relative to the programme folder; the payload files relative to
the bag, with the SHA-256 bagit wrote for each in `manifest-sha256.txt` and their sizes; the bag's
size and file count as written (tag files included), and when it was made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import fsutil
from ..workspace import Workspace
from .reading import read_record

PACKAGE_RECORD_VERSION = 1


@dataclass(frozen=True)
class PayloadFile:
    """One file of the bag's payload: its path in the bag (`data/…`), SHA-256 and size."""

    path: str
    sha256: str
    size_bytes: int

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "size_bytes": self.size_bytes}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PayloadFile:
        return cls(str(data["path"]), str(data["sha256"]), int(data.get("size_bytes") or 0))


@dataclass(frozen=True)
class PackageRecord:
    """The bag (and zip) the package stage wrote last."""

    programme: str
    bag: str
    """The bag folder, relative to the programme folder (`delivery/<BAG_NAME>`)."""
    payload: tuple[PayloadFile, ...]
    bag_bytes: int
    """Every file of the bag folder as written, tag files included."""
    bag_files: int
    made_at: str
    """When the bag was made (UTC, ISO 8601)."""
    zip: str | None = None
    zip_bytes: int | None = None
    version: int = PACKAGE_RECORD_VERSION

    def bag_path(self, ws: Workspace) -> Path:
        return ws.dir / self.bag

    def zip_path(self, ws: Workspace) -> Path | None:
        return ws.dir / self.zip if self.zip else None

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "programme": self.programme, "bag": self.bag, "made_at": self.made_at,
                "bag_bytes": self.bag_bytes, "bag_files": self.bag_files, "zip": self.zip,
                "zip_bytes": self.zip_bytes, "payload": [f.to_json() for f in self.payload]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PackageRecord:
        version = data.get("version")
        if version != PACKAGE_RECORD_VERSION:
            raise ValueError(f"it is of version {version!r}; this reportage reads version {PACKAGE_RECORD_VERSION}")
        zip_bytes = data.get("zip_bytes")
        return cls(str(data.get("programme") or ""), str(data["bag"]),
                   tuple(PayloadFile.from_json(f) for f in data.get("payload") or ()),
                   int(data.get("bag_bytes") or 0), int(data.get("bag_files") or 0), str(data.get("made_at") or ""),
                   str(data["zip"]) if data.get("zip") else None, int(zip_bytes) if zip_bytes is not None else None)


def package_record_path(ws: Workspace) -> Path:
    return ws.delivery_dir / "package.json"


def write_package_record(ws: Workspace, record: PackageRecord) -> Path:
    """Write what was delivered (the package stage is its only writer)."""
    path = package_record_path(ws)
    fsutil.write_json(path, record.to_json())
    return path


def read_package_record(ws: Workspace) -> PackageRecord | None:
    """What the package stage delivered last, None before it has made a bag; a WorkspaceError naming
    the file when it cannot be read."""
    return read_record(package_record_path(ws), PackageRecord.from_json, "package record",
                       "run `reportage package MANIFEST` again")
