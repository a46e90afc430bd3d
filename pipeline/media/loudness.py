"""Loudness: measure (EBU R128 / ITU-R BS.1770-4), decide the correction, settle it, measure again.

Measurement uses ffmpeg's `ebur128=peak=true`, which (unlike a `loudnorm` first pass) does not
resample to 192 kHz. Its summary is parsed from stderr, and because an `ebur128@name` can sit at the
end of every deliverable's audio branch, the render pass itself yields the figures of what it
encoded — the report shows measured output, not targets.

A correction is numbers (`Normalisation`: gain in dB, limiter ceiling in dBTP or none): a linear
gain whenever the true peak allows it (the sound is untouched apart from level), otherwise the same
gain followed by a true-peak limiter, whose gain `settle` corrects from trial measurements. It
becomes filter text only in `loudness_chain`, when a graph is built. `loudnorm` two-pass in linear
mode is kept for comparison (`loudnorm_filters`, `loudnorm_mode`); the render does not use it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import MediaError
from .ffmpeg import ProgressCallback, run_ffmpeg, safe_input
from .graphs import filter_, gain, loudness_meter, true_peak_limiter

# BS.1770's absolute gate: blocks below −70 LUFS never count; ebur128 prints −70.0 for silence.
SILENCE_LUFS = -70.0
DEFAULT_HEADROOM_DB = 0.3

_HEADER_RE = re.compile(r"^\[(?P<inst>[^\s\]]+) @ 0x[0-9a-fA-F]+\] Summary:\s*$")
_VALUE_RE = re.compile(r"^\s+(?P<key>I|Threshold|LRA|LRA low|LRA high|Peak):\s+(?P<val>[-+]?(?:inf|nan|\d+(?:\.\d*)?))")


@dataclass(frozen=True)
class LoudnessMeasurement:
    """One ebur128 summary. Loudness in LUFS, range in LU, peak in dBTP (−inf for digital silence)."""

    integrated_lufs: float
    true_peak_dbtp: float
    lra_lu: float
    threshold_lufs: float
    lra_low_lufs: float
    lra_high_lufs: float

    @property
    def silent(self) -> bool:
        """True when nothing passed the absolute gate: there is no programme loudness to correct."""
        return self.integrated_lufs <= SILENCE_LUFS

    def meets(self, target_lufs: float, tolerance_lu: float, true_peak_max_dbtp: float) -> bool:
        """Within ±tolerance of target and at or under the true-peak ceiling (figures rounded to 0.1,
        as meters and QC reports show them)."""
        return (abs(round(self.integrated_lufs - target_lufs, 1)) <= tolerance_lu
                and round(self.true_peak_dbtp, 1) <= true_peak_max_dbtp)

    def as_dict(self) -> dict[str, float | None]:
        """JSON-safe figures (−inf becomes None)."""
        return {key: (value if math.isfinite(value) else None) for key, value in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LoudnessMeasurement:
        """The figures back from `as_dict` (None was −inf: digital silence); ValueError or KeyError
        when one is missing or not a number."""
        def number(key: str) -> float:
            value = data[key]
            if value is None:
                return -math.inf
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ValueError(f"{key} is not a number")
            return float(value)
        return cls(**{key: number(key) for key in cls.__dataclass_fields__})


def parse_ebur128(stderr: str) -> dict[str, LoudnessMeasurement]:
    """Every ebur128 summary in ffmpeg's stderr, keyed by instance name, in the order printed.

    `ebur128@web` is keyed `web`; an unnamed one `Parsed_ebur128_3`. Lines from other filters or
    ffmpeg itself may be interleaved; only the indented summary lines are read.
    """
    found: dict[str, LoudnessMeasurement] = {}
    lines = stderr.splitlines()
    index = 0
    while index < len(lines):
        match = _HEADER_RE.match(lines[index].strip("\r"))
        index += 1
        if not match:
            continue
        values: dict[str, float] = {}
        section = ""
        while index < len(lines) and (not lines[index].strip() or lines[index][:1].isspace()):
            line = lines[index]
            index += 1
            stripped = line.strip()
            if stripped.endswith(":") and not _VALUE_RE.match(line):
                section = stripped[:-1]
                continue
            value = _VALUE_RE.match(line)
            if value:
                key = value["key"]
                if key == "Threshold":
                    key = "LRA threshold" if section == "Loudness range" else "I threshold"
                if key == "Peak" and section != "True peak":
                    continue
                values[key] = float(value["val"])
        inst = match["inst"]
        name = inst.split("@", 1)[1] if "@" in inst else inst
        try:
            found[name] = LoudnessMeasurement(
                integrated_lufs=values["I"],
                true_peak_dbtp=values.get("Peak", math.nan),
                lra_lu=values["LRA"],
                threshold_lufs=values["I threshold"],
                lra_low_lufs=values["LRA low"],
                lra_high_lufs=values["LRA high"],
            )
        except KeyError as exc:
            raise MediaError(f"ebur128 summary of {inst} lacks {exc.args[0]!r}") from exc
    return found


def measure_input(input_args: Sequence[str], filters: Sequence[str] = (), *, audio_stream: int = 0,
                  duration_s: float | None = None, progress: ProgressCallback | None = None,
                  subject: Path | str | None = None) -> LoudnessMeasurement:
    """Measure the audio of any ffmpeg input (`["-i", …]` or a lavfi source) after `filters`.

    `filters` is an audio chain to measure without encoding it — e.g. a normalisation being tried.
    """
    meter = loudness_meter("measure")
    args = [*input_args, "-map", f"0:a:{audio_stream}", "-af", ",".join([*filters, meter]),
            "-vn", "-sn", "-dn", "-f", "null", "-"]
    stderr = run_ffmpeg(args, duration_s=duration_s, progress=progress, subject=subject)
    summaries = parse_ebur128(stderr)
    if "measure" not in summaries:
        raise MediaError("ffmpeg printed no loudness summary", path=subject,
                         hint="the input may have no decodable audio")
    result = summaries["measure"]
    if math.isnan(result.true_peak_dbtp):
        raise MediaError("ebur128 printed no true peak", path=subject)
    return result


def measure(path: Path, *, filters: Sequence[str] = (), audio_stream: int = 0, duration_s: float | None = None,
            progress: ProgressCallback | None = None) -> LoudnessMeasurement:
    """Integrated loudness, true peak and loudness range of a file's audio stream `audio_stream`."""
    return measure_input(["-i", safe_input(path)], filters, audio_stream=audio_stream, duration_s=duration_s,
                         progress=progress, subject=path)


