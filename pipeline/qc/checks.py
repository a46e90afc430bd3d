"""Measurements of one delivered file: ffprobe fields, keyframe spacing and bit rate from the packet
list, and everything that needs decoded pictures or sound.

`ranged.measure_file` measures the picture range by range in parallel beside one audio-only decode
(`qc/ranged.py`); `measure_file_whole`, what QC did before, decodes it all in ONE ffmpeg:
`signalstats → blackdetect → freezedetect → metadata=print` on the video and `asplit` → (`atrim` past
the leader → `ebur128`) + `silencedetect` on the first audio track. Both give the same values: a
flat dict keyed like the plan's `CheckSpec.measure`, plus time series for the report's plots.

`signalstats=stat=brng` adds, per frame, BRNG: the fraction (0..1) of pixels whose Y leaves 16–235 or
whose Cb/Cr leave 16–240 (limits scaled for 10-bit) — the area figure of EBU R103's gamut rule.

One measurement is of the programme's subtitles, not of a file: `uncertain_words`, the recognised
words the recogniser was unsure of that are still in the delivered Vietnamese cues as it left them
(read from the subtitles record, checked against the file in force).
"""

from __future__ import annotations

import itertools
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import MediaError
from ..media.ffmpeg import ffprobe_json, run_ffmpeg, safe_input
from ..media.loudness import parse_ebur128
from ..records.subtitles import SubtitlesLanguage
from ..subs.cues import Cue
from ..timecode import fmt_rate, ms_to_timecode, parse_rate

_FRAME_RE = re.compile(r"^frame:\s*(\d+)\s+pts:\s*\S+\s+pts_time:\s*([-\d.e]+)")
_META_RE = re.compile(r"^lavfi\.(\w+)\.(\w+)=(.*)$")
_R128_RE = re.compile(r"\] t:\s*([\d.]+)\s+TARGET:.*?M:\s*([-\d.]+)\s+S:\s*([-\d.]+)")
_BLACK_RE = re.compile(r"black_start:\s*([\d.]+)\s+black_end:\s*([\d.]+)")
_SIL_START_RE = re.compile(r"silence_start:\s*([-\d.]+)")
_SIL_END_RE = re.compile(r"silence_end:\s*([-\d.]+)")
_EXTREMES = ("YMIN", "YMAX", "UMIN", "UMAX", "VMIN", "VMAX")


@dataclass
class FileMeasurements:
    """Flat values for the verdicts, and the series the report draws."""

    values: dict[str, Any] = field(default_factory=dict)
    loudness_series: list[tuple[float, float, float]] = field(default_factory=list)  # t, M, S
    # t, Ymin, Ymax, Umin, Umax, Vmin, Vmax (8-bit codes), BRNG (fraction of pixels out of range);
    # a 7-tuple, without BRNG, is a frame whose area figure was not measured.
    luma_series: list[tuple[float, ...]] = field(default_factory=list)
    duration_s: float | None = None
    range_keys: list[str] = field(default_factory=list)
    """The range cache entries the picture's measurement is made of (`qc/rangecache.py`)."""
    range_work: dict[str, int] = field(default_factory=dict)
    """How the picture was measured: ranges, measured, reused, freeze checks at boundaries."""


