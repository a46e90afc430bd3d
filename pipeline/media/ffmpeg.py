"""The one place ffmpeg and ffprobe run: argument lists, logging, progress, errors with hints.

No other module starts these programs. Commands are argument lists (never a shell string), the
command line is logged with `shlex.join`, and a failure carries ffmpeg's last lines of stderr plus a
one-line hint for the failures editors meet most.

Every child dies with us. A stop signal unwinds through the runner, which stops its ffmpeg; a
process killed outright (kill -9, the out-of-memory killer) runs no code at all, so on Linux each
child asks the kernel, before ffmpeg starts, to be killed when the thread that started it goes
(PR_SET_PDEATHSIG): a killed ingest or render leaves no ffmpeg running on its own, writing on into
temporaries the next run deletes.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import logging
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import FFmpegError, MediaError, ToolMissingError

log = logging.getLogger(__name__)

ProgressCallback = Callable[[float], None]

# Known ffmpeg complaints → what the editor should do about them.
_HINTS: list[tuple[str, str]] = [
    ("moov atom not found", "the file is truncated or was not finalised by the camera; copy it again from the card"),
    ("Invalid data found when processing input", "this is not a media file ffmpeg can read, or it is damaged"),
    ("No such file or directory", "check the path in the manifest"),
    ("Permission denied", "the file or folder cannot be read or written with your permissions"),
    ("No space left on device", "free disk space in the workspace"),
    ("Error while decoding", "the file has damaged frames; re-export it from the source"),
    ("Unknown encoder", "this ffmpeg build lacks the encoder; install Debian's ffmpeg package"),
    ("does not contain any stream", "the file holds no audio or video streams"),
    ("Output file is empty", "nothing was encoded: the input may have no decodable frames"),
]


_PR_SET_PDEATHSIG = 1


def _load_prctl() -> Callable[..., int] | None:
    """libc's prctl, looked up once here: a child between fork and exec must not load anything."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


_PRCTL = _load_prctl()


