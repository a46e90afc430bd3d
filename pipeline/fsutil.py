"""Atomic file writes and streamed hashing: a crash leaves the old file or the new one, never half.

Every artefact the pipeline writes goes through here: a temporary name in the target folder, then
`os.replace` into place.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import string
import threading
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .errors import MediaError, WorkspaceError

_CHUNK = 1 << 20


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _default_mode() -> int:
    """The mode a plain `open()` would give (0666 less the umask); mkstemp's 0600 would lock out
    the rest of the team and the receiving centre."""
    return 0o666 & ~_umask()


def default_dir_mode() -> int:
    """The mode a plain `mkdir()` would give (0777 less the umask); mkdtemp's 0700 would hide a
    delivery package from the rest of the team."""
    return 0o777 & ~_umask()


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB chunks so multi-gigabyte rushes never sit in memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_unchanged(path: Path, before: os.stat_result) -> str:
    """SHA-256 of a file that must not change while it is read: `before` is its stat taken before the
    reading began. A file still being copied (appended, rewritten) gives a checksum of bytes that are
    not the file: refused (`refuse_if_changed`), never returned."""
    digest = hashlib.sha256()
    read = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            read += len(chunk)
    refuse_if_changed(path, before, "while its checksum was being read", read=read)
    return digest.hexdigest()


def refuse_if_changed(path: Path, before: os.stat_result, during: str, *, read: int | None = None) -> None:
    """MediaError when `path` is no longer what `before` says (size or modification time), or `read`
    bytes of it were read where `before` had another size: the file changed `during` the work."""
    try:
        after = path.stat()
    except OSError as exc:
        raise MediaError(f"disappeared {during} ({exc.strerror or exc})", path=path,
                         hint="wait until the copy or move finishes, then run ingest again") from None
    sizes = {before.st_size, after.st_size} | ({read} if read is not None else set())
    if len(sizes) > 1 or after.st_mtime_ns != before.st_mtime_ns:
        size = (f"{before.st_size:,} bytes, then {max(sizes - {before.st_size}):,}" if len(sizes) > 1
                else f"{before.st_size:,} bytes, modified again")
        raise MediaError(f"changed {during} ({size}): it is probably still being copied", path=path,
                         hint="wait until the copy finishes, then run ingest again")


def sha256_text(text: str) -> str:
    """SHA-256 of UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def nfc(text: str) -> str:
    """Vietnamese text in one canonical form, so 'ộ' typed two ways compares equal."""
    return unicodedata.normalize("NFC", text)


_NAME_CHARS = string.ascii_lowercase + string.digits + "_"

_unfinished: set[Path] = set()
_unfinished_guard = threading.Lock()


def _token() -> str:
    """8 random characters, as mkstemp draws them."""
    return "".join(secrets.choice(_NAME_CHARS) for _ in range(8))


def _temp_name(target: Path, tag: str, ext: str) -> Path:
    """`.<stem><tag>.<8 random characters>.part<ext>` beside `target`, the way mkstemp names them."""
    return target.parent / f".{target.stem[:40]}{tag}.{_token()}.part{ext}"


def _made(path: Path) -> None:
    with _unfinished_guard:
        _unfinished.add(path)


def _finished(path: Path) -> None:
    with _unfinished_guard:
        _unfinished.discard(path)


def _temp_beside(target: Path, tag: str, suffix: str | None) -> Path:
    """A new empty hidden file beside `target`: `.<stem><tag>.<random>.part<ext>`. Every temporary
    file of the pipeline is named so; `clear_leftovers` finds them by that name.

    The name is recorded as unfinished *before* the file exists, so a stop signal that lands between
    its creation and the `try` of the block that owns it still finds it (`discard_unfinished`)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    ext = suffix if suffix is not None else "".join(target.suffixes[-1:])
    return _created(lambda: _temp_name(target, tag, ext), _new_file)


def _new_file(path: Path) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _created(name: Callable[[], Path], create: Callable[[Path], None]) -> Path:
    """A new path from `name()`, made by `create` (which fails when it exists: another name is
    drawn), recorded as unfinished before it exists and forgotten again if it is never made."""
    while True:
        path = name()
        _made(path)
        try:
            create(path)
        except FileExistsError:
            _finished(path)
            continue
        except BaseException:
            _finished(path)
            raise
        return path


def discard_unfinished() -> list[Path]:
    """Delete every temporary file and folder this process made and has neither renamed into place
    nor deleted: after a stop signal has unwound every block, what is left is what a signal landing
    between a temporary's creation and its block's cleanup would otherwise leave behind."""
    with _unfinished_guard:
        left = sorted(_unfinished)
        _unfinished.clear()
    gone = []
    for path in left:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
            gone.append(path)
        elif path.exists():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                gone.append(path)
    return gone


@contextlib.contextmanager
def atomic_path(target: Path, suffix: str | None = None, *, min_bytes: int = 0) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it onto `target` only if the block succeeds.

    The temporary name keeps the target's extension so tools that pick a format by extension
    (ffmpeg) still do the right thing. `min_bytes=1` for media: a tool that "succeeded" without
    writing anything (a full disk) must not leave an empty file at the final name.
    """
    tmp = _writable_temp(target, "", suffix)
    try:
        yield tmp
        if not tmp.exists():
            raise WorkspaceError("the step finished without writing its output", path=target)
        if tmp.stat().st_size < min_bytes:
            raise WorkspaceError("the step wrote an empty file (is the disk full?)", path=target,
                                 hint="free disk space in the workspace and run the stage again")
        os.chmod(tmp, _default_mode())
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        _finished(tmp)