def probe_fields(path: Path) -> tuple[dict[str, Any], float | None]:
    """Container, video and audio fields from ffprobe, keyed as the plan expects."""
    data = ffprobe_json(path)
    values: dict[str, Any] = {}
    fmt = data.get("format", {})
    name = str(fmt.get("format_name", ""))
    values["container.format"] = "mov,mp4" if name.startswith("mov,mp4") else name
    values["container.extension"] = path.suffix.lower()
    values["container.moov_first"] = moov_first(path) if values["container.format"] == "mov,mp4" else None
    streams = data.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not s.get("disposition", {}).get("attached_pic")), None)
    audio = [s for s in streams if s.get("codec_type") == "audio"]
    duration = _float(fmt.get("duration"))
    if video is None:
        raise MediaError("has no video stream", path=path, hint="QC checks finished deliverables")
    rate = parse_rate(str(video.get("r_frame_rate", "0/1")))
    values.update({
        "video.codec": video.get("codec_name"),
        "video.profile": video.get("profile"),
        "video.level": video.get("level") if isinstance(video.get("level"), int) and video["level"] > 0 else None,
        "video.pix_fmt": video.get("pix_fmt"),
        "video.size": f"{video.get('width')}x{video.get('height')}",
        "video.rate": fmt_rate(rate, exact=True),
        "video.field_order": video.get("field_order"),
        "video.colour": "/".join(str(video.get(k, "?")) for k in ("color_primaries", "color_transfer",
                                                                    "color_space", "color_range")),
    })
    frames = _int(video.get("nb_frames"))
    vdur = _float(video.get("duration")) or duration
    if frames is None and vdur is not None and rate > 0:
        frames = round(Fraction(str(vdur)) * rate)
    values["duration.frames"] = frames
    values["duration.seconds"] = vdur
    if audio:
        first = audio[0]
        values["audio.codec"] = first.get("codec_name")
        values["audio.sample_rate"] = _int(first.get("sample_rate"))
        values["audio.channels"] = sum(_int(s.get("channels")) or 0 for s in audio)
        values["audio.tracks"] = len(audio)
        depth = _int(first.get("bits_per_raw_sample")) or _int(first.get("bits_per_sample"))
        values["audio.bit_depth"] = depth or None
        br = _int(first.get("bit_rate"))
        values["audio.bitrate_kbps"] = round(br / 1000) if br else None
        if values["container.format"] == "mov,mp4" and first.get("codec_name") == "aac":
            configured = mp4_audio_max_bitrate(path)
            values["audio.bitrate_configured_kbps"] = round(configured / 1000) if configured else None
    return values, vdur


PACKET_ENTRIES = ["-select_streams", "v:0", "-show_entries", "packet=pts,pts_time,dts_time,flags,size"]
"""The video packet list QC reads once: for the GOP and bit rate figures, and to place ranges."""


def packet_fields(path: Path, rate: Fraction) -> dict[str, Any]:
    """Longest and most common keyframe spacing (frames) and the average video bit rate (kb/s)."""
    return packet_values(ffprobe_json(path, PACKET_ENTRIES).get("packets", []), rate)


def packet_values(packets: Sequence[Mapping[str, Any]], rate: Fraction) -> dict[str, Any]:
    """`packet_fields` of a packet list already read (decode order)."""
    if not packets:
        return {}
    keys = [i for i, p in enumerate(packets) if "K" in str(p.get("flags", ""))]
    spacing = [b - a for a, b in itertools.pairwise(keys)]
    total_bits = sum(_int(p.get("size")) or 0 for p in packets) * 8
    seconds = len(packets) / float(rate) if rate > 0 else None
    values: dict[str, Any] = {
        "video.gop_max": max(spacing) if spacing else len(packets),
        "video.gop_common": max(set(spacing), key=spacing.count) if spacing else len(packets),
        "video.keyframes": len(keys),
        "video.gop_structure": gop_structure(packets, rate),
    }
    if seconds:
        values["video.bitrate_kbps"] = round(total_bits / seconds / 1000)
    return values


def gop_structure(packets: Sequence[Mapping[str, Any]], rate: Fraction) -> dict[str, Any] | None:
    """Where the keyframes are and which GOPs are open, from the video packets in decode order:
    `frames` (how many), `fps`, `keyframes` (frame numbers in presentation order, counted from the
    first picture shown) and `open` (the keyframes after which, before the next keyframe, a picture
    is decoded that is shown before them: leading pictures that lean on the GOP before). What a
    stream packager needs of a rung: it cuts segments on a frame grid, each must start on an IDR
    and decode alone. None when the packets carry no times."""
    times = [_float(p.get("pts_time")) for p in packets]
    known = [t for t in times if t is not None]
    if not known or rate <= 0:
        return None
    first, fps = min(known), float(rate)
    half_frame = 0.5 / fps
    keyframes: list[int] = []
    opened: list[int] = []
    key_at: float | None = None
    for packet, t in zip(packets, times, strict=True):
        if t is None:
            continue
        if "K" in str(packet.get("flags", "")):
            key_at = t
            keyframes.append(round((t - first) * fps))
        elif key_at is not None and t < key_at - half_frame and (not opened or opened[-1] != keyframes[-1]):
            opened.append(keyframes[-1])
    return {"frames": len(packets), "fps": round(fps, 6), "keyframes": keyframes, "open": opened}