def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` that has the child killed (SIGKILL) when the thread starting it goes, or None
    where the kernel cannot do it. The running thread always waits for (or stops) its child, so only
    a parent killed outright sets it off; a parent already gone by then stops the child at once."""
    prctl = _PRCTL
    if prctl is None:
        return None
    parent, kill = os.getpid(), int(signal.SIGKILL)

    def setup() -> None:  # runs in the child, after fork, before exec: only the system calls
        prctl(_PR_SET_PDEATHSIG, kill, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(137)

    return setup


def tool_path(name: str) -> str:
    """Absolute path of ffmpeg/ffprobe, or a clear error saying how to install it."""
    found = shutil.which(name)
    if not found:
        raise ToolMissingError(f"{name} is not installed", hint="run ./scripts/demo or `apt-get install ffmpeg`")
    return found


def hint_for(stderr: str) -> str | None:
    """The first known hint matching ffmpeg's stderr, if any."""
    for needle, hint in _HINTS:
        if needle.lower() in stderr.lower():
            return hint
    return None


def _tail(text: str, lines: int = 8) -> str:
    # Our `file:` input prefix is an implementation detail; editors should see their own path; the
    # level tags of a `COUNTED_LOG` run are for `decode_errors`, not for editors.
    return "\n".join(_LEVEL_TAG.sub("", text.strip().replace("file:/", "/")).splitlines()[-lines:])


COUNTED_LOG = ("-loglevel", "repeat+level+info")
"""ffmpeg options that make its log countable: every line tagged with its level ("[error]"), and
no "Last message repeated N times" folding repeats away. For `decode_errors`."""
_LEVEL_TAG = re.compile(r"\[(?:panic|fatal|error|warning|info|verbose|debug|trace)\] ")
_LOG_LINE = re.compile(r"^(?:\[(?P<context>[^\]@]+?) @ 0x[0-9a-fA-F]+\] )?\[(?P<level>panic|fatal|error|warning)\] "
                       r"(?P<message>.*)$")


@dataclass(frozen=True)
class DecodeErrors:
    """What ffmpeg said was damaged while it decoded: how many errors, and the first of them."""

    count: int
    first: str

    def __bool__(self) -> bool:
        return self.count > 0


def decode_errors(stderr: str) -> DecodeErrors:
    """The errors in the log of a run made with `COUNTED_LOG` that completed: a decoder that met
    bytes it could not decode ("[h264 @ 0x…] [error] error while decoding MB 2 5"), ffmpeg's own
    "Error while decoding stream #0:1", and frames it passed on as corrupt. A run that completed
    wrote all its outputs, so every error it logged was about its input."""
    count = 0
    first = ""
    for line in stderr.splitlines():
        found = _LOG_LINE.match(line)
        if found is None:
            continue
        level, message = found.group("level"), found.group("message").strip()
        if level == "warning" and "corrupt decoded frame" not in message:
            continue
        count += 1
        if not first:
            context = found.group("context")
            first = f"{context}: {message}" if context else message
    return DecodeErrors(count, first.replace("file:/", "/"))


def safe_input(path: Path) -> str:
    """An input path ffmpeg cannot mistake for an option or a protocol (`-x.mp4`, `a:b.mov`)."""
    return "file:" + str(path)


def ffprobe_json(path: Path, extra: Sequence[str] = ()) -> dict[str, Any]:
    """Run ffprobe and return its JSON (format + streams); MediaError when it cannot read the file."""
    argv = [
        tool_path("ffprobe"), "-v", "error", "-print_format", "json",
        "-show_format", "-show_streams", *extra, safe_input(path),
    ]
    log.debug("run %s", shlex.join(argv))
    proc = subprocess.run(argv, capture_output=True, check=False, preexec_fn=die_with_parent())
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        problem = _tail(stderr, 1) or f"ffprobe exited with {proc.returncode}"
        raise FFmpegError(
            f"cannot read media ({problem})", path=path, hint=hint_for(stderr), argv=argv, stderr_tail=_tail(stderr)
        )
    try:
        data: dict[str, Any] = json.loads(proc.stdout.decode("utf-8", "replace") or "{}")
    except json.JSONDecodeError as exc:
        raise MediaError(f"ffprobe gave unreadable output ({exc})", path=path) from exc
    return data


def ffprobe_output(args: Sequence[str]) -> bytes | None:
    """Run `ffprobe -v error ARGS` and return its stdout, or None when it fails: for the packet scans
    that only refine what `ffprobe_json` already read, where a file ffprobe cannot scan means "no
    more facts", not an error."""
    argv = [tool_path("ffprobe"), "-v", "error", *args]
    log.debug("run %s", shlex.join(argv))
    proc = subprocess.run(argv, capture_output=True, check=False, preexec_fn=die_with_parent())
    return proc.stdout if proc.returncode == 0 else None


@dataclass(frozen=True)
class Feed:
    """ffmpeg runs that write, one after another, into the same FIFOs, which the main command reads
    as raw inputs: how a programme of any number of cuts is decoded by processes that each open a
    few inputs, while the one render reads a single continuous picture and sound.

    The FIFOs are made by `run_ffmpeg` and held open between runs, so the reader sees one stream
    and its end only after the last run. Raw video and PCM have no headers: runs simply follow."""

    pipes: tuple[Path, ...]
    runs: tuple[tuple[str, ...], ...]


PIPE_BYTES = 1 << 20  # a FIFO's buffer (Linux's default pipe-max-size); the kernel default is 64 KiB


def run_ffmpeg(
    args: Sequence[str],
    *,
    duration_s: float | None = None,
    progress: ProgressCallback | None = None,
    subject: Path | str | None = None,
    feeds: Sequence[Feed] = (),
) -> str:
    """Run `ffmpeg ARGS` (no leading 'ffmpeg'); return stderr. Raise FFmpegError naming `subject`.

    With `progress` and `duration_s`, ffmpeg's `-progress` output is parsed and the callback gets the
    fraction done (0..1). stderr goes to a temporary file rather than a pipe so a chatty ffmpeg can
    never dead-lock on a full pipe. `feeds` run alongside, each in its own thread (see `Feed`); a
    failed feeder stops the command and its error is the one raised.
    """
    argv = [tool_path("ffmpeg"), "-hide_banner", "-nostdin", "-y"]
    if progress is not None:
        argv += ["-progress", "pipe:1", "-nostats"]
    argv += list(args)
    log.debug("run %s", shlex.join(argv))
    with tempfile.TemporaryFile() as errfile, contextlib.ExitStack() as stack:
        held = [stack.enter_context(_fifo(pipe)) for feed in feeds for pipe in feed.pipes]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE if progress else subprocess.DEVNULL, stderr=errfile,
                                preexec_fn=die_with_parent())
        feeders = _Feeders(feeds, held, proc, subject)
        try:
            feeders.start()
            if progress is not None and proc.stdout is not None:
                for fraction in _parse_progress(proc.stdout, duration_s):
                    progress(fraction)
            returncode = proc.wait()
            feeders.finish()
        except BaseException:
            feeders.stop()
            _stop(proc)  # a signal or an error in the callback: never leave ffmpeg running on its own
            raise
        finally:
            if proc.stdout is not None:
                proc.stdout.close()
        errfile.seek(0)
        stderr = errfile.read().decode("utf-8", "replace")
    if feeders.error is not None:
        raise feeders.error
    write_failure = _write_failure(stderr)
    if returncode != 0 or write_failure:
        last = write_failure or _tail(stderr, 1) or f"ffmpeg exited with {returncode}"
        raise FFmpegError(
            f"ffmpeg failed: {last}",
            path=subject,
            hint=hint_for(stderr),
            argv=argv,
            stderr_tail=_tail(stderr, 15),
        )
    if progress is not None:
        progress(1.0)
    return stderr


class _Held:
    """A FIFO's descriptor held open by this process, closed once: by the feeder when its runs end
    and again, as a no-op, when the FIFO is removed. Closing a number twice would close whatever
    another thread opened under that number in between (a chunk's file, a log)."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)


@contextlib.contextmanager
def _fifo(path: Path) -> Iterator[_Held]:
    """A FIFO at `path`, held open for reading and writing (so neither side blocks on open and the
    reader sees its end only when the holder lets go); removed afterwards."""
    os.mkfifo(path, 0o600)
    try:
        fd = os.open(path, os.O_RDWR)
        with contextlib.suppress(OSError, AttributeError):
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        held = _Held(fd)
        try:
            yield held
        finally:
            held.close()
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


class _Feeders:
    """The threads that run each `Feed`'s ffmpeg runs in order while the main command reads them."""

    def __init__(self, feeds: Sequence[Feed], held: list[_Held], main: subprocess.Popen[bytes],
                 subject: Path | str | None) -> None:
        self.feeds, self.main, self.subject = list(feeds), main, subject
        self.error: FFmpegError | None = None
        self._held: list[list[_Held]] = []
        index = 0
        for feed in self.feeds:
            self._held.append(held[index:index + len(feed.pipes)])
            index += len(feed.pipes)
        self._threads: list[threading.Thread] = []
        self._running: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def start(self) -> None:
        for number, feed in enumerate(self.feeds):
            thread = threading.Thread(target=self._feed, args=(feed, self._held[number]), daemon=True,
                                      name=f"ffmpeg-feed-{number}")
            thread.start()
            self._threads.append(thread)

    def _feed(self, feed: Feed, held: list[_Held]) -> None:
        try:
            for run in feed.runs:
                if self._stopped.is_set():
                    return
                error = self._one(run)
                if error is not None:
                    with self._lock:
                        self.error = self.error or error
                    self._stopped.set()
                    _stop(self.main)  # what it has read so far is not the programme
                    return
        finally:
            for pipe in held:  # the reader sees the end of this feed
                pipe.close()

    def _one(self, run: Sequence[str]) -> FFmpegError | None:
        argv = [tool_path("ffmpeg"), "-hide_banner", "-nostdin", "-y", "-nostats", *run]
        log.debug("feed %s", shlex.join(argv))
        with tempfile.TemporaryFile() as errfile:
            with self._lock:
                if self._stopped.is_set():
                    return None
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errfile,
                                        preexec_fn=die_with_parent())
                self._running.add(proc)
            returncode = proc.wait()
            with self._lock:
                self._running.discard(proc)
            if returncode == 0 or self._stopped.is_set():
                return None
            errfile.seek(0)
            stderr = errfile.read().decode("utf-8", "replace")
        return FFmpegError(f"ffmpeg failed decoding the programme: {_tail(stderr, 1) or f'exit {returncode}'}",
                           path=self.subject, hint=hint_for(stderr), argv=argv, stderr_tail=_tail(stderr, 15))

    def finish(self) -> None:
        """After the main command has exited: a feeder still running has nobody to read it (the
        command reads to the end of every feed, so after a clean exit none is left)."""
        self.stop()

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            running = list(self._running)
        for proc in running:
            _stop(proc)
        for thread in self._threads:
            thread.join(timeout=10)


# ffmpeg 5.1 exits 0 when it cannot finish writing a file (a full disk, a vanished folder): these
# lines in its log mean the output is incomplete whatever the exit code says.
_WRITE_FAILURES = ("Error writing trailer", "No space left on device", "Error closing file",
                   "av_interleaved_write_frame(): ", "Disk quota exceeded")


def _write_failure(stderr: str) -> str | None:
    """The line of ffmpeg's log that says an output was not written completely, if any."""
    for line in stderr.splitlines():
        if any(needle in line for needle in _WRITE_FAILURES):
            return _LEVEL_TAG.sub("", line).strip()
    return None


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop ffmpeg: SIGTERM first, SIGKILL when it has not gone within 5 s."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _parse_progress(stream: Any, duration_s: float | None) -> Iterator[float]:
    """Yield fractions done from ffmpeg's `-progress` key=value lines."""
    for raw in iter(stream.readline, b""):
        line = raw.decode("ascii", "replace").strip()
        if line.startswith("out_time_us=") and duration_s:
            value = line.split("=", 1)[1]
            if value.lstrip("-").isdigit():
                yield max(0.0, min(1.0, int(value) / 1e6 / duration_s))


def run_tool(argv: Sequence[str | Path], *, subject: Path | str | None = None, cwd: Path | None = None,
             hint: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run another media tool (`argv[0]` its absolute path: Shaka Packager from its wheel) the way
    ffmpeg runs here: an argument list, logged, killed with us, its output kept for the error.

    Returns the finished process (stdout and stderr as text); a non-zero exit raises FFmpegError
    naming `subject`, with the tool's last line as the problem and `hint` as the fix."""
    line = [str(part) for part in argv]
    log.debug("run %s", shlex.join(line))
    try:
        proc = subprocess.run(line, capture_output=True, check=False, cwd=cwd, stdin=subprocess.DEVNULL,
                              preexec_fn=die_with_parent())
    except OSError as exc:
        raise ToolMissingError(f"cannot run {line[0]} ({exc.strerror or exc})", path=subject, hint=hint) from None
    stdout, stderr = proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        last = _tail(stderr, 1) or _tail(stdout, 1) or f"exit status {proc.returncode}"
        raise FFmpegError(f"{Path(line[0]).name} failed: {last}", path=subject, hint=hint, argv=line,
                          stderr_tail=_tail(stderr, 15))
    return subprocess.CompletedProcess(line, proc.returncode, stdout, stderr)


def version() -> str:
    """ffmpeg's version line, for stage input hashes and `reportage doctor`."""
    proc = subprocess.run([tool_path("ffmpeg"), "-version"], capture_output=True, check=False)
    return proc.stdout.decode("utf-8", "replace").splitlines()[0] if proc.stdout else "unknown"


def command_line(args: Sequence[str]) -> str:
    """A copy-pasteable command line for logs and dry runs."""
    return shlex.join(["ffmpeg", *args])
