"""`loudness.settle` on a fake meter: the secant arithmetic, the probe, and one pass per round."""

from __future__ import annotations

from collections.abc import Mapping

from pipeline.media.loudness import PROBE_SUFFIX, Normalisation, secant_slope, settle


def _limited(gain_db: float, ceiling: float = -2.0) -> Normalisation:
    return Normalisation(gain_db, ceiling, ceiling, 1.0, "limited")


class FakeLimiter:
    """A programme whose limited loudness rises `slope` LU per dB of gain, `start` LUFS at `at_db`."""

    def __init__(self, curves: Mapping[str, tuple[float, float, float]]) -> None:
        self.curves = curves
        self.calls: list[dict[str, float]] = []

    def __call__(self, trials: Mapping[str, Normalisation]) -> dict[str, float]:
        self.calls.append({name: c.gain_db for name, c in trials.items()})
        out = {}
        for name, c in trials.items():
            at_db, start, slope = self.curves[name.removesuffix(PROBE_SUFFIX)]
            out[name] = start + slope * (c.gain_db - at_db)
        return out


def test_secant_slope_is_kept_between_a_fifth_and_one() -> None:
    assert secant_slope([]) == 1.0
    assert secant_slope([(3.0, -16.0)]) == 1.0
    assert secant_slope([(4.0, -15.5), (3.0, -16.0)]) == 0.5
    assert secant_slope([(4.0, -16.0), (3.0, -16.0)]) == 0.2  # a flat response would ask for an infinite step
    assert secant_slope([(4.0, -13.0), (3.0, -16.0)]) == 1.0
    assert secant_slope([(3.0, -15.0), (3.0, -16.0)]) == 1.0  # same gain twice: no slope to read


def test_a_half_slope_limiter_lands_in_the_second_round_with_the_probe() -> None:
    # at +3 dB the chain gives −16 LUFS for a −14 target; each dB buys half a LU
    meter = FakeLimiter({"web": (3.0, -16.0, 0.5)})
    settled = settle({"web": _limited(3.0)}, {"web": -14.0}, meter)
    assert abs(meter.curves["web"][1] + 0.5 * (settled["web"].gain_db - 3.0) - -14.0) <= 0.1
    assert settled["web"].gain_db == 7.0  # the secant through (3, −16) and the probe (4, −15.5)
    assert meter.calls[0] == {"web": 3.0, "web" + PROBE_SUFFIX: 4.0}  # round one meters a probe 1 dB hotter
    assert len(meter.calls) == 2 and meter.calls[1] == {"web": 7.0}  # round two confirms, no probe
    assert settled["web"].overshoot_db == 5.0 and "gain moved to +7.00 dB" in settled["web"].reason


def test_linear_corrections_are_never_metered_and_all_limited_ones_share_each_pass() -> None:
    linear = Normalisation(-2.0, None, -9.0, 0.0, "linear")
    meter = FakeLimiter({"xdcam": (2.0, -24.0, 0.8), "web": (3.0, -16.0, 0.5)})
    settled = settle({"broadcast": linear, "xdcam": _limited(2.0), "web": _limited(3.0)},
                     {"broadcast": -23.0, "xdcam": -23.0, "web": -14.0}, meter)
    assert settled["broadcast"] is linear
    assert all("broadcast" not in call for call in meter.calls)
    assert set(meter.calls[0]) == {"xdcam", "web", "xdcam" + PROBE_SUFFIX, "web" + PROBE_SUFFIX}
    assert len(meter.calls) == 2
    for name, target in (("xdcam", -23.0), ("web", -14.0)):
        at_db, start, slope = meter.curves[name]
        assert abs(start + slope * (settled[name].gain_db - at_db) - target) <= 0.1


def test_a_correction_already_on_target_is_left_and_rounds_are_bounded() -> None:
    on_target = FakeLimiter({"web": (3.0, -14.05, 0.5)})
    assert settle({"web": _limited(3.0)}, {"web": -14.0}, on_target)["web"].gain_db == 3.0
    assert len(on_target.calls) == 1
    stubborn = FakeLimiter({"web": (3.0, -20.0, 0.0)})  # the limiter eats every dB: give up after 3 rounds
    settle({"web": _limited(3.0)}, {"web": -14.0}, stubborn, rounds=3)
    assert len(stubborn.calls) == 3