_CONTAINERS = {b"moov": 0, b"trak": 0, b"mdia": 0, b"minf": 0, b"stbl": 0, b"stsd": 8, b"mp4a": 28}


def mp4_audio_max_bitrate(path: Path) -> int | None:
    """The bit rate the AAC encoder was set to, as the MP4 records it: `maxBitrate` of the first
    `mp4a` entry's `esds` DecoderConfigDescriptor (ffmpeg writes the configured rate there, or the
    real average when that is higher). None when the file does not carry one."""
    try:
        data = path.read_bytes() if path.stat().st_size < 64 << 20 else _moov_bytes(path)
    except OSError:
        return None
    esds = _find_box(data, 0, len(data), b"esds")
    if esds is None:
        return None
    body = esds[4:]  # version and flags
    tag_at = body.find(b"\x04")
    while 0 <= tag_at < len(body):
        at = tag_at + 1
        for _ in range(4):  # the descriptor's length: up to four 7-bit bytes
            if at >= len(body):
                return None
            more = body[at] & 0x80
            at += 1
            if not more:
                break
        if at + 13 <= len(body) and body[at] == 0x40:  # objectTypeIndication: MPEG-4 Audio
            return int.from_bytes(body[at + 5:at + 9], "big") or None
        tag_at = body.find(b"\x04", tag_at + 1)
    return None


def _moov_bytes(path: Path) -> bytes:
    """The top-level `moov` box of a large file, read without reading the media data."""
    with open(path, "rb") as handle:
        offset = 0
        while True:
            handle.seek(offset)
            head = handle.read(16)
            if len(head) < 8:
                return b""
            size, kind = int.from_bytes(head[:4], "big"), head[4:8]
            header = 8
            if size == 1:
                size, header = int.from_bytes(head[8:16], "big"), 16
            if kind == b"moov":
                handle.seek(offset)
                return handle.read(size)
            if size < header:
                return b""
            offset += size


def _find_box(data: bytes, start: int, end: int, wanted: bytes) -> bytes | None:
    """The payload of the first `wanted` box inside the container boxes of `data[start:end]`."""
    at = start
    while at + 8 <= end:
        size, kind = int.from_bytes(data[at:at + 4], "big"), data[at + 4:at + 8]
        header = 8
        if size == 1 and at + 16 <= end:
            size, header = int.from_bytes(data[at + 8:at + 16], "big"), 16
        elif size == 0:
            size = end - at
        if size < header or at + size > end:
            return None
        if kind == wanted:
            return data[at + header:at + size]
        if kind in _CONTAINERS:
            found = _find_box(data, at + header + _CONTAINERS[kind], at + size, wanted)
            if found is not None:
                return found
        at += size
    return None


def moov_first(path: Path) -> bool | None:
    """True when the MP4 index ('moov') comes before the media data ('mdat'): faststart."""
    try:
        with open(path, "rb") as handle:
            offset = 0
            for _ in range(64):
                handle.seek(offset)
                head = handle.read(16)
                if len(head) < 8:
                    return None
                size = int.from_bytes(head[:4], "big")
                kind = head[4:8]
                if kind == b"moov":
                    return True
                if kind == b"mdat":
                    return False
                if size == 1:
                    size = int.from_bytes(head[8:16], "big")
                if size < 8:
                    return None
                offset += size
    except OSError:
        return None
    return None


