"""EBU R103 legal range on real media: checks.py reads signalstats' BRNG per frame and the plan judges
by the area rule. Tiny lossless lavfi clips (320x180, 1 s) so the pixel values are the generator's."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.profiles import load_profile
from pipeline.qc.checks import decode_fields
from pipeline.qc.plan import CheckSpec, Status, evaluate, plan_for

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
