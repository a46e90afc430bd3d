"""The one place ffmpeg and ffprobe run: argument lists, logging, progress, errors with hints.

No other module starts these programs. Commands are argument lists (never a shell string), the
command line is logged with `shlex.join`, and a failure carries ffmpeg's last lines of stderr plus a
one-line hint for the failures editors meet most.
"""

from __future__ import annotations

import json
import logging
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
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
    # Our `file:` input prefix is an implementation detail; editors should see their own path.
    return "\n".join(text.strip().replace("file:/", "/").splitlines()[-lines:])


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
    proc = subprocess.run(argv, capture_output=True, check=False)
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


def run_ffmpeg(
    args: Sequence[str],
    *,
    duration_s: float | None = None,
    progress: ProgressCallback | None = None,
    subject: Path | str | None = None,
) -> str:
    """Run `ffmpeg ARGS` (no leading 'ffmpeg'); return stderr. Raise FFmpegError naming `subject`.

    With `progress` and `duration_s`, ffmpeg's `-progress` output is parsed and the callback gets the
    fraction done (0..1). stderr goes to a temporary file rather than a pipe so a chatty ffmpeg can
    never dead-lock on a full pipe.
    """
    argv = [tool_path("ffmpeg"), "-hide_banner", "-nostdin", "-y"]
    if progress is not None:
        argv += ["-progress", "pipe:1", "-nostats"]
    argv += list(args)
    log.debug("run %s", shlex.join(argv))
    with tempfile.TemporaryFile() as errfile:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE if progress else subprocess.DEVNULL, stderr=errfile)
        try:
            if progress is not None and proc.stdout is not None:
                for fraction in _parse_progress(proc.stdout, duration_s):
                    progress(fraction)
            returncode = proc.wait()
        except BaseException:
            _stop(proc)  # a signal or an error in the callback: never leave ffmpeg running on its own
            raise
        finally:
            if proc.stdout is not None:
                proc.stdout.close()
        errfile.seek(0)
        stderr = errfile.read().decode("utf-8", "replace")
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


# ffmpeg 5.1 exits 0 when it cannot finish writing a file (a full disk, a vanished folder): these
# lines in its log mean the output is incomplete whatever the exit code says.
_WRITE_FAILURES = ("Error writing trailer", "No space left on device", "Error closing file",
                   "av_interleaved_write_frame(): ", "Disk quota exceeded")


def _write_failure(stderr: str) -> str | None:
    """The line of ffmpeg's log that says an output was not written completely, if any."""
    for line in stderr.splitlines():
        if any(needle in line for needle in _WRITE_FAILURES):
            return line.strip()
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


def version() -> str:
    """ffmpeg's version line, for stage input hashes and `reportage doctor`."""
    proc = subprocess.run([tool_path("ffmpeg"), "-version"], capture_output=True, check=False)
    return proc.stdout.decode("utf-8", "replace").splitlines()[0] if proc.stdout else "unknown"


def command_line(args: Sequence[str]) -> str:
    """A copy-pasteable command line for logs and dry runs."""
    return shlex.join(["ffmpeg", *args])
