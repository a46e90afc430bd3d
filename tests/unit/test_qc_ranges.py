"""QC's picture measured range by range equals the whole-file decode, on real media made with lavfi.

What must hold: the same per-frame legal-range figures, the same black and frozen stretches (ones
that cross a range boundary included, and a slow drift where freezedetect's reference at a boundary
decides where stills begin), the same loudness and silence; a changed chunk key measures that range
alone; progress is told per range; and the verdicts of a file are the same either way.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import threading
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pipeline.media.ffmpeg import ffprobe_json, run_ffmpeg
from pipeline.profiles import load_profile
from pipeline.progress import Progress
from pipeline.qc import ranged, ranges
from pipeline.qc.checks import PACKET_ENTRIES, FileMeasurements, measure_file_whole
from pipeline.qc.frames import FrameMeter, PlaneLayout
from pipeline.qc.rangecache import RangeCache
from pipeline.qc.ranged import RangeOptions, measure_ranged, measuring
from pipeline.qc.stitch import black_stretches, freeze_stretches
from pipeline.stages import qc as qc_stage

RATE = Fraction(25)
# frames 0–74 moving, 75–137 black, 138–217 one still picture, then a picture out of legal range;
# keyframes forced inside the black (frame 100) and inside the still (175, 190)
EDGES = (0, 100, 175, 190, 294)


def _clip(path: Path) -> Path:
    run_ffmpeg([
        "-f", "lavfi", "-i",
        "testsrc2=s=160x90:r=25:d=3[a];color=black:s=160x90:r=25:d=2.52[b];"
        "testsrc2=s=160x90:r=25:d=1,trim=end_frame=1,loop=loop=79:size=1[c];"
        "testsrc2=s=160x90:r=25:d=3.04,eq=brightness=0.3:contrast=1.5[d];[a][b][c][d]concat=n=4,format=yuv420p",
        "-f", "lavfi", "-i", "sine=f=440:d=11.76:sample_rate=48000,volume=0.3,volume=0:enable='between(t,6,8)'",
        "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-g", "25", "-bf", "2", "-x264-params", "open-gop=0",
        "-force_key_frames", "4.0,7.0,7.6", "-c:a", "aac", "-shortest", "-f", "mp4", f"file:{path}",
    ])
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _clip(tmp_path_factory.mktemp("ranges") / "clip.mp4")


@pytest.fixture(scope="module")
def whole(clip: Path) -> FileMeasurements:
    return measure_file_whole(clip, RATE)


def _chunks(keys: tuple[str, ...] = ("a", "b", "c", "d")) -> tuple[tuple[int, int, str], ...]:
    return tuple((s, e, k) for (s, e), k in zip(itertools.pairwise(EDGES), keys, strict=True))


def _same(a: FileMeasurements, b: FileMeasurements) -> None:
    for key in sorted(set(a.values) | set(b.values)):
        assert a.values.get(key) == b.values.get(key), key
    assert a.luma_series == b.luma_series
    assert a.loudness_series == b.loudness_series


def test_chunked_measurement_equals_the_whole_file(clip: Path, whole: FileMeasurements) -> None:
    got = measure_ranged(clip, RATE, options=RangeOptions(chunks=_chunks(), workers=2))
    assert got.range_work["ranges"] == 4 and got.range_work["measured"] == 4
    # what is compared is not trivial: stretches across the boundaries at frames 100 (4.0 s) and
    # 175/190 (7.0 s, 7.6 s), frames out of legal range, a silence
    assert whole.values["picture.black"] == [(3.0, 5.52)]
    assert any(a < 7.0 < b for a, b in whole.values["picture.freeze"])
    assert any(row[7] > 0.01 for row in whole.luma_series)
    assert whole.values["audio.silence"] and whole.values["loudness.integrated"] is not None
    _same(whole, got)


def test_a_file_without_chunks_is_cut_on_keyframes(clip: Path, whole: FileMeasurements,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ranges, "RANGE_S", 2.0)
    monkeypatch.setattr(ranges, "MIN_RANGE_S", 1.0)
    got = measure_ranged(clip, RATE, options=RangeOptions(workers=2))
    assert got.range_work["ranges"] >= 4
    _same(whole, got)


def _drift(path: Path) -> Path:
    """A box creeping one pixel every 8 frames over black, 8 s."""
    run_ffmpeg(["-f", "lavfi", "-i", "color=black:s=160x90:r=25:d=8[bg];color=white:s=4x4:r=25:d=8[box];"
                "[bg][box]overlay=x='floor(t*25/8)':y=40:shortest=1,format=yuv420p", "-c:v", "ffv1", f"file:{path}"])
    return path


def test_the_reference_held_at_a_boundary_decides_the_stills(tmp_path: Path) -> None:
    """A box creeping one pixel every 8 frames: freezedetect starts a new still every 32 frames
    counted from the reference it holds, so ranges that each began with their own first frame
    would place the stills elsewhere; the boundary checks restore the whole file's."""
    path = _drift(tmp_path / "drift.mkv")
    edges = (0, 45, 100, 150, 200)
    chunks = tuple((s, e, f"k{s}") for s, e in itertools.pairwise(edges))
    reference = measure_file_whole(path, RATE)
    got = measure_ranged(path, RATE, options=RangeOptions(chunks=chunks, workers=2))
    assert got.values["picture.freeze"] == reference.values["picture.freeze"]
    track = ranges.VideoTrack.from_probe(ffprobe_json(path, PACKET_ENTRIES))
    assert track is not None
    naive = [s for a, b, _ in chunks for s in ranges.measure_span(path, track, ranges.Span(a, b)).starts]
    assert freeze_stretches(track, list(track.pts), naive) != reference.values["picture.freeze"]