@dataclass(frozen=True)
class Normalisation:
    """How to bring a measured programme to its target.

    `limiter_ceiling_dbtp` is None for a pure linear gain. `overshoot_db` is how far the loudest
    true peak would have gone over the ceiling; the limiter takes that much off the peaks only.
    """

    gain_db: float
    limiter_ceiling_dbtp: float | None
    predicted_true_peak_dbtp: float
    overshoot_db: float
    reason: str

    @property
    def linear(self) -> bool:
        return self.limiter_ceiling_dbtp is None

    def filters(self, sample_rate: int = 48000, *, oversample: bool = True) -> list[str]:
        """The audio filters that apply it (`loudness_chain`)."""
        return loudness_chain(self.gain_db, self.limiter_ceiling_dbtp, sample_rate, oversample=oversample)


def loudness_chain(gain_db: float, limiter_ceiling_dbtp: float | None, sample_rate: int = 48000, *,
                   oversample: bool = True) -> list[str]:
    """A correction as ffmpeg filter text: the gain, then (with a ceiling) the true-peak limiter.

    The only place a correction becomes text; everything before keeps the numbers. The limiter runs
    oversampled 4× (after the branch is at `sample_rate`) unless `oversample` is False, as the
    settling trials run it: on the samples the integrated loudness came out the same to 0.1 LU at a
    fraction of the cost (oversampling changes the true peak, which the render's own meter reports).
    """
    steps = [gain(gain_db)]
    if limiter_ceiling_dbtp is not None:
        limiter = true_peak_limiter(limiter_ceiling_dbtp, sample_rate=sample_rate)
        steps += limiter if oversample else [f for f in limiter if f.startswith("alimiter")]
    return steps


def headroom_for(audio_codec: str) -> float:
    """True-peak headroom to keep under the ceiling for a deliverable's audio codec: 0.3 dB for PCM,
    1 dB for lossy AAC, whose decoded peaks came out 0.4 dB above the limiter's on our test signal."""
    return DEFAULT_HEADROOM_DB if audio_codec == "pcm" else 1.0


def normalisation_for(measured: LoudnessMeasurement, target_lufs: float, tp_max_dbtp: float, *,
                      headroom_db: float = DEFAULT_HEADROOM_DB) -> Normalisation:
    """The gain that moves `measured` to `target_lufs`, and a limiter only when the peaks need one.

    Linear when the loudest true peak after the gain stays `headroom_db` under `tp_max_dbtp`: the
    mix keeps its dynamics exactly. Otherwise the same gain plus a true-peak limiter at that
    ceiling: only the few loudest peaks are touched, so the integrated loudness moves by a few
    hundredths for typical speech and music (a large `overshoot_db` — heavy limiting — can leave it a
    few tenths low; the re-measurement shows it). The headroom covers what encoding adds: keep 0.3 dB
    for PCM, give about 1 dB for AAC, whose decoder can overshoot.

    Silence (nothing above the absolute gate) gets no gain rather than a huge one.
    """
    ceiling = tp_max_dbtp - headroom_db
    if measured.silent:
        return Normalisation(0.0, None, measured.true_peak_dbtp, 0.0, "silent: left as it is")
    gain_db = round(target_lufs - measured.integrated_lufs, 2)
    predicted = measured.true_peak_dbtp + gain_db
    if predicted <= ceiling:
        reason = f"linear gain {gain_db:+.2f} dB; true peak {predicted:.1f} dBTP stays under {ceiling:.1f}"
        return Normalisation(gain_db, None, predicted, 0.0, reason)
    overshoot = round(predicted - ceiling, 2)
    reason = (f"gain {gain_db:+.2f} dB would put the true peak at {predicted:.1f} dBTP; "
              f"limiter at {ceiling:.1f} dBTP takes {overshoot:.1f} dB off the peaks")
    return Normalisation(gain_db, round(ceiling, 2), ceiling, overshoot, reason)


