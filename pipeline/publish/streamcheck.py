"""Our own validator of an HLS web package: RFC 8216 and Apple's HLS Authoring Specification as data.

Why our own: Apple's `mediastreamvalidator` runs only on a Mac with an Apple account, and the
package is made by a separate step (Shaka Packager) whose output we must be able to judge on the
machine that made it, offline, before anything is published. The validator reads only what is in
the folder, so it judges any packager's output: a master playlist at the top (`master.m3u8`),
variant and rendition media playlists of fMP4 segments (EXT-X-MAP init segment + `.m4s`), WebVTT
subtitle playlists, and I-frame playlists.

Every rule is a row of `RULES`: its id, where it comes from (the RFC 8216 section and/or the Apple
HLS Authoring Specification item), what a breach is (FAIL for a MUST, WARN for a SHOULD), a one-line
description and the function that checks it. A problem names the playlist, the line in it and the
rule (and, for one inside a segment, the segment file and its line), so an editor or the packager's
author can open the file at the line.

Measurements:
- bit rates follow RFC 8216 §4.3.4.2's definitions from segment sizes and EXTINF durations (the
  average segment bit rate of a playlist: all its media segment bytes over its duration; the peak:
  the highest rate of any run of contiguous segments lasting 0.5–1.5 target durations); a variant's
  measured rate adds the highest of each rendition group it uses, as BANDWIDTH is defined;
- IDR at every segment start: ffprobe decodes the first video frame of init + segment bytes written
  to a temporary file (`key_frame` as ffmpeg's H.264/HEVC decoders set it). A playlist with more than
  `PROBE_SAMPLE` segments has an evenly spread sample of them probed, first and last included; the
  report says so.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import WorkspaceError
from ..media.ffmpeg import ffprobe_output, safe_input
from ..qc.plan import CheckResult, Status, worst

MASTER_NAME = "master.m3u8"
PROBE_SAMPLE = 12
"""Most segments of one playlist decoded for the IDR check; above it an evenly spread sample."""
BITRATE_TOLERANCE = 0.10  # Apple 1.26 / 1.27: measured bit rates within 10 % of the declared ones
SAME_RANGE_TOLERANCE_S = 0.1
"""How far two VOD playlists' durations may differ and still "cover the same time" (Apple 8.7).
Ours: audio cannot end on a video frame boundary (an AAC frame is 21.3 ms at 48 kHz) and a packager
rounds EXTINF to the millisecond, so exact equality is never met; one AAC frame plus one 24 fps
frame, rounded up, still catches a rendition a second short."""
CUE_EPSILON_S = 0.001  # WebVTT times have millisecond resolution
MPEGTS_HZ = 90000


# --- what a check reports ------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """One breach of a rule: the playlist and line it is at, and, when it is inside a segment file
    (a WebVTT segment), that file and its line."""

    playlist: str
    line: int | None
    detail: str
    segment: str | None = None
    segment_line: int | None = None


@dataclass(frozen=True)
class Verdict:
    """What a rule's check found: its problems, and what it looked at (empty when nothing in the
    package was subject to the rule, which is reported as INFO)."""

    problems: tuple[Problem, ...] = ()
    checked: str = ""


@dataclass(frozen=True)
class RuleResult:
    """One line of the report: a rule, its status, where (playlist path relative to the package,
    1-based line) and why."""

    rule: str
    status: Status
    playlist: str
    line: int | None
    detail: str
    segment: str | None = None
    segment_line: int | None = None
    source: str = ""

    def where(self) -> str:
        """`playlist:line` (and `segment:line`), as an editor opens it."""
        text = self.playlist + (f":{self.line}" if self.line else "")
        if self.segment:
            text += f" ({self.segment}" + (f":{self.segment_line}" if self.segment_line else "") + ")"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "status": self.status.value, "playlist": self.playlist, "line": self.line,
                "segment": self.segment, "segment_line": self.segment_line, "detail": self.detail,
                "source": self.source}


@dataclass(frozen=True)
class StreamReport:
    """The verdict on one package: every rule's results, and what was only sampled."""

    folder: Path
    master: str
    results: tuple[RuleResult, ...]
    notes: tuple[str, ...] = ()

    @property
    def status(self) -> Status:
        return worst([r.status for r in self.results])

    @property
    def ok(self) -> bool:
        return self.status != Status.FAIL

    def failures(self) -> list[RuleResult]:
        return [r for r in self.results if r.status == Status.FAIL]

    def to_dict(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "master": self.master, "status": self.status.value, "ok": self.ok,
                "results": [r.to_dict() for r in self.results], "notes": list(self.notes),
                "rules": [{"id": r.id, "source": r.source, "severity": r.severity.value,
                           "description": r.description} for r in RULES]}

    def to_check_results(self) -> list[CheckResult]:
        """The report as QC verdicts (one per rule, the worst of its results), so `reportage qc` can
        show the web package beside the deliverables."""
        out: list[CheckResult] = []
        for rule in RULES:
            mine = [r for r in self.results if r.rule == rule.id]
            if not mine:
                continue
            status = worst([r.status for r in mine])
            bad = [r for r in mine if r.status in (Status.FAIL, Status.WARN)]
            detail = "; ".join(f"{r.where()}: {r.detail}" for r in bad[:3]) if bad else mine[0].detail
            if len(bad) > 3:
                detail += f"; and {len(bad) - 3} more"
            out.append(CheckResult(f"hls.{rule.id}", rule.description, status,
                                   f"{len(bad)} problem(s)" if bad else "ok", rule.source, detail))
        return out


# --- playlists -----------------------------------------------------------------------------------
_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^",]*)')


