"""One programme, one writer: an advisory file lock per programme folder, and clean stops on signals.

Two `reportage run` on the same programme would both do all the work and interleave their writes.
The lock (`<workspace>/<id>/.lock`, `fcntl.flock`) is released by the kernel when its holder dies,
so a killed process never leaves a stale lock behind. The file names who holds it, for the message
the second process prints. Different programmes in one workspace have different locks and run
side by side.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from . import fsutil
from .errors import WorkspaceError
from .workspace import Workspace

log = logging.getLogger(__name__)


class ProgrammeBusy(WorkspaceError):
    """Another process holds the programme's lock."""

    exit_code = 75  # EX_TEMPFAIL: try again later


class Interrupted(KeyboardInterrupt):
    """SIGTERM, SIGHUP or SIGINT arrived: unwind, stopping children and discarding partial outputs."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def lock_path(ws: Workspace) -> Path:
    return ws.dir / ".lock"


def _holder(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _describe(holder: dict[str, Any]) -> str:
    if not holder:
        return "another process"
    since = time.strftime("%H:%M:%S", time.localtime(float(holder.get("since", 0))))
    return f"`{holder.get('command', 'reportage')}` (pid {holder.get('pid')} on {holder.get('host')}, since {since})"


@contextlib.contextmanager
def programme_lock(ws: Workspace, *, wait: bool = False, command: str | None = None) -> Iterator[None]:
    """Hold the programme's lock for the block; ProgrammeBusy at once when another process has it,
    unless `wait` (then block until it is free)."""
    path = lock_path(ws)
    try:
        ws.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise WorkspaceError(f"cannot be written ({exc.strerror})", path=ws.dir,
                             hint="use a workspace folder you can write (--workspace)") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            raise ProgrammeBusy(f"programme {ws.programme_id} is busy: {_describe(_holder(path))} is working on it",
                                path=ws.dir, hint="wait for it to finish, or pass --wait to queue behind it") from None
        me = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time(),
              "command": command or " ".join(["reportage", *sys.argv[1:]])[:300]}
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(me, ensure_ascii=False).encode("utf-8"), 0)
        yield
    finally:
        os.close(fd)  # closing drops the flock


def is_held(ws: Workspace) -> bool:
    """Whether a process holds the programme's lock now: a shared lock tried and dropped at once
    (what a chunk worker asks to know whether the render it helps is still running)."""
    path = lock_path(ws)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        return exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES)
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


def _raise_interrupted(signum: int, _frame: FrameType | None) -> None:
    # Ignore further stop signals while unwinding, so cleanup (killing ffmpeg, deleting temporaries)
    # is not itself interrupted half-way.
    for sig in _STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise Interrupted(signum)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP/SIGINT into `Interrupted` in the main thread for the block.

    The exception unwinds through the ffmpeg runner (which stops its child) and every `atomic_path`
    (which deletes its temporary file), so nothing is left running and nothing half-written sits at
    a final name.
    """
    previous = {sig: signal.getsignal(sig) for sig in _STOP_SIGNALS}
    for sig in _STOP_SIGNALS:
        signal.signal(sig, _raise_interrupted)
    try:
        yield
    except Interrupted:
        # A signal can land between a temporary's creation and the `try` that would delete it.
        for path in fsutil.discard_unfinished():
            log.info("deleted %s, left by the stop", path)
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


__all__ = ["Interrupted", "ProgrammeBusy", "programme_lock", "stop_on_signals"]
