"""Which ingested clip an edit's event uses: by source file name, by reel/tape name, by source timecode.

An NLE knows footage by the file it linked (FCP7 XML, FCPXML, OTIO), by reel name (an EDL, often cut
to 8 characters and upper-cased) or only by timecode. Each way is tried in that order; the first that
names exactly one ingested clip wins. An event that matches nothing, or more than one clip, gets a
message naming what was tried.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..fsutil import nfc
from ..records.ingest import ingest_record_path, read_ingest_record
from ..records.probe import probe_path, read_probe
from ..text import ascii_fold
from ..timecode import Timecode
from ..workspace import Workspace
from .edit import EditEvent


@dataclass(frozen=True)
class FootageClip:
    """An ingested clip as the matcher sees it."""

    clip_id: str
    source: Path
    working_copy: str
    """As the ingest record names it (relative to the programme folder when inside it), copied into
    the timeline as it is."""
    rate: Fraction
    start_s: Fraction
    """The source's own timecode at its first frame (0 without a timecode track), in seconds."""
    duration_ms: int
    has_video: bool
    has_audio: bool
    reel: str | None = None

    @property
    def end_s(self) -> Fraction:
        return self.start_s + Fraction(self.duration_ms, 1000)


def footage_from_workspace(ws: Workspace, clip_ids: list[str]) -> list[FootageClip]:
    """The ingested clips among `clip_ids` (those ingest has not recorded are left out)."""
    clips: list[FootageClip] = []
    for clip_id in clip_ids:
        if not ingest_record_path(ws, clip_id).is_file() or not probe_path(ws, clip_id).is_file():
            continue
        record = read_ingest_record(ws, clip_id)
        info = read_probe(ws, clip_id)
        rate = info.rate if info.video else record.rate
        start = Fraction(0)
        if info.timecode:
            try:
                start = Timecode.parse(info.timecode, rate).seconds
            except ValueError:
                start = Fraction(0)
        reel = info.tags.get("reel_name") or info.tags.get("reel") or None
        clips.append(FootageClip(clip_id, record.source_path(ws), record.working_copy, rate, start,
                                 record.duration_ms, info.video is not None, record.has_audio, reel))
    return clips


def _key(text: str) -> str:
    return nfc(text).strip().casefold()


def reel_key(text: str) -> str:
    """A reel name as EDLs mangle it: ASCII, upper-case, letters and digits only, 8 characters."""
    return re.sub(r"[^A-Z0-9]", "", ascii_fold(text).upper())[:8]


@dataclass(frozen=True)
class Match:
    clip: FootageClip | None
    tried: tuple[str, ...]
    ambiguous: tuple[str, ...] = ()


def match_event(event: EditEvent, footage: list[FootageClip], length_s: Fraction) -> Match:
    """The ingested clip `event` uses, and what was tried (for the message when none fits)."""
    src = event.source
    tried: list[str] = []
    names = [n for n in (src.file_name, src.name) if n]
    if names:
        wanted = {_key(n) for n in names}
        hits = [c for c in footage if _key(c.source.name) in wanted]
        if not hits:
            hits = [c for c in footage if {_key(c.source.stem), _key(c.clip_id)} & {_key(Path(n).stem) for n in names}]
        if not hits:  # an EDL's clip names are ASCII-folded
            folded = {_key(ascii_fold(n)) for n in names}
            hits = [c for c in footage if _key(ascii_fold(c.source.name)) in folded]
        if len(hits) == 1:
            return Match(hits[0], ())
        tried.append(f"file name {' / '.join(dict.fromkeys(names))}: "
                     + ("no such file" if not hits else "several: " + ", ".join(c.clip_id for c in hits)))
        if len(hits) > 1:
            return Match(None, tuple(tried), tuple(c.clip_id for c in hits))
    if src.reel:
        key = reel_key(src.reel)
        hits = [c for c in footage if key and key in {reel_key(c.clip_id), reel_key(c.source.stem),
                                                      reel_key(c.reel or "")}]
        if len(hits) == 1:
            return Match(hits[0], ())
        tried.append(f"reel {src.reel}: " + ("none" if not hits else "several: " + ", ".join(c.clip_id for c in hits)))
        if len(hits) > 1:
            return Match(None, tuple(tried), tuple(c.clip_id for c in hits))
    end = src.start_s + length_s
    hits = [c for c in footage if c.has_video and c.start_s <= src.start_s and end <= c.end_s + Fraction(1, 1000)]
    if event.track.startswith("A"):
        hits = [c for c in footage if c.has_audio and c.start_s <= src.start_s and end <= c.end_s + Fraction(1, 1000)]
    if len(hits) == 1:
        return Match(hits[0], ())
    span = f"{Timecode.from_seconds(src.start_s, src.rate)}–{Timecode.from_seconds(end, src.rate)}"
    tried.append(f"source timecode {span}: " + ("in no clip" if not hits else "in several: "
                                                + ", ".join(c.clip_id for c in hits)))
    return Match(None, tuple(tried), tuple(c.clip_id for c in hits))