def test_files_measured_at_once_share_one_pool_and_equal_each_whole_decode(
        clip: Path, whole: FileMeasurements, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As the QC stage measures a programme's files: overlapped, every range of both in the one pool
    of two workers, each file's values those of its own whole-file decode."""
    drift = _drift(tmp_path / "drift.mkv")
    threads: set[str] = set()
    real_span = ranged.measure_span

    def where(path: Path, track: ranges.VideoTrack, span: ranges.Span, **kw: Any) -> ranges.RangeResult:
        threads.add(threading.current_thread().name)
        return real_span(path, track, span, **kw)

    monkeypatch.setattr(ranged, "measure_span", where)
    with ranged.Overlapped(workers=2) as overlap:
        first = overlap.submit(RangeOptions(chunks=_chunks()), functools.partial(ranged.measure_file, clip, RATE))
        second = overlap.submit(RangeOptions(), functools.partial(ranged.measure_file, drift, RATE))
        got_clip, got_drift = first.result(), second.result()
    _same(whole, got_clip)
    _same(measure_file_whole(drift, RATE), got_drift)
    assert got_clip.range_work["ranges"] == 4
    assert len(threads) <= 2 and all(name.startswith("qc-range") for name in threads)


def test_leaving_overlapped_measuring_early_starts_no_more_files() -> None:
    """A stop (any error in the stage's thread) cancels the files not begun and waits only for those
    being measured."""
    begun: list[int] = []

    def measure(index: int) -> int:
        begun.append(index)
        time.sleep(0.3)
        return index

    with pytest.raises(RuntimeError), ranged.Overlapped(workers=1) as overlap:
        futures = [overlap.submit(RangeOptions(), functools.partial(measure, i)) for i in range(5)]
        time.sleep(0.1)
        raise RuntimeError("stopped")
    assert sorted(begun) == [0, 1]
    assert [f.cancelled() for f in futures] == [False, False, True, True, True]


def test_a_changed_chunk_is_measured_alone(clip: Path, whole: FileMeasurements, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the changed chunk is decoded again, and only the boundary checks next to it."""
    runs: list[tuple[int, int]] = []
    checks: list[int] = []
    real_span, real_check = ranged.measure_span, ranged.freeze_fixup

    def counted(path: Path, track: ranges.VideoTrack, span: ranges.Span, **kw: Any) -> ranges.RangeResult:
        runs.append((span.start, span.end))
        return real_span(path, track, span, **kw)

    def counted_check(path: Path, track: ranges.VideoTrack, reference: int, start: int, count: int) -> list[bool]:
        checks.append(start)
        return real_check(path, track, reference, start, count)

    monkeypatch.setattr(ranged, "measure_span", counted)
    monkeypatch.setattr(ranged, "freeze_fixup", counted_check)
    cache = RangeCache(tmp_path / "ranges", "code", "ffmpeg")
    first = measure_ranged(clip, RATE, options=RangeOptions(chunks=_chunks(), cache=cache, workers=2))
    assert len(runs) == 4 and set(checks) == {100, 175, 190}
    runs.clear()
    checks.clear()
    events: list[Progress] = []
    again = RangeOptions(chunks=_chunks(("a", "b", "c2", "d")), cache=cache, workers=2, progress=events.append,
                         task="qc clip")
    with measuring(again):  # as the stage passes them
        second = ranged.measure_ranged(clip, RATE)
    assert runs == [(175, 190)]
    assert set(checks) == {175, 190}  # the boundary at frame 100 is between two unchanged chunks
    assert second.range_work == {**second.range_work, "measured": 1, "reused": 3}
    _same(whole, second)
    _same(first, second)
    assert [(e.done, e.total, e.unit) for e in events] == [(n, 4, "chunks") for n in range(1, 5)]
    gone = cache.prune(second.range_keys)
    assert (tmp_path / "ranges" / f"{first.range_keys[2]}.json") in gone
    assert sorted(p.stem for p in cache.folder.glob("*.json")) == sorted(second.range_keys)


def test_verdicts_are_the_same_as_the_whole_file_decode(clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    profile = load_profile("broadcast-h264")  # broadcast, no leader: legal range judged on every frame
    ranged_qc = qc_stage.qc_file(clip, profile, deliverable="clip")
    monkeypatch.setattr(qc_stage, "measure_file", measure_file_whole)
    whole_qc = qc_stage.qc_file(clip, profile, deliverable="clip")
    assert [c.to_dict() for c in ranged_qc.checks] == [c.to_dict() for c in whole_qc.checks]
    statuses = {c.id: c.status.value for c in whole_qc.checks}
    assert statuses["picture.legal_range"] == "FAIL" and statuses["picture.black"] == "FAIL"


@pytest.mark.parametrize(("fmt", "width", "height"), [("yuv420p", 64, 36), ("yuv420p", 63, 35), ("yuv422p", 40, 20),
                                                      ("yuv444p", 17, 9), ("yuv422p10le", 32, 18), ("yuv411p", 30, 8)])
def test_frame_figures_follow_signalstats_rule(fmt: str, width: int, height: int) -> None:
    """Min/max per plane and BRNG (luma positions whose Y or co-sited Cb/Cr is out of range), odd
    sizes and 10-bit included, against a pixel-by-pixel reading of signalstats' rule."""
    layout = PlaneLayout.of(fmt, width, height)
    assert layout is not None
    meter = FrameMeter(layout)
    dtype = np.uint8 if layout.depth == 8 else np.dtype("<u2")
    top, mult = 1 << layout.depth, 1 << (layout.depth - 8)
    rng = np.random.default_rng(7)
    cw, ch = layout.chroma_size
    for trial in range(6):
        samples = np.frombuffer(meter.buffer, dtype)
        low, high = (0, top) if trial % 2 else (20 * mult, 200 * mult)
        samples[:] = rng.integers(low, high, samples.size)
        if trial == 4:
            samples[:] = 16 * mult  # a flat frame: signalstats' YBITDEPTH would say 1 bit
        figures = meter.measure()
        y = samples[:width * height].reshape(height, width)
        u = samples[width * height:width * height + cw * ch].reshape(ch, cw)
        v = samples[width * height + cw * ch:].reshape(ch, cw)
        out = sum(int(y[j, i]) < 16 * mult or int(y[j, i]) > 235 * mult
                  or not 16 * mult <= int(u[j >> layout.vsub, i >> layout.hsub]) <= 240 * mult
                  or not 16 * mult <= int(v[j >> layout.vsub, i >> layout.hsub]) <= 240 * mult
                  for j in range(height) for i in range(width))
        assert figures[:6] == (y.min() / mult, y.max() / mult, u.min() / mult, u.max() / mult,
                               v.min() / mult, v.max() / mult)
        assert figures[6] == float(f"{out / (width * height):g}")


def _track(pts: list[int], tb: Fraction = Fraction(1, 25)) -> ranges.VideoTrack:
    return ranges.VideoTrack("yuv420p", 16, 16, tb, Fraction(25), tuple(pts), (0,))


def test_stretch_rules_at_the_end_and_at_the_minimum() -> None:
    track = _track(list(range(60)))
    # a still of exactly 25 frames (1 s) is one, of 24 frames not; one running to the end of the file
    # counts to its last frame and is reported one frame on (as QC always parsed it)
    starts = [i in (0, 10, 35) for i in range(60)]
    assert freeze_stretches(track, list(track.pts), starts) == [(0.4, 1.4)]
    ended = [i in (0, 10, 34) for i in range(60)]
    assert freeze_stretches(track, list(track.pts), ended) == [(1.36, track.time(59) + 0.04)]
    # black: ends at the first frame that is not black, and at the end of the file at the last
    # frame's pts (blackdetect's own end of stream: five black frames there last four)
    black = [5 <= i < 10 or 20 <= i < 24 or i >= 54 for i in range(60)]
    assert black_stretches(track, list(track.pts), black) == [(0.2, 0.4), (2.16, 2.36)]
    assert black_stretches(track, list(track.pts), [i >= 55 for i in range(60)]) == []


def test_ranges_follow_chunks_or_keyframes() -> None:
    track = ranges.VideoTrack("yuv420p", 16, 16, Fraction(1, 25), Fraction(25), tuple(range(3000)),
                              tuple(range(0, 3000, 50)))
    assert ranges.plan_spans(track, [(0, 1000, "a"), (1000, 3000, "b")], 2) == [
        ranges.Span(0, 1000, "a"), ranges.Span(1000, 3000, "b")]
    own = ranges.plan_spans(track, [(0, 1000, "a")], 2)  # chunks that do not tile the file: cut it ourselves
    assert [s.key for s in own] == [None, None] and own[0].start == 0 and own[-1].end == 3000
    assert all(s.start % 50 == 0 for s in own)


def test_the_stage_measures_only_the_chunks_a_fix_changed(clip: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The QC stage takes each file's ranges from the render record's chunk spans, keeps them under
    qc/ranges/, and after a re-render that changed one chunk decodes that chunk alone."""
    from pipeline.qc import report as qc_report
    from pipeline.qc.record import deliverable_record_path, read_record
    from pipeline.render.state import ChunkSpan, read_render_record, write_render_record
    from tests.unit.test_qc_fresh import _programme, run_qc

    for plot in ("loudness_plot", "luma_plot"):  # the HTML's drawings are not what is tested here
        monkeypatch.setattr(qc_report, plot, lambda *args: b"")
    programme, ws = _programme(tmp_path)

    def rendered(keys: tuple[str, ...], title: str) -> None:
        record = read_render_record(ws)
        assert record is not None
        entries = dict(record.deliverables)
        for name, entry in entries.items():
            run_ffmpeg(["-i", f"file:{clip}", "-map", "0", "-c", "copy", "-metadata", f"title={title}",
                        "-f", "mp4", f"file:{entry.path}"])
            spans = tuple(ChunkSpan(entry.path.name, a, b, f"{name}-{k}") for (a, b), k in
                          zip(itertools.pairwise(EDGES), keys, strict=True)) if name == "web-720p" else ()
            entries[name] = dataclasses.replace(entry, size_bytes=entry.path.stat().st_size, chunks=spans)
        write_render_record(ws, dataclasses.replace(record, deliverables=entries))

    runs: list[tuple[str, int, int]] = []
    real = ranged.measure_span

    def counted(path: Path, track: ranges.VideoTrack, span: ranges.Span, **kw: Any) -> ranges.RangeResult:
        runs.append((path.name, span.start, span.end))
        return real(path, track, span, **kw)

    monkeypatch.setattr(ranged, "measure_span", counted)
    rendered(("a", "b", "c", "d"), "first")
    run_qc(programme, ws)
    assert sorted(r[1:] for r in runs if "web-720p" in r[0]) == list(itertools.pairwise(EDGES))
    runs.clear()
    rendered(("a", "b", "c2", "d"), "second")  # a fix re-rendered the chunk of frames 175–190
    done = run_qc(programme, ws)
    assert [r[1:] for r in runs if "web-720p" in r[0]] == [(175, 190)]
    assert set(done.work.measured) == {"web-720p", "web-1080p"}
    kept = set()
    for name in ("web-720p", "web-1080p"):
        record = read_record(deliverable_record_path(ws, name))
        assert record is not None and record.ranges
        kept |= set(record.ranges)
    assert {p.stem for p in (ws.qc_dir / "ranges").glob("*.json")} == kept  # the old chunk's entry is gone


def test_a_file_whose_ranges_cannot_be_trusted_is_measured_whole(clip: Path, whole: FileMeasurements,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def mismatch(path: Path, track: ranges.VideoTrack, span: ranges.Span, **kw: Any) -> ranges.RangeResult:
        raise ranges.RangeMismatch("decoded to other frames", path=path)

    monkeypatch.setattr(ranged, "measure_span", mismatch)
    got = measure_ranged(clip, RATE, options=RangeOptions(chunks=_chunks(), workers=2))
    assert got.range_work == {} and not got.range_keys
    _same(whole, got)


def test_an_xdcam_like_master_in_ranges_equals_the_whole_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """MPEG-2 4:2:2 interlaced in MXF with one mono PCM track per channel (merged for loudness), a
    leader skipped by the meter, a 10-bit variant: the numbers QC keeps are the whole decode's."""
    master = tmp_path / "master.mxf"
    run_ffmpeg([
        "-f", "lavfi", "-i", "smptebars=s=352x288:r=25:d=2[a];color=black:s=352x288:r=25:d=1[b];"
        "testsrc2=s=352x288:r=25:d=5[c];[a][b][c]concat=n=3,setfield=tff,format=yuv422p",
        "-f", "lavfi", "-i", "sine=f=1000:d=8:sample_rate=48000",
        "-f", "lavfi", "-i", "sine=f=500:d=8:sample_rate=48000",
        "-map", "0:v", "-map", "1:a", "-map", "2:a", "-c:v", "mpeg2video", "-b:v", "8M", "-g", "12", "-bf", "2",
        "-flags", "+ilme+ildct+cgop", "-sc_threshold", "1000000000", "-top", "1", "-c:a", "pcm_s24le",
        "-f", "mxf", f"file:{master}",
    ])
    deep = tmp_path / "deep.mkv"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=160x90:r=25:d=4,eq=contrast=1.4,format=yuv422p10le",
                "-c:v", "ffv1", "-g", "10", f"file:{deep}"])
    monkeypatch.setattr(ranges, "RANGE_S", 1.5)
    monkeypatch.setattr(ranges, "MIN_RANGE_S", 1.0)
    for path, skip in ((master, 2.0), (deep, 0.0)):
        reference = measure_file_whole(path, RATE, skip_s=skip)
        got = measure_ranged(path, RATE, skip_s=skip, options=RangeOptions(workers=2))
        assert got.range_work["ranges"] >= 2
        _same(reference, got)
    assert reference.values["video.pix_fmt"] == "yuv422p10le"


def test_a_chunk_key_is_kept_apart_per_file_and_picture(tmp_path: Path) -> None:
    """The render's chunk key says what a chunk shows: the same shot in another deliverable (or at
    another size) decodes to other pixels, so it is another entry."""
    cache = RangeCache(tmp_path, "code", "ffmpeg")
    span = ranges.Span(0, 50, "shot-1")
    one = cache.key(span, "", "yuv420p 1920x1080 1/12800 25", "web-1080p a.mp4")
    assert one != cache.key(span, "", "yuv420p 1920x1080 1/12800 25", "web-stream 1080p 1080p.mp4")
    assert one != cache.key(span, "", "yuv420p 1280x720 1/12800 25", "web-1080p a.mp4")
    assert one != RangeCache(tmp_path, "other code", "ffmpeg").key(span, "", "yuv420p 1920x1080 1/12800 25",
                                                                   "web-1080p a.mp4")
    assert one == cache.key(ranges.Span(100, 150, "shot-1"), "", "yuv420p 1920x1080 1/12800 25", "web-1080p a.mp4")