def parse_attributes(text: str) -> dict[str, str]:
    """An RFC 8216 §4.2 attribute list (`NAME=value,NAME="quoted, string"`); quotes removed."""
    out: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        value = match.group(2)
        out[match.group(1)] = value[1:-1] if value.startswith('"') else value
    return out


@dataclass(frozen=True)
class Tag:
    line: int
    name: str
    value: str

    @property
    def attributes(self) -> dict[str, str]:
        return parse_attributes(self.value)


@dataclass(frozen=True)
class Ref:
    """A URI one playlist points at, where it is written, and the file it names in the package
    (None when it points outside the folder)."""

    playlist: str
    line: int
    uri: str
    target: Path | None


@dataclass(frozen=True)
class Segment:
    ref: Ref
    extinf_line: int
    duration: float
    byterange: tuple[int, int] | None  # (length, offset)
    init: Ref | None


@dataclass
class Playlist:
    """A playlist as written: its text lines and tags, and for a media playlist its segments."""

    path: Path
    name: str  # relative to the package folder
    raw: bytes
    lines: list[str]
    tags: list[Tag] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    uris: list[Ref] = field(default_factory=list)  # every URI: URI lines and tags' URI attributes, in order
    uri_lines: list[Ref] = field(default_factory=list)  # only the URI lines (variants, segments)

    def tag(self, name: str) -> Tag | None:
        return next((t for t in self.tags if t.name == name), None)

    def all(self, name: str) -> list[Tag]:
        return [t for t in self.tags if t.name == name]

    @property
    def target_duration(self) -> int | None:
        tag = self.tag("EXT-X-TARGETDURATION")
        return int(tag.value) if tag is not None and tag.value.strip().isdigit() else None

    @property
    def duration(self) -> float:
        return sum(s.duration for s in self.segments)

    @property
    def iframes_only(self) -> bool:
        return self.tag("EXT-X-I-FRAMES-ONLY") is not None


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").lstrip("\ufeff")


def _resolve(folder: Path, playlist: Path, uri: str) -> Path | None:
    """The package file a URI names, or None for one outside the package (a URL, an absolute path
    or `..` leaving the folder): the package must hold everything it plays."""
    if "://" in uri or uri.startswith("/"):
        return None
    target = (playlist.parent / uri.split("?", 1)[0]).resolve()
    try:
        target.relative_to(folder.resolve())
    except ValueError:
        return None
    return target


def read_playlist(folder: Path, path: Path) -> Playlist:
    """Parse one playlist (master or media) without judging it; a media playlist's segments carry
    their EXTINF, byte range and init segment."""
    raw = path.read_bytes()
    text = _decode(raw)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    name = path.resolve().relative_to(folder.resolve()).as_posix()
    pl = Playlist(path, name, raw, lines)
    extinf: tuple[int, float] | None = None
    byterange: tuple[int, int] | None = None
    next_offset: dict[str, int] = {}
    init: Ref | None = None
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("#EXT"):
            name_, _, value = line[1:].partition(":")
            tag = Tag(number, name_, value)
            pl.tags.append(tag)
            if name_ == "EXTINF":
                try:
                    extinf = (number, float(value.split(",", 1)[0]))
                except ValueError:
                    extinf = (number, math.nan)
            elif name_ == "EXT-X-BYTERANGE":
                length, _, offset = value.partition("@")
                byterange = (int(length or 0), int(offset) if offset else -1)
            elif name_ == "EXT-X-MAP":
                uri = tag.attributes.get("URI", "")
                init = Ref(pl.name, number, uri, _resolve(folder, path, uri))
            elif name_ in ("EXT-X-MEDIA", "EXT-X-I-FRAME-STREAM-INF") and "URI" in tag.attributes:
                uri = tag.attributes["URI"]
                pl.uris.append(Ref(pl.name, number, uri, _resolve(folder, path, uri)))
            continue
        if line.startswith("#"):
            continue
        ref = Ref(pl.name, number, line, _resolve(folder, path, line))
        pl.uris.append(ref)
        pl.uri_lines.append(ref)
        if extinf is not None:
            if byterange is not None and byterange[1] < 0:
                byterange = (byterange[0], next_offset.get(line, 0))
            if byterange is not None:
                next_offset[line] = byterange[1] + byterange[0]
            pl.segments.append(Segment(ref, extinf[0], extinf[1], byterange, init))
        extinf, byterange = None, None
    return pl


# --- WebVTT segments ------------------------------------------------------------------------------
_CUE_TIME = re.compile(r"(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})")


def _vtt_seconds(text: str) -> float | None:
    match = _CUE_TIME.fullmatch(text.strip())
    if match is None:
        return None
    hours, minutes, seconds, millis = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


@dataclass(frozen=True)
class Cue:
    line: int
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class WebVTT:
    """A WebVTT segment: whether its header is right, its X-TIMESTAMP-MAP (LOCAL s, MPEGTS ticks)
    and its cues."""

    header_ok: bool
    timestamp_map: tuple[float, int] | None
    map_problem: str
    header_end: int  # last line of the header block
    cues: tuple[Cue, ...]


