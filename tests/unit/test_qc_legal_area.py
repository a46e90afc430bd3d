"""EBU R103 legal range on real media: checks.py reads signalstats' BRNG per frame and the plan judges
by the area rule. Tiny lossless lavfi clips (320x180, 1 s) so the pixel values are the generator's;
then the same size through the broadcast master's own last filters and MPEG-2 encoder, where a
picture legal before coding can come out illegal."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pipeline.media.encode import video_args
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.media.graphs import encoder_ready
from pipeline.profiles import load_profile
from pipeline.qc.checks import decode_fields
from pipeline.qc.plan import CheckSpec, Status, area, evaluate, plan_for

PIXELS = 320 * 180

# name → (filters after testsrc2, expected BRNG per frame (± 0.5 %: testsrc2 moves), verdict)
CLIPS = {
    # testsrc2 sits inside Y 16–235 / C 16–240
    "legal": ("null", 0.0, Status.PASS),
    # a 20x20 patch at Y 10: below 16 but within −5 % (Y ≥ 5), on 0.69 % of the pixels → R103-legal
    "small_patch": ("geq=lum='if(lt(X,20)*lt(Y,20),10,lum(X,Y))':cb='cb(X,Y)':cr='cr(X,Y)'",
                    400 / PIXELS, Status.PASS),
    # the same level on a 40x40 patch: 2.8 % of the pixels → out on the area rule, every frame for 1 s
    "large_patch": ("geq=lum='if(lt(X,40)*lt(Y,40),10,lum(X,Y))':cb='cb(X,Y)':cr='cr(X,Y)'",
                    1600 / PIXELS, Status.FAIL),
    # luma pushed up 20 %: highlights to Y 252 over about 15 % of the picture
    "hot": ("lutyuv=y=val*1.2", 0.15, Status.FAIL),
}


def _clip(path: Path, filters: str) -> Path:
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=1", "-vf", filters,
                "-pix_fmt", "yuv420p", "-c:v", "ffv1", "-f", "matroska", "file:" + str(path)])
    return path


def _spec(allowed: tuple[tuple[float, float], ...] = ()) -> CheckSpec:
    spec = next(s for s in plan_for(load_profile("broadcast-xdcam")) if s.id == "picture.legal_range")
    return dataclasses.replace(spec, allowed=allowed)  # the 1 s clip would sit inside the 60 s leader


@pytest.mark.parametrize("name", list(CLIPS))
def test_brng_measured_and_judged(tmp_path: Path, name: str) -> None:
    filters, brng, verdict = CLIPS[name]
    measured = decode_fields(_clip(tmp_path / f"{name}.mkv", filters), has_audio=False)
    frames = measured.values["picture.legal"]
    assert len(frames) == 25
    assert all(len(f) == 8 for f in frames)  # t, six extremes, BRNG
    assert all(f[7] == pytest.approx(brng, abs=0.005) for f in frames)
    if name != "legal":
        assert min(f[1] for f in frames) < 16 or max(f[2] for f in frames) > 235  # extremes out in every case
    result = evaluate(_spec(), measured.values)
    assert result.status is verdict, result
    if verdict is Status.FAIL:
        assert result.detail.startswith("25 of 25 frames break EBU R103")


def test_leader_frames_are_skipped(tmp_path: Path) -> None:
    measured = decode_fields(_clip(tmp_path / "hot.mkv", CLIPS["hot"][0]), has_audio=False)
    result = evaluate(_spec(allowed=((0.0, 60.0),)), measured.values)
    assert result.status is Status.INFO and result.measured == "no frames outside the leader"


# Binary cells, every pixel black or white: the synthetic shot the sample footage once had. Nothing a
# camera produces (no lens, no sensor gives a hard full-contrast edge every pixel or two).
CELLS = "cellauto=size=320x180:rate=25:rule=110:random_fill_ratio=0.4:random_seed=7:scroll=1"
# What the sample footage has now, in little: a graded sky, soft and with sensor grain, inside the range.
CAMERA = ("gradients=size=320x180:rate=25:c0=0x6f93b8:c1=0x9d977c:x0=0:y0=0:x1=0:y1=180:nb_colors=2"
          ":speed=0.00001:seed=1,format=yuv420p,noise=c0s=5:c0f=t+u:all_seed=7")


def _master(path: Path, source: str, *, lossless: bool = False) -> Path:
    """1 s of a lavfi picture made as render makes the broadcast master's picture: the profile's last
    filters (field order, 4:2:2, legalisation to Y 16–235 / C 16–240) and its MPEG-2 settings (50 Mb/s
    CBR, long GOP, interlaced coding); or, `lossless`, the same filters into FFV1, the picture as it
    reaches the encoder."""
    profile = load_profile("broadcast-xdcam")
    codec = ["-c:v", "ffv1"] if lossless else video_args(profile)
    run_ffmpeg(["-f", "lavfi", "-i", source, "-t", "1", "-vf", ",".join(encoder_ready(profile)), *codec,
                "-f", "matroska", "file:" + str(path)])
    return path


def test_binary_cells_are_legal_until_mpeg2_codes_them(tmp_path: Path) -> None:
    """Legalised before the encoder, the cells are all Y 16 or 235 and the check passes them; coded as
    the master is, the quantiser's error around every edge puts a fifth of the pixels of every frame
    outside the range (Y 0–255), and the area rule FAILs the whole second. Clipping before encoding
    cannot make such a picture legal; only a picture without such edges stays legal."""
    before = decode_fields(_master(tmp_path / "cells.mkv", CELLS, lossless=True), has_audio=False)
    assert all(area(f) == 0 for f in before.values["picture.legal"])
    assert evaluate(_spec(), before.values).status is Status.PASS

    after = decode_fields(_master(tmp_path / "cells-mpeg2.mkv", CELLS), has_audio=False)
    frames = after.values["picture.legal"]
    assert len(frames) == 25
    assert min(area(f) or 0.0 for f in frames) > 0.10  # every frame, far past R103's 1 %
    result = evaluate(_spec(), after.values)
    assert result.status is Status.FAIL, result
    assert result.detail.startswith("25 of 25 frames break EBU R103")


def test_a_camera_like_picture_stays_legal_when_coded(tmp_path: Path) -> None:
    """The same encoder, a picture like the sample footage's: nothing leaves the range."""
    measured = decode_fields(_master(tmp_path / "camera.mkv", CAMERA), has_audio=False)
    frames = measured.values["picture.legal"]
    assert len(frames) == 25 and max(area(f) or 0.0 for f in frames) < 0.001
    assert evaluate(_spec(), measured.values).status is Status.PASS