def decode_fields(path: Path, *, skip_s: float = 0.0, has_audio: bool = True,
                  duration_s: float | None = None, mono_tracks: int = 0) -> FileMeasurements:
    """One decode: picture stats, black, freeze, silence and loudness (measured after `skip_s`, the
    leader, because the EBU figure is the programme's, not the tone's). `mono_tracks` ≥ 2 (XDCAM keeps
    each channel in its own track) measures channels 1–2 together as the stereo mix they are."""
    result = FileMeasurements(duration_s=duration_s)
    depth = format_depth(path)
    with tempfile.TemporaryDirectory(prefix="reportage-qc-") as tmp:
        meta = Path(tmp) / "video-meta.txt"
        video = (f"[0:v:0]signalstats=stat=brng,blackdetect=d=0.2:pix_th=0.10,freezedetect=n=-60dB:d=1,"
                 f"metadata=mode=print:file={_escape(meta)}[vout]")
        graph = [video]
        maps = ["-map", "[vout]"]
        if has_audio:
            graph.append(_audio_graph(skip_s, mono_tracks))
            maps += ["-map", "[aout1]", "-map", "[aout2]"]
        stderr = run_ffmpeg(["-i", safe_input(path), "-filter_complex", ";".join(graph), *maps,
                             "-f", "null", "-"], subject=path)
        _parse_video_meta(meta.read_text(encoding="utf-8", errors="replace") if meta.exists() else "", result, depth)
    end = duration_s or (result.luma_series[-1][0] + 0.04 if result.luma_series else 0.0)
    result.values["picture.black"] = [(float(a), float(b)) for a, b in _BLACK_RE.findall(stderr)]
    audio_values(stderr if has_audio else None, result, skip_s=skip_s, end=end)
    result.values["picture.legal"] = result.luma_series or None
    return result


def _audio_graph(skip_s: float, mono_tracks: int) -> str:
    """The sound's filters: loudness past the leader (true peak, the frame log), and silence."""
    source = "[0:a:0][0:a:1]amerge=inputs=2," if mono_tracks >= 2 else "[0:a:0]"
    return (f"{source}asplit=2[al][as];[al]atrim=start={skip_s:g},asetpts=PTS-STARTPTS,"
            f"ebur128@qc=peak=true:framelog=info[aout1];[as]silencedetect=n=-60dB:d=0.5[aout2]")


def audio_decode(path: Path, *, skip_s: float = 0.0, mono_tracks: int = 0) -> str:
    """The sound alone (`-vn`), through the same filters as the one-pass decode: its log, for
    `audio_values`. What QC runs beside the picture's ranges."""
    return run_ffmpeg(["-vn", "-i", safe_input(path), "-filter_complex", _audio_graph(skip_s, mono_tracks),
                       "-map", "[aout1]", "-map", "[aout2]", "-f", "null", "-"], subject=path)


def audio_values(stderr: str | None, result: FileMeasurements, *, skip_s: float, end: float) -> None:
    """Silence, loudness and the loudness series from the log of a decode with `_audio_graph`
    (None: the file has no sound, its silence is not measured)."""
    result.values["audio.silence"] = _silences(stderr, end) if stderr is not None else None
    if stderr is None:
        return
    summaries = parse_ebur128(stderr)
    if "qc" in summaries:
        m = summaries["qc"]
        result.values["loudness.integrated"] = m.integrated_lufs
        result.values["loudness.true_peak"] = m.true_peak_dbtp
        result.values["loudness.lra"] = m.lra_lu
    result.loudness_series = [(float(t) + skip_s, float(mm), float(s)) for t, mm, s in _R128_RE.findall(stderr)]


def format_depth(path: Path) -> int:
    """Bits per sample of the first video stream's pixel format (`yuv422p10le` → 10; 8 otherwise).

    signalstats' own `YBITDEPTH` is not this: it is how many bits the frame's values use (1 for a
    flat black frame), so scaling by it made a black frame's Y 2048 instead of 16."""
    data = ffprobe_json(path, ["-select_streams", "v:0"])
    streams = [s for s in data.get("streams", []) if s.get("codec_type") == "video"]
    found = re.search(r"p(\d+)(?:le|be)$", str(streams[0].get("pix_fmt", ""))) if streams else None
    return int(found.group(1)) if found else 8


