"""Verify a delivery bag: complete, and every file matching every manifest's checksum.

bagit's own `validate()` stops at a summary exception; the receiver needs to know exactly which file
is missing, extra or altered, so this walks bagit's error details into one message per file and also
checks each algorithm's manifest (SHA-256 and MD5) itself.

A manifest deleted from a bag is a problem, not a smaller bag: bagit itself only logs a warning and
validates what is left. So the manifests are required: a SHA-256 payload manifest and tag manifest
in every bag (reportage's checksum of record), the MD5 ones too in a bag reportage made (its
`Bagging-Software`), the payload manifest of every algorithm the bag declares (a tag manifest of that
algorithm), and every tag file a tag manifest lists.
"""

from __future__ import annotations

import contextlib
import logging
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import bagit

from ..errors import WorkspaceError


@dataclass
class VerifyResult:
    """Per-file problems (`path: what`), and how many payload files were checked."""

    bag: str
    problems: list[str] = field(default_factory=list)
    files: int = 0
    algorithms: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _open(path: Path) -> tuple[Path, bagit.Bag]:
    if path.is_file() and path.suffix.lower() == ".zip":
        raise WorkspaceError("is a zip: unpack it first", path=path, hint=f"unzip {path.name}, then verify the folder")
    if not path.is_dir():
        raise WorkspaceError("package not found", path=path)
    try:
        return path, bagit.Bag(str(path))
    except bagit.BagError as exc:
        raise WorkspaceError(f"is not a BagIt bag ({exc})", path=path,
                             hint="point at the folder that holds bagit.txt") from exc


REQUIRED = ("manifest-sha256.txt", "tagmanifest-sha256.txt")
"""The manifests every bag must have to be verified: SHA-256 is the checksum of record."""
WRITTEN = ("manifest-sha256.txt", "manifest-md5.txt", "tagmanifest-sha256.txt", "tagmanifest-md5.txt")
"""The manifests reportage writes into every bag it makes (`stages/package.py`: sha256 and md5)."""
_FIX = "the bag is incomplete or was tampered with: ask the sender for it again (or run `reportage package` again)"


@contextlib.contextmanager
def _bagit_quiet() -> Iterator[None]:
    """bagit logs each problem as a warning of its own; verify reports them itself, one line each."""
    logger = logging.getLogger("bagit")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def missing_manifests(path: Path, bag: bagit.Bag) -> list[str]:
    """One problem per manifest the bag should have and does not, and per listed tag file missing."""
    made_here = str(bag.info.get("Bagging-Software", "")).startswith("reportage")
    declared = [f"manifest-{alg}.txt" for alg in bag.algorithms]
    wanted = dict.fromkeys([*REQUIRED, *(WRITTEN if made_here else ()), *declared])
    problems: list[str] = []
    for name in wanted:
        if not (path / name).is_file():
            why = ("every bag reportage makes has it" if made_here and name in WRITTEN
                   else "a bag is verified by its SHA-256 manifests" if name in REQUIRED
                   else "the bag declares that algorithm")
            problems.append(f"{name}: missing ({why}), so the bag cannot be verified — {_FIX}")
    for rel in sorted(bag.tagfile_entries()):
        if not (path / rel).is_file() and rel not in wanted:
            problems.append(f"{rel}: missing (listed in the tag manifest, not in the bag) — {_FIX}")
    return problems


def verify_bag(path: Path) -> VerifyResult:
    """Check completeness and every checksum; a problem per file, never an exception for a bad bag."""
    with _bagit_quiet():
        return _verify(path)


def _verify(path: Path) -> VerifyResult:
    path, bag = _open(path)
    result = VerifyResult(str(path), algorithms=list(bag.algorithms))
    result.problems += missing_manifests(path, bag)
    listed = {p for p in bag.entries if p.startswith("data/")}
    result.files = len(listed)
    for rel in sorted(listed):
        if not (path / rel).is_file():
            result.problems.append(f"{rel}: missing (listed in the manifest, not in the bag)")
    for rel in sorted(set(bag.payload_files()) - listed):
        result.problems.append(f"{rel}: extra file not listed in any manifest")
    try:
        bag.validate(processes=1)
    except bagit.BagValidationError as exc:
        for detail in exc.details or []:
            if isinstance(detail, bagit.ChecksumMismatch):
                result.problems.append(f"{detail.path}: altered ({detail.algorithm} is {detail.found}, "
                                       f"manifest says {detail.expected})")
            elif isinstance(detail, bagit.FileMissing | bagit.UnexpectedFile):
                continue  # reported above in our words
            else:
                result.problems.append(str(detail))
        if not exc.details:
            result.problems.append(str(exc))
    except bagit.BagError as exc:
        result.problems.append(str(exc))
    result.problems = list(dict.fromkeys(result.problems))
    return result


def zip_bag(bag_dir: Path, target: Path) -> Path:
    """The bag as one zip (folder name at the top), for transfer services that want a single file."""
    from ..fsutil import atomic_path

    with atomic_path(target) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        for file in sorted(bag_dir.rglob("*")):
            if file.is_file():
                zf.write(file, Path(bag_dir.name) / file.relative_to(bag_dir))
    return target
