"""The chunk store `cache/chunks/`: finished chunks by content key, and who is making which.

A chunk is written to a temporary name and renamed to `<key><ext>` only when complete, so a file in
the store is a whole chunk and a killed render keeps every chunk it finished. Several processes —
threads of one render, Dramatiq workers on other machines sharing the workspace — take chunk jobs
from the same list: a job is taken by creating its claim file `<job>.claim` exclusively, and the
taker touches it while it encodes (`Claim.beat`). A claim nobody has touched for `STALE_S` belongs
to a worker that died (killed, power cut); any process may then take the job over, and only that
chunk is encoded again. Temporaries nobody has written to for `STALE_S` are deleted the same way.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
import time
from collections.abc import Iterable
from pathlib import Path

STALE_S = 120.0
"""A claim or temporary untouched this long belongs to a dead worker. An encode touches its claim
every `BEAT_S` and writes its temporary continuously, so a live one is never this old."""
BEAT_S = 10.0
_TEMP = re.compile(r"^\..*\.part(\.[A-Za-z0-9]+)?$")


def store_dir(programme_dir: Path) -> Path:
    """Where a programme's chunks are kept: with the other caches, not among the renders (nobody
    who lists `renders/` for deliverables should find a chunk)."""
    return programme_dir / "cache" / "chunks"


class Claim:
    """A job taken by this process: its claim file, touched while the job runs, removed after."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def beat(self) -> None:
        """Touch the claim every `BEAT_S` until released, from a thread of its own."""
        def run() -> None:
            while not self._stop.wait(BEAT_S):
                with contextlib.suppress(OSError):
                    os.utime(self.path)
        self._beat = threading.Thread(target=run, name=f"claim {self.path.name}", daemon=True)
        self._beat.start()

    def release(self) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join()
        with contextlib.suppress(OSError):
            self.path.unlink()


def _owner() -> str:
    return f"{socket.gethostname()} {os.getpid()} {threading.get_ident()}"


def claim(store: Path, job: str, *, stale_s: float = STALE_S) -> Claim | None:
    """Take job `job` (create its claim exclusively), or take over a stale claim; None when another
    live process has it."""
    store.mkdir(parents=True, exist_ok=True)
    path = store / f"{job}.claim"
    for _ in range(2):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            if not is_stale(path, stale_s):
                return None
            with contextlib.suppress(OSError):
                path.unlink()  # a dead worker's: taken over (two takers at once encode it twice, harmlessly)
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(_owner() + "\n")
        return Claim(path)
    return None


def is_stale(path: Path, stale_s: float = STALE_S) -> bool:
    """Whether `path` (a claim or a temporary) has not been touched for `stale_s`, or is the claim of
    a process of this machine that is gone (a render killed here is taken over at once)."""
    try:
        if time.time() - path.stat().st_mtime > stale_s:
            return True
    except FileNotFoundError:
        return True
    return path.suffix == ".claim" and _owner_gone(path)


def _owner_gone(claim_file: Path) -> bool:
    """Whether the claim names a process of this machine that no longer runs."""
    try:
        host, pid, _ = claim_file.read_text(encoding="utf-8").split()
    except (OSError, ValueError):
        return False  # being written, or not ours to judge: wait for it to go stale
    if host != socket.gethostname():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError):
        return False
    return False


def held(store: Path, job: str, stale_s: float = STALE_S) -> bool:
    """Whether a live process is making job `job` now."""
    path = store / f"{job}.claim"
    return path.exists() and not is_stale(path, stale_s)


FRESH_S = 10.0
"""A temporary younger than this may belong to a chunk just claimed: never judged dead by age alone."""


def clear_dead(store: Path, stale_s: float = STALE_S) -> list[Path]:
    """Delete the claims and temporaries dead workers left: claims untouched for `stale_s` or of a
    process of this machine that is gone; temporaries untouched for `stale_s`, or — when no live
    claim is left, so nobody is encoding into the store — any older than `FRESH_S`."""
    gone: list[Path] = []
    if not store.is_dir():
        return gone
    claims = [p for p in store.iterdir() if p.suffix == ".claim"]
    for path in claims:
        if is_stale(path, stale_s):
            with contextlib.suppress(OSError):
                path.unlink()
                gone.append(path)
    idle = not any(p.exists() for p in claims)
    for path in store.iterdir():
        if _TEMP.match(path.name) and (is_stale(path, stale_s) or (idle and is_stale(path, FRESH_S))):
            with contextlib.suppress(OSError):
                path.unlink()
                gone.append(path)
    return gone


def prune(store: Path, keep: Iterable[str]) -> list[Path]:
    """Delete the chunks no deliverable uses any more (`keep`: the keys still referred to, a file's
    name up to its first dot);
    temporaries and claims of live workers are left alone."""
    wanted = set(keep)
    gone: list[Path] = []
    if not store.is_dir():
        return gone
    for path in store.iterdir():
        ours = path.name.startswith(".") or path.suffix == ".claim"  # temporaries and claims: clear_dead's
        if ours or path.name.split(".")[0] in wanted or not path.is_file():
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            gone.append(path)
    return gone
