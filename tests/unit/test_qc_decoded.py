"""The picture measured in this process (`qc/decoded.py`) gives exactly what ffmpeg's filters give.

Each range of real media made with lavfi is measured both ways — PyAV's frames read in place, and an
ffmpeg decode through blackdetect, freezedetect and the raw planes — and the per-frame facts must be
equal: where a frame's darkest samples sit either side of blackdetect's 37 (25 in full range) and
its black share either side of 98 %, where a still's only change lies below the rows the freeze test
reads first and grows from under freezedetect's noise to over it, and on MPEG-2 4:2:2 and H.264.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from pipeline.media.ffmpeg import ffprobe_json, run_ffmpeg
from pipeline.qc import decoded, ranges
from pipeline.qc.checks import PACKET_ENTRIES

# 1 s moving; 3 s of a still whose one change, a box low in the frame, speeds up (frozen at first,
# then not); 1 s of near-black at Y 34 and 38 (either side of 37); 1 s of black with a white box of
# 1.8 % then 2.2 % of the picture (either side of the 98 % rule)
SOURCE = (
    "testsrc2=s=160x90:r=25:d=1[a];"
    "testsrc2=s=160x90:r=25:d=1,trim=end_frame=1,loop=loop=74:size=1,setpts=N/25/TB[s];"
    "color=white:s=12x12:r=25:d=3[box];[s][box]overlay=x='floor(t*t*4)':y=74:shortest=1[b];"
    "color=0x151515:s=160x90:r=25:d=0.5[c1];color=0x1a1a1a:s=160x90:r=25:d=0.5[c2];"
    "color=black:s=160x90:r=25:d=0.5[d1];color=white:s=16x16:r=25:d=0.5[w1];[d1][w1]overlay=x=8:y=8[e1];"
    "color=black:s=160x90:r=25:d=0.5[d2];color=white:s=20x16:r=25:d=0.5[w2];[d2][w2]overlay=x=8:y=8[e2];"
    "[a][b][c1][c2][e1][e2]concat=n=6"
)


def _make(path: Path, fmt: str, codec: list[str]) -> Path:
    run_ffmpeg(["-f", "lavfi", "-i", f"{SOURCE},format={fmt}", *codec, "-g", "25", f"file:{path}"])
    return path


@pytest.fixture(scope="module", params=["h264", "mpeg2-422", "h264-full-range"])
def media(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("decoded")
    if request.param == "h264":
        return _make(folder / "clip.mp4", "yuv420p", ["-c:v", "libx264", "-qp", "0", "-bf", "2"])
    if request.param == "mpeg2-422":
        return _make(folder / "clip.mxf", "yuv422p", ["-c:v", "mpeg2video", "-b:v", "6M", "-bf", "2",
                                                      "-flags", "+cgop", "-sc_threshold", "1000000000"])
    return _make(folder / "full.mp4", "yuvj420p", ["-c:v", "libx264", "-qp", "0", "-bf", "0"])


def _track(path: Path) -> ranges.VideoTrack:
    track = ranges.VideoTrack.from_probe(ffprobe_json(path, PACKET_ENTRIES))
    assert track is not None
    return track


def test_each_range_equals_ffmpegs_filters(media: Path) -> None:
    track = _track(media)
    assert decoded.readable(track.pix_fmt)
    keys = [k for k in track.keyframes if k > 0]
    edges = [0, keys[0], keys[2], track.frames]  # a range from the start, one inside, one to the end
    black = starts = 0
    for a, b in itertools.pairwise(edges):
        span = ranges.Span(a, b)
        ours = ranges._measure_in_process(media, track, span, 1)
        theirs = ranges.measure_span_ffmpeg(media, track, span, threads=1)
        assert ours.pts == theirs.pts and len(ours.pts) == span.frames
        assert ours.stats == theirs.stats
        assert ours.black == theirs.black, (a, b)
        assert ours.starts == theirs.starts, (a, b)
        black += sum(ours.black)
        starts += sum(ours.starts)
    # the rules were exercised on both sides: some frames black and some not, some stills held
    assert 0 < black < track.frames and 0 < starts < track.frames


def test_black_threshold_follows_the_range() -> None:
    assert decoded.black_threshold("yuv420p") == 37 and decoded.black_threshold("yuvj420p") == 25
    assert decoded.readable("yuv422p") and not decoded.readable("yuv422p10le") and not decoded.readable("nv12")


def test_a_range_pyav_cannot_give_is_measured_by_ffmpeg(media: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    track = _track(media)
    span = ranges.Span(0, track.frames)

    def unreadable(*_: object, **__: object) -> None:
        raise decoded.NotReadHere("no such decoder")

    monkeypatch.setattr(decoded, "decoded_frames", unreadable)
    got = ranges.measure_span(media, track, span)
    assert got.stats == ranges.measure_span_ffmpeg(media, track, span).stats