def read_webvtt(data: bytes) -> WebVTT:
    text = data.decode("utf-8", "replace").lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    first = lines[0] if lines else ""
    header_ok = first == "WEBVTT" or (first.startswith("WEBVTT") and first[6:7] in (" ", "\t"))
    number = 1
    timestamp_map: tuple[float, int] | None = None
    map_problem = "no X-TIMESTAMP-MAP in its header"
    while number < len(lines) and lines[number].strip():
        line = lines[number].strip()
        if line.startswith("X-TIMESTAMP-MAP="):
            fields = dict(part.split(":", 1) for part in line.split("=", 1)[1].split(",") if ":" in part)
            local = _vtt_seconds(fields.get("LOCAL", ""))
            mpegts = fields.get("MPEGTS", "")
            if local is None or not mpegts.isdigit():
                map_problem = f"X-TIMESTAMP-MAP on line {number + 1} lacks LOCAL:hh:mm:ss.ttt or MPEGTS:ticks"
            else:
                timestamp_map = (local, int(mpegts))
        number += 1
    header_end = number
    cues: list[Cue] = []
    while number < len(lines):
        if "-->" in lines[number]:
            start_text, _, rest = lines[number].partition("-->")
            start, end = _vtt_seconds(start_text), _vtt_seconds(rest.strip().split(" ", 1)[0])
            body: list[str] = []
            following = number + 1
            while following < len(lines) and lines[following].strip():
                body.append(lines[following].strip())
                following += 1
            if start is not None and end is not None:
                cues.append(Cue(number + 1, start, end, "\n".join(body)))
            number = following
        number += 1
    return WebVTT(header_ok, timestamp_map, map_problem, header_end, tuple(cues))