PROBE_SUFFIX = "__probe"
"""Appended to a correction's name for the trial metered 1 dB hotter in the first round of `settle`."""

TrialMeter = Callable[[Mapping[str, Normalisation]], Mapping[str, float]]
"""Measures named corrections, all in one audio-only pass: name → integrated loudness (LUFS) of the
programme (or excerpt) after that correction. A name it could not meter is left out."""


def secant_slope(history: Sequence[tuple[float, float]], *, low: float = 0.2, high: float = 1.0) -> float:
    """LU gained per dB of gain, from the last two (gain dB, measured LUFS) trials, kept within
    [`low`, `high`]; 1 (a linear gain's slope) until two trials at different gains exist."""
    if len(history) < 2 or history[-1][0] == history[-2][0]:
        return 1.0
    (g0, l0), (g1, l1) = history[-2:]
    return min(high, max(low, (l1 - l0) / (g1 - g0)))


def settle(corrections: Mapping[str, Normalisation], targets: Mapping[str, float], meter: TrialMeter, *,
           within_lu: float = 0.1, rounds: int = 3, probe_db: float = 1.0) -> dict[str, Normalisation]:
    """Move the gain of every limited correction until what its chain really gives lands within
    `within_lu` of its target; linear corrections are exact and returned as they are.

    Limiting takes energy off the peaks, so a linear prediction lands low (0.9 LU on the sample's
    web cut) and each dB of gain buys only about half a LU. The first round therefore also meters
    each chain `probe_db` hotter (a probe, named `<name>__probe`), and every step follows the secant
    through the last two trials (`secant_slope`): the second round lands, where "add the shortfall"
    took three or more. Every round is one call of `meter` for all corrections still off target,
    so a render with several deliverables pays one audio-only pass per round, not one each.
    The gain of the last round is not metered again: the render's own meter reports it.
    """
    current = dict(corrections)
    history: dict[str, list[tuple[float, float]]] = {}
    pending = {name for name, c in current.items() if not c.linear}
    for number in range(rounds):
        if not pending:
            break
        trials = {name: current[name] for name in sorted(pending)}
        if number == 0:
            trials |= {name + PROBE_SUFFIX: replace(current[name], gain_db=current[name].gain_db + probe_db)
                       for name in sorted(pending)}
        found = meter(trials)
        for name in sorted(pending):
            lufs = found.get(name)
            if lufs is None:  # not metered: keep the prediction
                pending.discard(name)
                continue
            correction = current[name]
            miss = targets[name] - lufs
            if abs(miss) <= within_lu:
                pending.discard(name)
                continue
            tried = history.setdefault(name, [])
            probe = found.get(name + PROBE_SUFFIX)
            if not tried and probe is not None:
                tried.append((correction.gain_db + probe_db, probe))
            tried.append((correction.gain_db, lufs))
            new_gain = round(correction.gain_db + miss / secant_slope(tried), 2)
            current[name] = replace(
                correction, gain_db=new_gain,
                overshoot_db=round(correction.overshoot_db + new_gain - correction.gain_db, 2),
                reason=corrections[name].reason + f"; gain moved to {new_gain:+.2f} dB to make up for the limiting")
    return current


def loudnorm_filters(measured: LoudnessMeasurement, target_lufs: float, tp_max_dbtp: float, *,
                     lra_lu: float | None = None, sample_rate: int = 48000) -> list[str]:
    """Second pass of ffmpeg's `loudnorm`, fed `measured` (from ebur128), in linear mode.

    loudnorm stays linear only when the measured peak plus the gain fits under `tp_max_dbtp`; if not,
    it silently switches to its dynamic mode (see `loudnorm_mode`). It works at 192 kHz, hence the
    final `aresample`. The target LRA defaults to the measured one (plus 1 LU) so it never forces
    compression on its own.
    """
    lra = lra_lu if lra_lu is not None else max(7.0, math.ceil(measured.lra_lu + 1))
    return [
        filter_("loudnorm", I=target_lufs, TP=tp_max_dbtp, LRA=min(50.0, max(1.0, lra)),
                measured_I=round(max(-99.0, measured.integrated_lufs), 2),
                measured_TP=round(max(-99.0, min(99.0, measured.true_peak_dbtp)), 2),
                measured_LRA=round(min(99.0, measured.lra_lu), 2),
                measured_thresh=round(max(-99.0, measured.threshold_lufs), 2),
                offset=0, linear=True, print_format="summary"),
        filter_("aresample", sample_rate),
    ]


def loudnorm_mode(stderr: str) -> str | None:
    """'Linear' or 'Dynamic' from loudnorm's printed summary, or None when it printed none."""
    match = re.search(r"Normalization Type:\s+(\w+)", stderr)
    return match.group(1) if match else None
