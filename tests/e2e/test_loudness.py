"""Loudness end to end: signals of known level made with lavfi, measured, normalised to the broadcast
and web targets (limited ones settled by `loudness.settle` with a real ebur128 meter), and measured
again by a separate ebur128 run on the written file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from pipeline.media import graphs as g
from pipeline.media.ffmpeg import run_ffmpeg, safe_input
from pipeline.media.loudness import (
    Normalisation,
    TrialMeter,
    headroom_for,
    loudnorm_filters,
    loudnorm_mode,
    measure,
    measure_input,
    normalisation_for,
    parse_ebur128,
    settle,
)

pytestmark = pytest.mark.slow

SECONDS = 10
# Pink noise: crest factor ~10 dB, so both targets are reachable with a linear gain.
NOISE = f"anoisesrc=color=pink:amplitude=0.1:duration={SECONDS}:sample_rate=48000:seed=7"
# The same noise with a 1 ms click at 0.8 every half second: peaks far above the programme level,
# so reaching −14 LUFS needs the limiter.
CLICKS = (f"{NOISE}[n];aevalsrc=exprs=0.8*lt(mod(t\\,0.5)\\,0.001):sample_rate=48000:duration={SECONDS}[c];"
          "[n][c]amix=inputs=2:normalize=0")
TARGETS = [(-23.0, 0.5), (-14.0, 1.0)]
TP_MAX = -1.0


def make(path: Path, graph: str) -> Path:
    run_ffmpeg(["-filter_complex", f"{graph},aformat=channel_layouts=stereo", "-c:a", "pcm_s24le", str(path)])
    return path


@pytest.fixture(scope="module")
def noise(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make(tmp_path_factory.mktemp("loud") / "noise.wav", NOISE)


@pytest.fixture(scope="module")
def clicks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make(tmp_path_factory.mktemp("loud") / "clicks.wav", CLICKS)


def meter_of(src: Path) -> TrialMeter:
    """`settle`'s meter on a file: each trial's chain (limiter at the file's rate) measured by ebur128."""
    def meter(trials: Mapping[str, Normalisation]) -> dict[str, float]:
        return {name: measure_input(["-i", safe_input(src)], c.filters(oversample=False), subject=src).integrated_lufs
                for name, c in trials.items()}
    return meter


def settled(src: Path, target: float, headroom_db: float = 0.3) -> Normalisation:
    first = normalisation_for(measure(src), target, TP_MAX, headroom_db=headroom_db)
    return settle({"out": first}, {"out": target}, meter_of(src))["out"]


def apply(src: Path, dst: Path, filters: list[str], codec: list[str]) -> Path:
    run_ffmpeg(["-i", safe_input(src), "-af", ",".join(filters), *codec, str(dst)], subject=dst)
    return dst


def test_known_level_tone_measures_as_expected() -> None:
    # A 1 kHz sine at −18.06 dBFS peak in both channels: BS.1770 gives −18.06 LUFS (−3.01 per channel
    # for a full-scale sine, +3.01 for two channels) and a true peak equal to the sample peak.
    tone = measure_input(["-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000:duration=5"],
                         ["pan=stereo|c0=c0|c1=c0"])
    assert abs(tone.integrated_lufs - -18.1) <= 0.1
    assert abs(tone.true_peak_dbtp - -18.1) <= 0.1
    assert tone.lra_lu <= 0.1


@pytest.mark.parametrize(("target", "tolerance"), TARGETS)
def test_linear_normalisation_hits_target(noise: Path, tmp_path: Path, target: float, tolerance: float) -> None:
    measured = measure(noise)
    plan = normalisation_for(measured, target, TP_MAX)
    assert plan.linear, plan.reason
    out = apply(noise, tmp_path / "out.wav", plan.filters(), ["-c:a", "pcm_s24le"])
    again = measure(out)
    assert abs(again.integrated_lufs - target) <= tolerance
    assert again.true_peak_dbtp <= TP_MAX
    assert abs(again.integrated_lufs - target) <= 0.1  # a linear gain is exact
    assert again.meets(target, tolerance, TP_MAX)


@pytest.mark.parametrize(("target", "tolerance"), TARGETS)
def test_limited_normalisation_hits_target(clicks: Path, tmp_path: Path, target: float, tolerance: float) -> None:
    measured = measure(clicks)
    first = normalisation_for(measured, target, TP_MAX)
    assert not first.linear and first.overshoot_db > 0
    unsettled = measure(apply(clicks, tmp_path / "first.wav", first.filters(), ["-c:a", "pcm_s24le"]))
    plan = settled(clicks, target)
    assert plan.gain_db >= first.gain_db  # limiting took loudness off: settling adds gain back
    out = apply(clicks, tmp_path / "out.wav", plan.filters(), ["-c:a", "pcm_s24le"])
    again = measure(out)
    assert abs(again.integrated_lufs - target) <= tolerance
    assert abs(again.integrated_lufs - target) <= abs(unsettled.integrated_lufs - target) + 0.05
    assert again.true_peak_dbtp <= TP_MAX


def test_web_aac_keeps_true_peak_under_ceiling(clicks: Path, tmp_path: Path) -> None:
    # AAC's decoder can overshoot (with 0.3 dB of headroom this signal decodes at −0.9 dBTP): the web
    # branch keeps 1 dB.
    plan = settled(clicks, -14.0, headroom_db=headroom_for("aac"))
    out = apply(clicks, tmp_path / "web.mp4", [*plan.filters(), *g.audio_conform()],
                ["-c:a", "aac", "-b:a", "256k", "-movflags", "+faststart"])
    again = measure(out)
    assert abs(again.integrated_lufs - -14.0) <= 1.0
    assert again.true_peak_dbtp <= TP_MAX


def test_loudnorm_two_pass_linear(noise: Path, tmp_path: Path) -> None:
    measured = measure(noise)
    out = tmp_path / "loudnorm.wav"
    stderr = run_ffmpeg(["-i", safe_input(noise), "-af", ",".join(loudnorm_filters(measured, -23.0, TP_MAX)),
                         "-c:a", "pcm_s24le", str(out)])
    assert loudnorm_mode(stderr) == "Linear"
    again = measure(out)
    assert abs(again.integrated_lufs - -23.0) <= 0.5 and again.true_peak_dbtp <= TP_MAX


def test_render_meters_report_each_branch(noise: Path) -> None:
    # Two deliverables' branches in one process, each ending in its own named meter.
    chains = [
        *g.fanout("0:a", ["b", "w"], audio=True),
        g.chain("b", [*g.audio_conform(), g.gain(-3), g.loudness_meter("broadcast")], "bo"),
        g.chain("w", [*g.audio_conform(), g.gain(6), g.loudness_meter("web")], "wo"),
    ]
    stderr = run_ffmpeg(["-i", safe_input(noise), "-filter_complex", g.graph(chains),
                         "-map", "[bo]", "-f", "null", "-", "-map", "[wo]", "-f", "null", "-"])
    found = parse_ebur128(stderr)
    assert set(found) == {"broadcast", "web"}
    assert abs(found["web"].integrated_lufs - found["broadcast"].integrated_lufs - 9.0) <= 0.1
