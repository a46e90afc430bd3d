"""A small, correct HLS web package made on the fly, for tests of anything that reads one.

The media segments come from ffmpeg's own HLS muxer (fMP4: an init segment and `.m4s` segments),
two video renditions and one audio rendition of a lavfi test picture and tone, key frames forced
every `SEGMENT_S` so every segment starts with an IDR. What ffmpeg does not write, the builder
writes as a packager does: Vietnamese and English WebVTT subtitle playlists whose segments carry
X-TIMESTAMP-MAP and repeat the cue that crosses a segment boundary, one I-frame playlist per video
rendition (byte ranges over the segments), and the master playlist with every attribute measured
from the files (BANDWIDTH, AVERAGE-BANDWIDTH as RFC 8216 §4.3.4.2 defines them, CODECS, RESOLUTION,
FRAME-RATE). `StreamPackage` says which line of which file holds what, so a test that breaks the
package on purpose knows the line a validator must name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.media.ffmpeg import run_ffmpeg

SECONDS = 6
SEGMENT_S = 2
RATE = 25
RENDITIONS = (("v0", "320x180", "300k"), ("v1", "160x90", "100k"))
AUDIO = "v2"

# (start, end, Vietnamese, English) in programme seconds; the second cue crosses the 2 s boundary.
CUES = (
    (0.2, 1.5, "Xin chào các bạn.", "Hello everyone."),
    (1.6, 2.8, "Đây là tỉnh Bến Tre.", "This is Bến Tre province."),
    (3.0, 3.9, "Cây dừa ở khắp nơi.", "Coconut palms are everywhere."),
    (4.2, 5.5, "Cảm ơn đã theo dõi.", "Thank you for watching."),
)


@dataclass
class StreamPackage:
    """Where things are in a package `build_package` wrote: its folder, and for each file a test may
    break, the lines that matter (1-based)."""

    folder: Path
    master_lines: dict[str, int] = field(default_factory=dict)  # "v0/index.m3u8", "subs-en", ... → line
    subtitle_segments: dict[str, list[str]] = field(default_factory=dict)  # "vi" → segment paths

    @property
    def master(self) -> Path:
        return self.folder / "master.m3u8"

    def line_of(self, relative: str, text: str) -> int:
        """The first line of the file holding `text` (1-based)."""
        for number, line in enumerate((self.folder / relative).read_text("utf-8").splitlines(), start=1):
            if text in line:
                return number
        raise AssertionError(f"{relative}: no line holds {text!r}")

    def replace(self, relative: str, old: str, new: str, count: int = 1) -> None:
        """Edit one file of the package (breaking it on purpose)."""
        path = self.folder / relative
        text = path.read_text("utf-8")
        assert old in text, f"{relative}: {old!r} not found"
        path.write_text(text.replace(old, new, count), "utf-8")


def _media(folder: Path) -> str:
    """ffmpeg's HLS muxer writes v0/, v1/ (video) and v2/ (audio); its own master playlist is read
    for the CODECS strings and removed."""
    split = ";".join([f"[0:v]split={len(RENDITIONS)}" + "".join(f"[s{i}]" for i in range(len(RENDITIONS)))] +
                     [f"[s{i}]scale={size}[o{i}]" for i, (_, size, _) in enumerate(RENDITIONS)])
    args = [
        "-f", "lavfi", "-i", f"testsrc2=size=320x180:rate={RATE}:duration={SECONDS}",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={SECONDS}",
        "-filter_complex", split,
    ]
    for index in range(len(RENDITIONS)):
        args += ["-map", f"[o{index}]"]
    args += ["-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
             "-g", str(RATE * SEGMENT_S), "-keyint_min", str(RATE * SEGMENT_S), "-sc_threshold", "0",
             "-force_key_frames", f"expr:gte(t,n_forced*{SEGMENT_S})"]
    for index, (_, _, rate) in enumerate(RENDITIONS):
        args += [f"-b:v:{index}", rate]
    stream_map = " ".join(f"v:{i},agroup:aud" for i in range(len(RENDITIONS))) + " a:0,agroup:aud"
    args += ["-c:a", "aac", "-b:a", "64k",
             "-f", "hls", "-hls_time", str(SEGMENT_S), "-hls_playlist_type", "vod",
             "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4",
             "-hls_segment_filename", str(folder / "v%v" / "seg%d.m4s"),
             "-master_pl_name", "ffmpeg-master.m3u8", "-var_stream_map", stream_map,
             str(folder / "v%v" / "index.m3u8")]
    run_ffmpeg(args)
    written = folder / "ffmpeg-master.m3u8"
    text = written.read_text("utf-8")
    written.unlink()
    return text


def _segments(playlist: Path) -> list[tuple[str, float]]:
    """(segment URI, EXTINF) of a media playlist."""
    out: list[tuple[str, float]] = []
    duration = 0.0
    for line in playlist.read_text("utf-8").splitlines():
        if line.startswith("#EXTINF:"):
            duration = float(line[8:].split(",", 1)[0])
        elif line and not line.startswith("#"):
            out.append((line, duration))
    return out


def _rates(playlist: Path, target: float, sizes: list[int] | None = None) -> tuple[int, int]:
    """(average, peak) segment bit rate in bit/s, as RFC 8216 §4.3.4.2 defines them."""
    segments = _segments(playlist)
    sizes = sizes or [(playlist.parent / uri).stat().st_size for uri, _ in segments]
    durations = [d for _, d in segments]
    average = sum(sizes) * 8 / sum(durations)
    peak = 0.0
    for first in range(len(sizes)):
        for last in range(first, len(sizes)):
            seconds = sum(durations[first:last + 1])
            if seconds > 1.5 * target:
                break
            if seconds >= 0.5 * target:
                peak = max(peak, sum(sizes[first:last + 1]) * 8 / seconds)
    return round(average), round(peak)


def _iframes(folder: Path, name: str) -> tuple[int, int]:
    """An I-frame playlist over `name`'s segments (each byte range a whole segment, which starts
    with its IDR); returns (average, peak) bit rate."""
    video = folder / name / "index.m3u8"
    init = next(line for line in video.read_text("utf-8").splitlines() if line.startswith("#EXT-X-MAP"))
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", f"#EXT-X-TARGETDURATION:{SEGMENT_S}", "#EXT-X-MEDIA-SEQUENCE:0",
             "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-I-FRAMES-ONLY", init]
    sizes = []
    for uri, duration in _segments(video):
        size = (folder / name / uri).stat().st_size
        sizes.append(size)
        lines += [f"#EXTINF:{duration:.6f},", f"#EXT-X-BYTERANGE:{size}@0", uri]
    lines.append("#EXT-X-ENDLIST")
    (folder / name / "iframes.m3u8").write_text("\n".join(lines) + "\n", "utf-8")
    return _rates(video, SEGMENT_S, sizes)


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    return f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d}.{millis % 1000:03d}"


def _subtitles(folder: Path, language: str, column: int) -> list[str]:
    """subs/<language>/segN.vtt and subs/<language>.m3u8: one segment per `SEGMENT_S`, each with
    X-TIMESTAMP-MAP and every cue shown during it (a cue across a boundary in both segments)."""
    (folder / "subs" / language).mkdir(parents=True, exist_ok=True)
    playlist = ["#EXTM3U", "#EXT-X-VERSION:7", f"#EXT-X-TARGETDURATION:{SEGMENT_S}", "#EXT-X-MEDIA-SEQUENCE:0",
                "#EXT-X-PLAYLIST-TYPE:VOD"]
    paths: list[str] = []
    for index in range(SECONDS // SEGMENT_S):
        start, end = index * SEGMENT_S, (index + 1) * SEGMENT_S
        body = ["WEBVTT", "X-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000", ""]
        for cue in CUES:
            if cue[0] < end and cue[1] > start:
                body += [f"{_timestamp(cue[0])} --> {_timestamp(cue[1])}", str(cue[column]), ""]
        relative = f"{language}/seg{index}.vtt"
        (folder / "subs" / relative).write_text("\n".join(body), "utf-8")
        paths.append(f"subs/{relative}")
        playlist += [f"#EXTINF:{SEGMENT_S:.6f},", relative]
    playlist.append("#EXT-X-ENDLIST")
    (folder / "subs" / f"{language}.m3u8").write_text("\n".join(playlist) + "\n", "utf-8")
    return paths


def build_package(folder: Path) -> StreamPackage:
    """Write a correct package into `folder` (made if missing); a few seconds of ffmpeg."""
    folder.mkdir(parents=True, exist_ok=True)
    ffmpeg_master = _media(folder)
    codecs = re.findall(r'CODECS="([^"]+)"', ffmpeg_master)
    package = StreamPackage(folder)
    package.subtitle_segments = {"vi": _subtitles(folder, "vi", 2), "en": _subtitles(folder, "en", 3)}
    audio = _rates(folder / AUDIO / "index.m3u8", SEGMENT_S)
    lines = [
        "#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS",
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="Tiếng Việt",LANGUAGE="vi",DEFAULT=YES,AUTOSELECT=YES,'
        f'URI="{AUDIO}/index.m3u8"',
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="Tiếng Việt",LANGUAGE="vi",DEFAULT=YES,AUTOSELECT=YES,'
        'URI="subs/vi.m3u8"',
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,'
        'URI="subs/en.m3u8"',
    ]
    package.master_lines.update({"audio": 4, "subs-vi": 5, "subs-en": 6})
    iframe_lines: list[str] = []
    for index, (name, size, _) in enumerate(RENDITIONS):
        average, peak = _rates(folder / name / "index.m3u8", SEGMENT_S)
        lines.append(f"#EXT-X-STREAM-INF:BANDWIDTH={peak + audio[1]},AVERAGE-BANDWIDTH={average + audio[0]},"
                     f'CODECS="{codecs[index]}",RESOLUTION={size},FRAME-RATE={RATE:.3f},AUDIO="aud",SUBTITLES="subs"')
        package.master_lines[f"{name}-inf"] = len(lines)
        lines.append(f"{name}/index.m3u8")
        package.master_lines[f"{name}/index.m3u8"] = len(lines)
        iframe_average, iframe_peak = _iframes(folder, name)
        video_codec = codecs[index].split(",")[0]
        iframe_lines.append(f"#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH={iframe_peak},AVERAGE-BANDWIDTH={iframe_average},"
                            f'CODECS="{video_codec}",RESOLUTION={size},URI="{name}/iframes.m3u8"')
    for line in iframe_lines:
        lines.append(line)
        package.master_lines[line.rsplit('URI="', 1)[1].rstrip('"')] = len(lines)
    (folder / "master.m3u8").write_text("\n".join(lines) + "\n", "utf-8")
    return package


def reencode_without_idr(package: StreamPackage, name: str) -> None:
    """Encode rendition `name` again with a key frame only at the start and segments cut by time,
    so every segment after the first starts on a frame that is not a key frame (a packager fed an
    encode with a long GOP). Its playlist, init segment and segment names stay as they were."""
    folder = package.folder / name
    playlist = (folder / "index.m3u8").read_text("utf-8")
    init = re.search(r'#EXT-X-MAP:URI="([^"]+)"', playlist)
    assert init is not None
    size = dict((n, s) for n, s, _ in RENDITIONS)[name]
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={RATE}:duration={SECONDS}",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", str(RATE * SECONDS),
                "-sc_threshold", "0", "-f", "hls", "-hls_time", str(SEGMENT_S), "-hls_flags", "split_by_time",
                "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", init.group(1),
                "-hls_segment_filename", str(folder / "seg%d.m4s"), str(folder / "index.m3u8")])
