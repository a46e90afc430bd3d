"""What ingest and conform share when they decode a programme's clips one ffmpeg per clip: how many
run side by side, and whether a decode got through the whole file.

Both stages transcode clip by clip with the same machine and the same failure to guard against (a
file still being copied, a damaged card), so the answer lives here, below both, not in either.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import MediaError
from . import ffmpeg
from .probe import MediaInfo


def clips_at_once() -> int:
    """How many clips ingest (and conform) work on side by side. One ffmpeg keeps about one and a half
    cores busy (its filters run on one thread), so two at once fill a 2-core machine;
    `REPORTAGE_INGEST_JOBS` sets it."""
    value = os.environ.get("REPORTAGE_INGEST_JOBS", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    return max(2, (os.cpu_count() or 2) // 2)


def check_complete(path: Path, info: MediaInfo, output: Path | None) -> None:
    """Refuse a clip that decoded (into `output`) to much less than its header claims: truncated or
    damaged. Ingest asks it of the proxy or ASR audio, conform of the working copy it makes."""
    if output is None or not info.duration_ms:
        return
    got = ffmpeg.ffprobe_json(output).get("format", {}).get("duration")
    if got in (None, "N/A"):
        raise MediaError("nothing could be decoded", path=path, hint="the file is damaged; copy it again")
    decoded_ms = round(float(got) * 1000)
    if decoded_ms < info.duration_ms * 0.9 and info.duration_ms - decoded_ms > 1000:
        raise MediaError(
            f"truncated or damaged: decoded {decoded_ms / 1000:.1f} s of the {info.duration_ms / 1000:.1f} s "
            "its header claims",
            path=path, hint="copy the file again from the camera card",
        )