@contextlib.contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield an empty folder beside `target`; put it at `target` only if the block succeeds and wrote
    a file into it. A deliverable that is a set of files (a streaming package: playlists and
    segments) is built beside and renamed into place whole, so nobody ever sees half of one; the
    folder it replaces is moved aside first and deleted after, never merged with."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        tmp = _temp_folder(target)
    except OSError as exc:
        raise WorkspaceError(f"cannot write here ({exc.strerror})", path=target.parent,
                             hint=_write_hint(exc)) from exc
    old = target.with_name(f".{target.name}.old")
    try:
        yield tmp
        if not any(p.is_file() for p in tmp.rglob("*")):
            raise WorkspaceError("the step finished without writing any file of its output", path=target)
        os.chmod(tmp, default_dir_mode())
        shutil.rmtree(old, ignore_errors=True)
        if target.is_dir():
            os.replace(target, old)
        elif target.exists():
            target.unlink()
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
        _finished(tmp)


def _temp_folder(target: Path) -> Path:
    """A new empty hidden folder beside `target` (`.<name>.<random>.part`), recorded as unfinished
    before it exists (`_temp_beside`)."""
    return _created(lambda: target.parent / f".{target.name}.{_token()}.part", lambda p: p.mkdir(mode=0o700))


@contextlib.contextmanager
def temporary_beside(target: Path, suffix: str) -> Iterator[Path]:
    """A scratch file beside `target` (named like every temporary, so leftovers are found), removed
    when the block ends: for a tool's side output that is read, not kept."""
    tmp = _writable_temp(target, ".scratch", suffix)
    try:
        yield tmp
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        _finished(tmp)


def _writable_temp(target: Path, tag: str, suffix: str | None) -> Path:
    """`_temp_beside`, with a folder that cannot be written said as the workspace's problem."""
    try:
        return _temp_beside(target, tag, suffix)
    except OSError as exc:
        raise WorkspaceError(f"cannot write here ({exc.strerror})", path=target.parent,
                             hint=_write_hint(exc)) from exc


def _write_hint(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "free disk space in the workspace"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "use a workspace folder you can write (--workspace)"
    return "check the workspace folder and the disk"


@contextlib.contextmanager
def scratch_path(beside: Path, tag: str, suffix: str | None = None) -> Iterator[Path]:
    """Yield a hidden temporary path beside `beside` (same folder, so a later rename stays on one
    disk) that is always deleted afterwards: the intermediate files of a step, never its output."""
    tmp = _temp_beside(beside, tag, suffix)
    try:
        yield tmp
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        _finished(tmp)


def leftover_pattern(target: Path) -> re.Pattern[str]:
    """The names `_temp_beside` gives the temporaries of `target` (any tag, any extension):
    `.<stem><tag>.<8 random characters>.part<ext>`, and nothing else."""
    return re.compile(rf"\.{re.escape(target.stem[:40])}(?:\.[a-z]+)?\.[a-z0-9_]{{8}}\.part(?:\.[A-Za-z0-9]+)?")


def folder_files(folder: Path) -> list[Path]:
    """Every file of a folder deliverable or package, sorted: not hidden ones (a build in progress, a
    lock), nor links that lead out of the folder. Empty when there is no such folder."""
    if not folder.is_dir():
        return []
    home = folder.resolve()
    return [p for p in sorted(folder.rglob("*")) if p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(folder).parts)
            and p.resolve().is_relative_to(home)]


def clear_leftovers(target: Path) -> list[Path]:
    """Delete the temporary files and folders (`atomic_path`, `scratch_path`, `atomic_dir`) a killed process left beside
    `target`; a process that dies by SIGKILL cannot clean up after itself. Returns what was deleted."""
    if not target.parent.is_dir():
        return []
    pattern = leftover_pattern(target)
    gone = [p for p in target.parent.iterdir() if pattern.fullmatch(p.name) and (p.is_file() or p.is_dir())]
    for path in gone:
        if path.is_dir():  # a folder deliverable's build (`atomic_dir`)
            shutil.rmtree(path, ignore_errors=True)
            continue
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return gone


def write_bytes(target: Path, data: bytes, *, min_bytes: int = 0) -> None:
    """Write bytes atomically; with `min_bytes`, fewer bytes are refused and nothing is written at
    `target` (`atomic_path`)."""
    with atomic_path(target, min_bytes=min_bytes) as tmp:
        tmp.write_bytes(data)


def write_text(target: Path, text: str, *, min_bytes: int = 0) -> None:
    """Write NFC-normalised UTF-8 text atomically (no BOM, LF line endings)."""
    write_bytes(target, nfc(text).encode("utf-8"), min_bytes=min_bytes)


def write_json(target: Path, data: Any) -> None:
    """Write JSON atomically, UTF-8 with real Vietnamese characters rather than escapes."""
    write_text(target, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def write_json_if_changed(target: Path, data: Any) -> bool:
    """Write JSON only when its text differs, so a rerun with nothing new leaves files and their
    time stamps alone. Returns whether it wrote."""
    text = nfc(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    if target.is_file() and target.read_text(encoding="utf-8") == text:
        return False
    write_bytes(target, text.encode("utf-8"))
    return True


def read_json(path: Path) -> Any:
    """Read a JSON artefact written by an earlier stage."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