def _parse_video_meta(text: str, result: FileMeasurements, depth: int = 8) -> None:
    """Read `metadata=print` output: per-frame signalstats and freezedetect start/end marks; the
    codes scaled to 8 bits from the format's `depth`."""
    t = 0.0
    stats: dict[str, float] = {}
    freezes: list[tuple[float, float]] = []
    start: float | None = None

    def flush() -> None:
        if "YMIN" in stats:
            scale = 2 ** (depth - 8)
            codes = tuple(stats.get(k, 0.0) / scale for k in _EXTREMES)
            area = (stats["BRNG"],) if "BRNG" in stats else ()  # a fraction: no bit-depth scaling
            result.luma_series.append((t, *codes, *area))

    for line in text.splitlines():
        frame = _FRAME_RE.match(line)
        if frame:
            flush()
            stats = {}
            t = float(frame.group(2))
            continue
        meta = _META_RE.match(line.strip())
        if not meta:
            continue
        group, key, value = meta.groups()
        if group == "signalstats":
            if key in _EXTREMES or key == "BRNG":
                stats[key] = float(value)
        elif group == "freezedetect" and key == "freeze_start":
            start = float(value)
        elif group == "freezedetect" and key == "freeze_end" and start is not None:
            freezes.append((start, float(value)))
            start = None
    flush()
    if start is not None:
        freezes.append((start, t + 0.04))
    result.values["picture.freeze"] = freezes


def _silences(stderr: str, end: float) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    start: float | None = None
    for line in stderr.splitlines():
        s = _SIL_START_RE.search(line)
        if s:
            start = max(0.0, float(s.group(1)))
            continue
        e = _SIL_END_RE.search(line)
        if e and start is not None:
            out.append((start, float(e.group(1))))
            start = None
    if start is not None:
        out.append((start, end))
    return out


def measure_file_whole(path: Path, rate: Fraction, *, skip_s: float = 0.0) -> FileMeasurements:
    """QC's measurement in one whole-file decode (what `measure_file` did before ranges): the
    reference the ranged measurement is held to (`benchmarks/qc.py`, the tests)."""
    if not path.is_file():
        raise MediaError("file not found", path=path)
    values, duration = probe_fields(path)
    measured_rate = parse_rate(str(values.get("video.rate") or "0")) or rate
    values.update(packet_fields(path, measured_rate))
    tracks = int(values.get("audio.tracks") or 0)
    mono_pair = tracks if tracks >= 2 and values.get("audio.channels") == tracks else 0
    decoded = decode_fields(path, skip_s=skip_s, has_audio="audio.codec" in values, duration_s=duration,
                            mono_tracks=mono_pair)
    decoded.values.update(values)
    return decoded


def uncertain_words(entry: SubtitlesLanguage | None, cues: Sequence[Cue], rate: Fraction) -> dict[str, Any] | None:
    """`subtitles.uncertain_words`: how many uncertain recognised words the subtitles record lists in
    cues still in force as the subtitles stage made them (`SubtitlesLanguage.uncertain_in`: a cue a
    person has edited since counts as reviewed), in how many cues, the first one's programme
    timecode at `rate`, and the cues' spans in programme seconds. None without a record of the
    language; {"recorded": False} for a record written before uncertain words were recorded."""
    if entry is None:
        return None
    if entry.uncertain_words is None:
        return {"recorded": False}
    left = entry.uncertain_in(cues)
    words = [w for cue in left for w in cue.words]
    first = min((w.at_ms for w in words), default=None)
    return {"recorded": True, "words": len(words), "cues": len(left),
            "first_ms": first, "first_tc": ms_to_timecode(first, rate) if first is not None else None,
            "spans_s": [[cue.start_ms / 1000, cue.end_ms / 1000] for cue in left]}


def poster_frames(path: Path, out_dir: Path, duration_s: float | None, stem: str, count: int = 3,
                  start_s: float = 0.0) -> list[Path]:
    """JPEG stills at 20 %, 50 % and 80 % of the programme (after the leader), 480 px wide."""
    out: list[Path] = []
    if not duration_s or duration_s <= start_s:
        return out
    out_dir.mkdir(parents=True, exist_ok=True)
    span = duration_s - start_s
    for n in range(count):
        at = start_s + span * (n + 1) / (count + 1)
        target = out_dir / f"{stem}_poster{n + 1}.jpg"
        run_ffmpeg(["-ss", f"{at:.3f}", "-i", safe_input(path), "-frames:v", "1", "-vf", "scale=480:-2",
                    "-q:v", "4", "file:" + str(target)], subject=path)
        if target.exists():
            out.append(target)
    return out


def _escape(path: Path) -> str:
    """A path inside a filtergraph option: escape what the graph parser treats specially."""
    return str(path).replace("\\", "\\\\\\\\").replace(":", "\\\\:").replace("'", "\\\\'").replace(",", "\\,")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
