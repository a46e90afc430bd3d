"""Fakes for the NLE tests (no tests here): a programme whose clips look ingested (ingest.json and
probe.json, no media), and OTIO edits built in code."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio  # type: ignore[import-untyped]

from pipeline.manifest import Programme
from pipeline.media.probe import AudioStream, MediaInfo, VideoStream
from pipeline.records.ingest import IngestRecord, write_ingest_record
from pipeline.records.probe import write_probe
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace

RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange


def fake_clip(ws: Workspace, clip_id: str, source: Path, *, fps: str = "25/1", duration_ms: int = 20_000,
              timecode: str | None = None, video: bool = True, audio: bool = True) -> None:
    """Record `clip_id` as ingested: what assemble and the matcher read."""
    v = VideoStream(0, "h264", None, 320, 180, "1:1", "yuv420p", fps, fps, "progressive", 0, None, None, None,
                    None, None, None) if video else None
    a = (AudioStream(1, "aac", 48000, 2, "stereo", None),) if audio else ()
    info = MediaInfo(str(source), "mov", 1000, duration_ms, None, v, a, 0, 0, timecode, None)
    write_probe(ws, clip_id, info)
    record = IngestRecord(clip_id, str(source), "0" * 64, "k" + clip_id, audio, duration_ms, fps, "25",
                          fps != "25/1", (), str(ws.ingest_dir(clip_id) / "conform.mov"), "fake")
    write_ingest_record(ws, record)


def programme(tmp: Path, timeline_yaml: str, files: dict[str, str], fps: str = "25") -> Programme:
    """A manifest in `tmp` with footage `files` (clip id → file name under footage/)."""
    (tmp / "footage").mkdir(exist_ok=True)
    footage = "\n".join(f'  - {{file: "footage/{name}", id: {cid}}}' for cid, name in files.items())
    (tmp / "p.yaml").write_text(f"id: nle\nhouse: {{fps: \"{fps}\"}}\nfootage:\n{footage}\ntimeline: {timeline_yaml}\n",
                                encoding="utf-8")
    return load_manifest(tmp / "p.yaml")


def clip(name: str, url: str | None, start: float, duration: float, rate: float = 25,
         avail_start: float = 0) -> otio.schema.Clip:
    ref = otio.schema.ExternalReference(target_url=url, available_range=TR(RT(avail_start, rate), RT(100_000, rate))) \
        if url else otio.schema.MissingReference()
    return otio.schema.Clip(name=name, media_reference=ref, source_range=TR(RT(start, rate), RT(duration, rate)))


def timeline(clips: list[otio.schema.Clip], *, rate: float = 25, start_frames: int = 10 * 3600 * 25,
             audio: list[otio.schema.Clip] | None = None, name: str = "Chương trình") -> otio.schema.Timeline:
    tl = otio.schema.Timeline(name=name)
    tl.global_start_time = RT(start_frames, rate)
    v1 = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    for c in clips:
        v1.append(c)
    tl.tracks.append(v1)
    a1 = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    for c in (audio if audio is not None else [c.clone() for c in clips if isinstance(c, otio.schema.Clip)]):
        a1.append(c)
    tl.tracks.append(a1)
    return tl


def frac(value: float) -> Fraction:
    return Fraction(value).limit_denominator(1001)