# --- the package ---------------------------------------------------------------------------------
@dataclass
class Package:
    """Everything the rules look at: the master, every media playlist it reaches (by path relative
    to the folder), the references that did not lead to a readable playlist, and probe results."""

    folder: Path
    master: Playlist
    media: dict[str, Playlist] = field(default_factory=dict)
    broken: list[tuple[Ref, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    probe_limit: int = PROBE_SAMPLE
    _vtt: dict[Path, WebVTT] = field(default_factory=dict)

    def variants(self) -> list[tuple[Tag, Ref]]:
        """Each EXT-X-STREAM-INF with the URI line under it."""
        out: list[tuple[Tag, Ref]] = []
        for tag in self.master.all("EXT-X-STREAM-INF"):
            ref = next((u for u in self.master.uri_lines if u.line > tag.line), None)
            if ref is not None:
                out.append((tag, ref))
        return out

    def renditions(self) -> list[Tag]:
        return self.master.all("EXT-X-MEDIA")

    def playlist(self, ref: Ref | None) -> Playlist | None:
        if ref is None or ref.target is None:
            return None
        return next((p for p in self.media.values() if p.path.resolve() == ref.target), None)

    def rendition_playlist(self, tag: Tag) -> Playlist | None:
        return self.playlist(next((u for u in self.master.uris if u.line == tag.line), None))

    def subtitle_playlists(self) -> list[Playlist]:
        found = [self.rendition_playlist(t) for t in self.renditions()
                 if t.attributes.get("TYPE") == "SUBTITLES"]
        return [p for p in found if p is not None]

    def iframe_playlists(self) -> list[Playlist]:
        return [p for p in self.media.values() if p.iframes_only]

    def webvtt(self, segment: Segment) -> WebVTT | None:
        path = segment.ref.target
        if path is None or not path.is_file():
            return None
        if path not in self._vtt:
            self._vtt[path] = read_webvtt(path.read_bytes())
        return self._vtt[path]


def _load(folder: Path, master_path: Path, probe_limit: int) -> Package:
    package = Package(folder, read_playlist(folder, master_path), probe_limit=probe_limit)
    for ref in package.master.uris:
        if ref.target is None:
            package.broken.append((ref, "points outside the package folder"))
        elif not ref.target.is_file():
            package.broken.append((ref, "file not found"))
        else:
            playlist = read_playlist(folder, ref.target)
            package.media.setdefault(playlist.name, playlist)
    for playlist in package.media.values():
        for segment in playlist.segments:
            for named in (segment.ref, segment.init):
                if named is None:
                    continue
                if named.target is None:
                    package.broken.append((named, "points outside the package folder"))
                elif not named.target.is_file():
                    package.broken.append((named, "file not found"))
    package.broken = list({(r.playlist, r.line): (r, why) for r, why in package.broken}.values())
    return package


# --- checks --------------------------------------------------------------------------------------
def _all_playlists(package: Package) -> list[Playlist]:
    return [package.master, *package.media.values()]


def check_encoding(package: Package) -> Verdict:
    """UTF-8 without BOM, no control characters but CR/LF (and tab, which attribute lists never
    hold but editors type), every line in NFC."""
    problems: list[Problem] = []
    for pl in _all_playlists(package):
        if pl.raw.startswith(b"\xef\xbb\xbf"):
            problems.append(Problem(pl.name, 1, "starts with a byte order mark; save it as UTF-8 without BOM"))
        try:
            text = pl.raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            at = pl.raw[:exc.start].count(b"\n") + 1
            problems.append(Problem(pl.name, at, f"not UTF-8 (byte 0x{pl.raw[exc.start]:02x}); write it as UTF-8"))
            continue
        for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
            bad = next((ch for ch in line if (ord(ch) < 0x20 and ch not in "\t\r") or 0x7F <= ord(ch) <= 0x9F), None)
            if bad is not None:
                problems.append(Problem(pl.name, number, f"control character U+{ord(bad):04X}"))
            elif not unicodedata.is_normalized("NFC", line):
                problems.append(Problem(pl.name, number, "text not in Unicode NFC (decomposed diacritics); "
                                                         "normalise names to NFC"))
    return Verdict(tuple(problems), f"{len(package.media) + 1} playlists")


def check_header(package: Package) -> Verdict:
    problems = [Problem(pl.name, 1, "first line is not #EXTM3U")
                for pl in _all_playlists(package) if not pl.lines or pl.lines[0].lstrip("\ufeff").strip() != "#EXTM3U"]
    return Verdict(tuple(problems), f"{len(package.media) + 1} playlists")


def check_references(package: Package) -> Verdict:
    problems = [Problem(ref.playlist, ref.line, f"{ref.uri}: {why}") for ref, why in package.broken]
    count = len(package.master.uris) + sum(len(p.segments) for p in package.media.values())
    return Verdict(tuple(problems), f"{count} URIs")


def check_version(package: Package) -> Verdict:
    """RFC 8216 §7: EXT-X-MAP in a playlist that is not I-frames-only needs version 6, byte ranges
    and I-frames-only need 4."""
    problems: list[Problem] = []
    for pl in package.media.values():
        tag = pl.tag("EXT-X-VERSION")
        version = int(tag.value) if tag is not None and tag.value.strip().isdigit() else 1
        need, why = 1, ""
        if pl.tag("EXT-X-BYTERANGE") is not None or pl.iframes_only:
            need, why = 4, "EXT-X-BYTERANGE / EXT-X-I-FRAMES-ONLY"
        if pl.tag("EXT-X-MAP") is not None and not pl.iframes_only:
            need, why = 6, "EXT-X-MAP"
        if version < need:
            problems.append(Problem(pl.name, tag.line if tag else 1,
                                    f"EXT-X-VERSION {version}, but {why} needs {need} or higher"))
    return Verdict(tuple(problems), f"{len(package.media)} media playlists")


def check_target_duration(package: Package) -> Verdict:
    problems: list[Problem] = []
    count = 0
    for pl in package.media.values():
        target = pl.target_duration
        if target is None:
            problems.append(Problem(pl.name, 1, "no EXT-X-TARGETDURATION"))
            continue
        for seg in pl.segments:
            count += 1
            if math.isnan(seg.duration) or round(seg.duration) > target:
                problems.append(Problem(pl.name, seg.extinf_line,
                                        f"{seg.ref.uri}: EXTINF {seg.duration:g} s rounds above "
                                        f"EXT-X-TARGETDURATION {target} s; cut segments at most {target} s long "
                                        "(or raise the target duration)"))
    return Verdict(tuple(problems), f"{count} segments")


def check_vod(package: Package) -> Verdict:
    problems: list[Problem] = []
    for pl in package.media.values():
        kind = pl.tag("EXT-X-PLAYLIST-TYPE")
        if kind is None or kind.value.strip() != "VOD":
            problems.append(Problem(pl.name, kind.line if kind else 1, "no EXT-X-PLAYLIST-TYPE:VOD"))
        if pl.tag("EXT-X-ENDLIST") is None:
            problems.append(Problem(pl.name, len(pl.lines), "no EXT-X-ENDLIST"))
    return Verdict(tuple(problems), f"{len(package.media)} media playlists")


def _is_fmp4(seg: Segment) -> bool:
    return seg.ref.uri.split("?", 1)[0].lower().endswith((".m4s", ".mp4", ".m4v", ".m4a", ".cmfv", ".cmfa"))


def check_init(package: Package) -> Verdict:
    problems: list[Problem] = []
    for pl in package.media.values():
        first = next((s for s in pl.segments if _is_fmp4(s) and s.init is None), None)
        if first is not None:
            problems.append(Problem(pl.name, first.extinf_line,
                                    f"{first.ref.uri}: fMP4 segment with no EXT-X-MAP init segment before it"))
    return Verdict(tuple(problems), f"{len(package.media)} media playlists")


def _sample(segments: Sequence[Segment], limit: int) -> list[Segment]:
    if len(segments) <= limit:
        return list(segments)
    step = (len(segments) - 1) / (limit - 1)
    return [segments[round(i * step)] for i in range(limit)]


def _segment_bytes(seg: Segment) -> bytes:
    assert seg.ref.target is not None
    with seg.ref.target.open("rb") as fh:
        if seg.byterange is None:
            return fh.read()
        fh.seek(seg.byterange[1])
        return fh.read(seg.byterange[0])


def _first_frame(seg: Segment, scratch: Path) -> tuple[str, str]:
    """('audio', '') for a segment without video, ('video', '') when its first frame is a key frame,
    ('video', what it starts with instead), or ('error', what): ffprobe reads init + segment."""
    probe = scratch / "probe.mp4"
    with probe.open("wb") as fh:
        if seg.init is not None and seg.init.target is not None and seg.init.target.is_file():
            fh.write(seg.init.target.read_bytes())
        fh.write(_segment_bytes(seg))
    out = ffprobe_output(["-select_streams", "v:0", "-read_intervals", "%+#1",
                          "-show_entries", "stream=codec_type:packet=flags:frame=key_frame,pict_type",
                          "-of", "json", safe_input(probe)])
    if out is None:
        return "error", "ffprobe cannot read the init segment + this segment"
    data = json.loads(out.decode("utf-8", "replace") or "{}")
    if not data.get("streams"):
        return "audio", ""
    # Asked for both, ffprobe's JSON lists packets and frames together, each with its "type".
    both = data.get("packets_and_frames") or []
    frames = [x for x in both if x.get("type") == "frame"] or data.get("frames") or []
    packets = [x for x in both if x.get("type") == "packet"] or data.get("packets") or []
    if frames and frames[0].get("key_frame") == 1:
        return "video", ""
    if frames:
        return "video", f"a {frames[0].get('pict_type', '?')} frame"
    if packets and "K" not in str(packets[0].get("flags", "")):
        return "video", "a frame that is not a key frame (it cannot be decoded alone)"
    return "video", "no frame that decodes alone"


def check_idr(package: Package) -> Verdict:
    problems: list[Problem] = []
    probed = 0
    with tempfile.TemporaryDirectory(prefix="streamcheck-") as tmp:
        scratch = Path(tmp)
        for pl in package.media.values():
            present = [s for s in pl.segments if _is_fmp4(s) and s.ref.target is not None and s.ref.target.is_file()]
            if not present:
                continue
            chosen = _sample(present, package.probe_limit)
            for seg in chosen:
                kind, what = _first_frame(seg, scratch)
                probed += 1
                if kind == "audio":
                    break  # an audio rendition: no pictures to start with an IDR
                if seg is chosen[0] and len(chosen) < len(present):
                    package.notes.append(f"{pl.name}: IDR check probed {len(chosen)} of {len(present)} segments "
                                         "(evenly spread, first and last included)")
                if kind == "error":
                    problems.append(Problem(pl.name, seg.ref.line, f"{seg.ref.uri}: {what}"))
                elif what:
                    problems.append(Problem(pl.name, seg.ref.line,
                                            f"{seg.ref.uri}: starts with {what}, not an IDR; encode with a "
                                            "key frame forced at every segment start (closed GOP)"))
    return Verdict(tuple(problems), f"{probed} segments probed" if probed else "")


def check_same_time(package: Package) -> Verdict:
    vod = [p for p in package.media.values() if p.segments]
    if len(vod) < 2:
        return Verdict((), "")
    reference = package.playlist(package.variants()[0][1]) if package.variants() else None
    reference = reference if reference is not None and reference.segments else vod[0]
    problems: list[Problem] = []
    for pl in vod:
        gap = pl.duration - reference.duration
        if abs(gap) > SAME_RANGE_TOLERANCE_S:
            problems.append(Problem(pl.name, pl.segments[-1].extinf_line,
                                    f"covers {pl.duration:.3f} s, {reference.name} {reference.duration:.3f} s "
                                    f"({gap:+.3f} s); every rendition must run the programme's whole length"))
    return Verdict(tuple(problems), f"{len(vod)} playlists against {reference.name} ({reference.duration:.3f} s)")


_VIDEO_CODECS = ("avc1", "avc3", "hvc1", "hev1", "dvh1", "dvhe", "vp09", "av01")


def _has_video(attributes: dict[str, str]) -> bool:
    codecs = attributes.get("CODECS")
    if codecs is None:
        return True  # unknown: hold it to the video attributes too
    return any(c.strip().startswith(_VIDEO_CODECS) for c in codecs.split(","))


def check_variant_attributes(package: Package) -> Verdict:
    problems: list[Problem] = []
    for tag, _ in package.variants():
        attrs = tag.attributes
        need = ["BANDWIDTH", "AVERAGE-BANDWIDTH", "CODECS"]
        if _has_video(attrs):
            need += ["RESOLUTION", "FRAME-RATE"]
        missing = [a for a in need if not attrs.get(a)]
        if missing:
            problems.append(Problem(package.master.name, tag.line,
                                    f"EXT-X-STREAM-INF without {', '.join(missing)}"))
    return Verdict(tuple(problems), f"{len(package.variants())} variants")


def check_iframe_attributes(package: Package) -> Verdict:
    tags = package.master.all("EXT-X-I-FRAME-STREAM-INF")
    problems = [Problem(package.master.name, t.line, f"EXT-X-I-FRAME-STREAM-INF without {', '.join(missing)}")
                for t in tags
                if (missing := [a for a in ("BANDWIDTH", "CODECS", "RESOLUTION", "URI") if not t.attributes.get(a)])]
    return Verdict(tuple(problems), f"{len(tags)} I-frame playlists" if tags else "")


def _groups(package: Package) -> dict[tuple[str, str], list[Tag]]:
    groups: dict[tuple[str, str], list[Tag]] = {}
    for tag in package.renditions():
        attrs = tag.attributes
        groups.setdefault((attrs.get("TYPE", ""), attrs.get("GROUP-ID", "")), []).append(tag)
    return groups


def check_group_default(package: Package) -> Verdict:
    problems: list[Problem] = []
    groups = _groups(package)
    for (kind, group), tags in groups.items():
        defaults = [t for t in tags if t.attributes.get("DEFAULT") == "YES"]
        for extra in defaults[1:]:
            problems.append(Problem(package.master.name, extra.line,
                                    f"{kind} group {group!r}: a second DEFAULT=YES (the first is on line "
                                    f"{defaults[0].line}); keep one default per group"))
    return Verdict(tuple(problems), f"{len(groups)} rendition groups" if groups else "")


def check_group_names(package: Package) -> Verdict:
    problems: list[Problem] = []
    groups = _groups(package)
    for (kind, group), tags in groups.items():
        seen: dict[str, int] = {}
        for tag in tags:
            name = tag.attributes.get("NAME", "")
            if not name:
                problems.append(Problem(package.master.name, tag.line, f"{kind} group {group!r}: no NAME"))
            elif name in seen:
                problems.append(Problem(package.master.name, tag.line,
                                        f"{kind} group {group!r}: NAME {name!r} already on line {seen[name]}"))
            else:
                seen[name] = tag.line
    return Verdict(tuple(problems), f"{len(groups)} rendition groups" if groups else "")


def check_language(package: Package) -> Verdict:
    tags = [t for t in package.renditions() if t.attributes.get("TYPE") != "VIDEO"]
    problems = [Problem(package.master.name, t.line,
                        f"{t.attributes.get('TYPE', '?')} rendition {t.attributes.get('NAME', '')!r} has no LANGUAGE "
                        "(an RFC 5646 tag: vi, en)")
                for t in tags if not t.attributes.get("LANGUAGE")]
    return Verdict(tuple(problems), f"{len(tags)} renditions" if tags else "")


def check_group_references(package: Package) -> Verdict:
    groups = _groups(package)
    problems: list[Problem] = []
    for tag, _ in package.variants():
        for attribute in ("AUDIO", "VIDEO", "SUBTITLES"):
            group = tag.attributes.get(attribute)
            if group and (attribute, group) not in groups:
                problems.append(Problem(package.master.name, tag.line,
                                        f"{attribute}={group!r} names no EXT-X-MEDIA group of TYPE={attribute}"))
    return Verdict(tuple(problems), f"{len(package.variants())} variants")


def _relative(package: Package, path: Path | None) -> str | None:
    return path.relative_to(package.folder.resolve()).as_posix() if path is not None else None


def _subtitle_segments(package: Package) -> Iterator[tuple[Playlist, Segment, WebVTT]]:
    for pl in package.subtitle_playlists():
        for seg in pl.segments:
            vtt = package.webvtt(seg)
            if vtt is not None:
                yield pl, seg, vtt


def check_webvtt_header(package: Package) -> Verdict:
    found = list(_subtitle_segments(package))
    problems = [Problem(pl.name, seg.ref.line, f"{seg.ref.uri}: does not start with the line WEBVTT",
                        _relative(package, seg.ref.target), 1)
                for pl, seg, vtt in found if not vtt.header_ok]
    return Verdict(tuple(problems), f"{len(found)} WebVTT segments" if found else "")


def check_timestamp_map(package: Package) -> Verdict:
    found = list(_subtitle_segments(package))
    problems = [Problem(pl.name, seg.ref.line, f"{seg.ref.uri}: {vtt.map_problem}",
                        _relative(package, seg.ref.target), vtt.header_end)
                for pl, seg, vtt in found if vtt.timestamp_map is None]
    return Verdict(tuple(problems), f"{len(found)} WebVTT segments" if found else "")


def check_boundary_cues(package: Package) -> Verdict:
    """RFC 8216 §3.5: each WebVTT segment holds every cue shown during its EXTINF period, so a cue
    across a segment boundary is in both. Cue times are put on the playlist's timeline through each
    segment's X-TIMESTAMP-MAP relative to the first segment's (a packager's constant MPEG-TS offset
    cancels out), the first segment's cue time 0 being the playlist's start."""
    problems: list[Problem] = []
    checked = 0
    for pl in package.subtitle_playlists():
        spans: list[tuple[Segment, float, float, list[tuple[float, float, str, int]]]] = []
        base: tuple[float, int] | None = None
        start = 0.0
        for seg in pl.segments:
            vtt = package.webvtt(seg)
            if vtt is None:
                start += seg.duration
                continue
            local, mpegts = vtt.timestamp_map or (0.0, 0)
            base = base or (local, mpegts)
            shift = -local + (mpegts - base[1]) / MPEGTS_HZ + base[0]
            cues = [(c.start + shift, c.end + shift, c.text, c.line) for c in vtt.cues]
            spans.append((seg, start, start + seg.duration, cues))
            start += seg.duration
        checked += len(spans)
        for seg, _, _, cues in spans:
            for cue_start, cue_end, text, line in cues:
                for other, seg_start, seg_end, other_cues in spans:
                    if other is seg or cue_end <= seg_start + CUE_EPSILON_S or cue_start >= seg_end - CUE_EPSILON_S:
                        continue
                    if any(abs(a - cue_start) <= CUE_EPSILON_S and abs(b - cue_end) <= CUE_EPSILON_S and t == text
                           for a, b, t, _ in other_cues):
                        continue
                    problems.append(Problem(
                        pl.name, other.ref.line,
                        f"cue {cue_start:.3f}–{cue_end:.3f} s {text[:40]!r} ({seg.ref.uri} line {line}) is shown "
                        f"during {other.ref.uri} ({seg_start:.3f}–{seg_end:.3f} s), which does not repeat it",
                        _relative(package, other.ref.target)))
    unique = list({(p.playlist, p.line, p.detail): p for p in problems}.values())
    return Verdict(tuple(unique), f"{checked} WebVTT segments" if checked else "")


def _rates(pl: Playlist) -> tuple[float, float] | None:
    """(average, peak) segment bit rate in bit/s by RFC 8216 §4.3.4.2, or None when a segment is missing."""
    sizes: list[int] = []
    for seg in pl.segments:
        if seg.ref.target is None or not seg.ref.target.is_file():
            return None
        sizes.append(seg.byterange[0] if seg.byterange else seg.ref.target.stat().st_size)
    durations = [s.duration for s in pl.segments]
    total = sum(durations)
    if not sizes or total <= 0:
        return None
    average = sum(sizes) * 8 / total
    if pl.iframes_only:
        # each I-frame is a segment whose EXTINF runs to the next one: a player scrubbing fetches
        # them one at a time, so the declared peak is the largest single I-frame's rate (what Shaka
        # Packager and Apple's tools declare; a window would average a large I-frame away)
        return average, max(size * 8 / d for size, d in zip(sizes, durations, strict=True) if d > 0)
    target = pl.target_duration or max(durations)
    peak = 0.0
    for first in range(len(sizes)):
        bits, seconds = 0, 0.0
        for index in range(first, len(sizes)):
            bits += sizes[index] * 8
            seconds += durations[index]
            if seconds > 1.5 * target:
                break
            if seconds >= 0.5 * target:
                peak = max(peak, bits / seconds)
    return average, peak or average


def _variant_rates(package: Package, tag: Tag, ref: Ref) -> tuple[float, float] | None:
    own = package.playlist(ref)
    rates = _rates(own) if own is not None else None
    if rates is None:
        return None
    average, peak = rates
    groups = _groups(package)
    for attribute in ("AUDIO", "VIDEO", "SUBTITLES"):
        group = tag.attributes.get(attribute)
        members = [package.rendition_playlist(t) for t in groups.get((attribute, group or ""), [])] if group else []
        measured = [r for p in members if p is not None and (r := _rates(p)) is not None]
        if measured:
            average += max(r[0] for r in measured)
            peak += max(r[1] for r in measured)
    return average, peak


def _within(measured: float, declared: float) -> bool:
    return abs(measured - declared) <= BITRATE_TOLERANCE * declared


def _bitrate_verdict(package: Package, entries: Sequence[tuple[Tag, Ref, tuple[float, float] | None]],
                     attribute: str, which: int, what: str, counted: str) -> Verdict:
    """Each entry's measured rate (`which`: 0 average, 1 peak) against its declared `attribute`."""
    problems: list[Problem] = []
    count = 0
    for tag, ref, rates in entries:
        declared = tag.attributes.get(attribute, "")
        if not declared.isdigit() or rates is None:
            continue
        count += 1
        if not _within(rates[which], int(declared)):
            problems.append(Problem(package.master.name, tag.line,
                                    f"{ref.uri}: measured {what} {rates[which] / 1000:.0f} kb/s, {attribute} "
                                    f"{int(declared) / 1000:.0f} kb/s (±{BITRATE_TOLERANCE:.0%} allowed); "
                                    "declare what was encoded"))
    return Verdict(tuple(problems), f"{count} {counted} measured" if count else "")


def check_average_bitrate(package: Package) -> Verdict:
    entries = [(tag, ref, _variant_rates(package, tag, ref)) for tag, ref in package.variants()]
    return _bitrate_verdict(package, entries, "AVERAGE-BANDWIDTH", 0, "average", "variants")


def check_peak_bitrate(package: Package) -> Verdict:
    entries: list[tuple[Tag, Ref, tuple[float, float] | None]] = [
        (tag, ref, _variant_rates(package, tag, ref)) for tag, ref in package.variants()]
    for tag in package.master.all("EXT-X-I-FRAME-STREAM-INF"):
        ref = next((u for u in package.master.uris if u.line == tag.line), None)
        pl = package.playlist(ref)
        if ref is not None:
            entries.append((tag, ref, _rates(pl) if pl is not None else None))
    return _bitrate_verdict(package, entries, "BANDWIDTH", 1, "peak", "streams")


def measured_bandwidths(folder: Path) -> dict[int, tuple[int, int]]:
    """What the master of the package in `folder` should declare, by the line of each
    EXT-X-STREAM-INF and EXT-X-I-FRAME-STREAM-INF: (AVERAGE-BANDWIDTH, BANDWIDTH) in bit/s, measured
    from the segments exactly as the bit-rate rules measure them (RFC 8216 §4.3.4.2: a variant's peak
    is the sum of its renditions' peak segment bit rates), rounded up. Entries whose segments cannot
    be measured are left out."""
    package = _load(folder, find_master(folder), PROBE_SAMPLE)
    out: dict[int, tuple[int, int]] = {}
    for tag, ref in package.variants():
        rates = _variant_rates(package, tag, ref)
        if rates is not None:
            out[tag.line] = (math.ceil(rates[0]), math.ceil(rates[1]))
    for tag in package.master.all("EXT-X-I-FRAME-STREAM-INF"):
        pl = package.playlist(next((u for u in package.master.uris if u.line == tag.line), None))
        rates = _rates(pl) if pl is not None else None
        if rates is not None:
            out[tag.line] = (math.ceil(rates[0]), math.ceil(rates[1]))
    return out


def check_variant_count(package: Package) -> Verdict:
    video = [t for t, _ in package.variants() if _has_video(t.attributes)]
    rates = {t.attributes.get("BANDWIDTH") for t in video}
    if len(rates) >= 2:
        return Verdict((), f"{len(rates)} video bit rates")
    line = video[0].line if video else 1
    return Verdict((Problem(package.master.name, line,
                            f"{len(rates)} video variant bit rate(s); provide at least two variants"),), "variants")


def check_iframe_present(package: Package) -> Verdict:
    tags = package.master.all("EXT-X-I-FRAME-STREAM-INF")
    if tags:
        return Verdict((), f"{len(tags)} I-frame playlists")
    return Verdict((Problem(package.master.name, 1, "no EXT-X-I-FRAME-STREAM-INF; have the packager write "
                                                    "I-frame playlists for scrubbing"),), "master")


def check_iframes_only(package: Package) -> Verdict:
    refs = [u for t in package.master.all("EXT-X-I-FRAME-STREAM-INF") for u in package.master.uris if u.line == t.line]
    problems = [Problem(pl.name, 1, "I-frame playlist without EXT-X-I-FRAMES-ONLY")
                for ref in refs if (pl := package.playlist(ref)) is not None and not pl.iframes_only]
    return Verdict(tuple(problems), f"{len(refs)} I-frame playlists" if refs else "")


def check_independent(package: Package) -> Verdict:
    if package.master.tag("EXT-X-INDEPENDENT-SEGMENTS") is not None:
        return Verdict((), "master")
    return Verdict((Problem(package.master.name, 1, "no EXT-X-INDEPENDENT-SEGMENTS although segments are to start "
                                                    "with an IDR"),), "master")


# --- the rules, as data --------------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """One rule: id, where it is written, what a breach is (FAIL: a MUST; WARN: a SHOULD), what it
    asks, and its check."""

    id: str
    source: str
    severity: Status
    description: str
    check: Callable[[Package], Verdict]


RULES: tuple[Rule, ...] = (
    Rule("playlist-header", "RFC 8216 §4.3.1.1", Status.FAIL, "Every playlist starts with #EXTM3U", check_header),
    Rule("playlist-utf8", "RFC 8216 §4.1", Status.FAIL,
         "Playlists are UTF-8 without BOM or control characters, text in NFC", check_encoding),
    Rule("uri-resolves", "RFC 8216 §4.3.4.2, §4.3.2.5", Status.FAIL,
         "Every playlist, init segment and segment named is in the package", check_references),
    Rule("protocol-version", "RFC 8216 §7", Status.FAIL,
         "EXT-X-VERSION is high enough for the tags used", check_version),
    Rule("extinf-target", "RFC 8216 §4.3.3.1; Apple 7.7", Status.FAIL,
         "Every EXTINF, rounded, is at most EXT-X-TARGETDURATION", check_target_duration),
    Rule("vod-playlist", "RFC 8216 §4.3.3.4, §4.3.3.5; Apple 8.6", Status.FAIL,
         "Media playlists are EXT-X-PLAYLIST-TYPE:VOD and end with EXT-X-ENDLIST", check_vod),
    Rule("fmp4-init", "RFC 8216 §3.3, §4.3.2.5; Apple 8.20", Status.FAIL,
         "fMP4 segments have an EXT-X-MAP init segment", check_init),
    Rule("idr-start", "RFC 8216 §4.3.5.1; Apple 7.4", Status.FAIL,
         "Every video segment starts with an IDR frame", check_idr),
    Rule("same-time", "Apple 8.3, 8.7, 5.5", Status.FAIL,
         "Every VOD media playlist covers the same time", check_same_time),
    Rule("variant-attributes", "RFC 8216 §4.3.4.2; Apple 9.1, 9.2, 9.14, 9.15", Status.FAIL,
         "Variants declare BANDWIDTH, AVERAGE-BANDWIDTH, CODECS, and for video RESOLUTION and FRAME-RATE",
         check_variant_attributes),
    Rule("iframe-attributes", "RFC 8216 §4.3.4.3; Apple 9.3, 9.4", Status.FAIL,
         "I-frame playlists declare BANDWIDTH, CODECS, RESOLUTION and URI", check_iframe_attributes),
    Rule("group-references", "RFC 8216 §4.3.4.2", Status.FAIL,
         "A variant's AUDIO/VIDEO/SUBTITLES names an EXT-X-MEDIA group of that type", check_group_references),
    Rule("group-default", "RFC 8216 §4.3.4.1.1", Status.FAIL,
         "A rendition group has at most one DEFAULT=YES", check_group_default),
    Rule("group-names", "RFC 8216 §4.3.4.1.1", Status.FAIL,
         "Renditions in a group have distinct NAMEs", check_group_names),
    Rule("rendition-language", "Apple 8.10, 4.7; RFC 8216 §4.3.4.1", Status.FAIL,
         "Every audio and subtitle rendition has a LANGUAGE", check_language),
    Rule("webvtt-header", "RFC 8216 §3.5", Status.FAIL,
         "Every subtitle segment is WebVTT, starting with the WEBVTT line", check_webvtt_header),
    Rule("webvtt-timestamp-map", "RFC 8216 §3.5; Apple 5.3", Status.FAIL,
         "Every subtitle segment's header has an X-TIMESTAMP-MAP", check_timestamp_map),
    Rule("webvtt-boundary-cues", "RFC 8216 §3.5", Status.FAIL,
         "A cue across a segment boundary is repeated in every segment it is shown in", check_boundary_cues),
    Rule("bitrate-average", "Apple 1.26; RFC 8216 §4.3.4.2", Status.FAIL,
         "Measured average segment bit rate within 10 % of AVERAGE-BANDWIDTH", check_average_bitrate),
    Rule("bitrate-peak", "Apple 1.27; RFC 8216 §4.3.4.2", Status.FAIL,
         "Measured peak segment bit rate within 10 % of BANDWIDTH", check_peak_bitrate),
    Rule("variant-count", "Apple 9.9", Status.FAIL, "At least two video variants (bit rates)", check_variant_count),
    Rule("iframe-playlists", "Apple 6.1", Status.FAIL, "I-frame playlists are provided", check_iframe_present),
    Rule("iframes-only-tag", "Apple 6.8; RFC 8216 §4.3.3.6", Status.FAIL,
         "I-frame playlists carry EXT-X-I-FRAMES-ONLY", check_iframes_only),
    Rule("independent-segments", "Apple 9.11; RFC 8216 §4.3.5.1", Status.WARN,
         "The master declares EXT-X-INDEPENDENT-SEGMENTS", check_independent),
)
RULE_IDS: tuple[str, ...] = tuple(r.id for r in RULES)


def _judge(rule: Rule, package: Package) -> list[RuleResult]:
    verdict = rule.check(package)
    if verdict.problems:
        return [RuleResult(rule.id, rule.severity, p.playlist, p.line, p.detail, p.segment, p.segment_line,
                           rule.source) for p in verdict.problems]
    if not verdict.checked:
        return [RuleResult(rule.id, Status.INFO, package.master.name, None, "nothing in the package to check",
                           source=rule.source)]
    return [RuleResult(rule.id, Status.PASS, package.master.name, None, verdict.checked, source=rule.source)]


def find_master(folder: Path) -> Path:
    """`master.m3u8` at the top of the folder, else the one top-level playlist with variants in it."""
    if not folder.is_dir():
        raise WorkspaceError("not a folder", path=folder, hint="give the folder holding master.m3u8")
    path = folder / MASTER_NAME
    if path.is_file():
        return path
    masters = [p for p in sorted(folder.glob("*.m3u8"))
               if "#EXT-X-STREAM-INF" in p.read_text("utf-8", "replace")]
    if len(masters) == 1:
        return masters[0]
    found = ", ".join(p.name for p in masters) if masters else "none"
    raise WorkspaceError(f"no {MASTER_NAME} at the top of the package (master playlists found: {found})",
                         path=folder, hint="give the folder the packager wrote, with master.m3u8 at its top")


def verify_stream(folder: Path, *, probe_limit: int = PROBE_SAMPLE,
                  rules: Iterable[Rule] = RULES) -> StreamReport:
    """Judge the HLS package in `folder` by every rule; a FAIL anywhere makes `report.ok` False."""
    folder = Path(folder)
    package = _load(folder, find_master(folder), probe_limit)
    results: list[RuleResult] = []
    for rule in rules:
        results.extend(_judge(rule, package))
    return StreamReport(folder, package.master.name, tuple(results), tuple(package.notes))
