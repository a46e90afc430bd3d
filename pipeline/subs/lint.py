"""Lint: every way a list of cues breaks the profile, with the cue, the timecode and the numbers.

Lint never changes cues; it reports, so the same check runs on what the segmenter wrote, on an
editor's hand-edited file and on a file a translator sends back. Severities come from the profile
(`Style.severity`), so a broadcaster's spec can demote or silence a rule without code changes.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

from ..intervals import overlaps
from ..timecode import fmt_rate, ms_to_timecode
from .cues import Cue, frame_at, frames_ms
from .style import RULES, Style

_MARKUP = re.compile(r"</?[A-Za-z][^<>]*>|<\d[\d:.]*>|\{\\[^{}]*\}")

Number = int | float


@dataclass(frozen=True)
class LintIssue:
    """One rule broken by one cue (`cue` is its 1-based position in the list, not its index field)."""

    cue: int
    start_ms: int
    timecode: str
    rule: str
    severity: str
    message: str
    value: Number | str | None = None
    limit: Number | str | None = None


@dataclass(frozen=True)
class LintReport:
    """What lint found, for the CLI (text or JSON) and for the subtitles stage's report file."""

    issues: tuple[LintIssue, ...]
    cue_count: int
    profile: str
    frame_rate: Fraction

    @property
    def errors(self) -> tuple[LintIssue, ...]:
        """Issues that must be fixed before delivery."""
        return tuple(issue for issue in self.issues if issue.severity == "error")

    @property
    def warnings(self) -> tuple[LintIssue, ...]:
        """Issues worth a look."""
        return tuple(issue for issue in self.issues if issue.severity == "warning")

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        """Plain data for `--json` and the stage's lint report file."""
        return {
            "profile": self.profile,
            "frame_rate": fmt_rate(self.frame_rate),
            "cues": self.cue_count,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "issues": [asdict(issue) for issue in self.issues],
        }

    def format_text(self, name: str = "") -> str:
        """A report an editor reads: a summary line, then one line per issue in time order."""
        head = f"{name}: " if name else ""
        errors, warnings = len(self.errors), len(self.warnings)
        lines = [
            f"{head}{self.cue_count} cues, {errors} error{'s' * (errors != 1)}, "
            f"{warnings} warning{'s' * (warnings != 1)} (profile {self.profile}, {fmt_rate(self.frame_rate)} fps)"
        ]
        for issue in self.issues:
            lines.append(
                f"  cue {issue.cue:>4}  {issue.timecode}  {issue.severity:<7}  {issue.rule:<18}  {issue.message}"
            )
        return "\n".join(lines)


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


class _Checker:
    def __init__(self, style: Style, rate: Fraction) -> None:
        self.style = style
        self.rate = rate
        self.issues: list[LintIssue] = []

    def add(
        self,
        position: int,
        cue: Cue,
        rule: str,
        message: str,
        value: Number | str | None = None,
        limit: Number | str | None = None,
    ) -> None:
        """Record an issue at the severity the profile gives the rule (nothing when 'off')."""
        severity = self.style.severity(rule)
        if severity == "off":
            return
        self.issues.append(
            LintIssue(
                position,
                cue.start_ms,
                ms_to_timecode(max(0, cue.start_ms), self.rate),
                rule,
                severity,
                message,
                value,
                limit,
            )
        )

    def frames(self, ms: int) -> Fraction:
        """A duration in (fractional) frames at the rate being checked."""
        return Fraction(ms) * self.rate / 1000

    def text(self, position: int, cue: Cue) -> None:
        """Rules about the text alone: empty, lines, line length, NFC, markup, dashes."""
        style = self.style
        if not cue.flat_text:
            self.add(position, cue, "empty", "has no text")
            return
        if len(cue.lines) > style.lines_per_cue:
            self.add(
                position,
                cue,
                "lines-per-cue",
                f"{len(cue.lines)} lines > {style.lines_per_cue}",
                len(cue.lines),
                style.lines_per_cue,
            )
        for number, line in enumerate(cue.lines, 1):
            if len(line) > style.chars_per_line:
                self.add(
                    position,
                    cue,
                    "chars-per-line",
                    f"line {number} has {len(line)} characters > {style.chars_per_line}",
                    len(line),
                    style.chars_per_line,
                )
        if any(unicodedata.normalize("NFC", line) != line for line in cue.lines):
            self.add(position, cue, "not-nfc", "text is not NFC (the same letter typed two ways)")
        vulgar = sorted({w for line in cue.lines for w in _WORD.findall(line.lower()) if w in SENSITIVE_WORDS})
        if vulgar:
            self.add(position, cue, "sensitive-word", f"contains {', '.join(vulgar)}", ", ".join(vulgar))
        found = sorted({match.group(0) for line in cue.lines for match in _MARKUP.finditer(line)})
        if found:
            self.add(position, cue, "markup", f"contains markup {' '.join(found)}", " ".join(found))
        if cue.markup:
            self.add(
                position,
                cue,
                "markup-removed",
                f"markup removed when read: {' '.join(cue.markup)}",
                " ".join(cue.markup),
            )
        if cue.speaker_change and not all(line.startswith(style.speaker_dash.strip()) for line in cue.lines):
            self.add(position, cue, "speaker-dash", "two speakers, but not every line starts with a dash")

    def timing(self, position: int, cue: Cue) -> None:
        """Rules about one cue's times: order within the cue, durations, reading speed."""
        style = self.style
        duration = cue.duration_ms
        if duration < 0:
            self.add(position, cue, "order", f"ends {-duration} ms before it starts", duration, 0)
            return
        if duration < style.min_duration_ms:
            self.add(
                position,
                cue,
                "min-duration",
                f"{duration} ms < {style.min_duration_ms} ms",
                duration,
                style.min_duration_ms,
            )
        if duration > style.max_duration_ms:
            self.add(
                position,
                cue,
                "max-duration",
                f"{duration} ms > {style.max_duration_ms} ms",
                duration,
                style.max_duration_ms,
            )
        if not cue.char_count:
            return
        cps = cue.cps
        shown = round(cps, 1) if cps != float("inf") else "inf"
        if style.max_cps_hard is not None and cps > style.max_cps_hard + 1e-9:
            self.add(
                position,
                cue,
                "reading-speed-hard",
                f"{_fmt(cps)} characters/second > hard ceiling {_fmt(style.max_cps_hard)}",
                shown,
                style.max_cps_hard,
            )
        elif cps > style.max_cps + 1e-9:
            self.add(
                position,
                cue,
                "reading-speed",
                f"{_fmt(cps)} characters/second > {_fmt(style.max_cps)}",
                shown,
                style.max_cps,
            )

    def pair(self, position: int, before: Cue, cue: Cue, cut_frames: Sequence[int]) -> None:
        """Rules between a cue and the one before it: order, overlap, minimum gap, gap closing."""
        style = self.style
        if cue.start_ms < before.start_ms:
            self.add(position, cue, "order", f"starts before cue {position - 1}")
            return
        gap = cue.start_ms - before.end_ms
        if gap < 0:
            self.add(position, cue, "overlap", f"starts {-gap} ms before cue {position - 1} ends", gap, 0)
            return
        min_gap = frames_ms(style.min_gap_frames, self.rate)
        # 1 ms of slack: frame times are rounded to whole ms at rates like 29.97.
        if gap + 1 < min_gap:
            self.add(
                position,
                cue,
                "min-gap",
                f"gap {gap} ms < {_fmt(float(min_gap))} ms ({style.min_gap_frames} frames)",
                gap,
                round(float(min_gap)),
            )
        elif gap + 1 < frames_ms(style.close_gap_frames, self.rate) and gap > min_gap + 1:
            on_cut = _on_cut(frame_at(before.end_ms, self.rate), cut_frames, style.min_gap_frames)
            if not on_cut:
                self.add(
                    position,
                    cue,
                    "gap-close",
                    f"gap {gap} ms flickers: close it to {style.min_gap_frames} frames",
                    gap,
                    round(float(min_gap)),
                )

    def shots(self, position: int, cue: Cue, cut_frames: Sequence[int]) -> None:
        """Outs just off a cut, and ins just before one."""
        window = self.style.shot_change_frames
        end = frame_at(cue.end_ms, self.rate)
        start = frame_at(cue.start_ms, self.rate)
        cut = _nearest(cut_frames, end, window)
        # Within the minimum gap of the cut counts as on it: the next cue may start on the cut itself.
        if cut is not None and cut > start and abs(end - cut) > self.style.min_gap_frames:
            off = end - cut
            self.add(
                position,
                cue,
                "shot-change",
                f"ends {abs(off)} frames {'after' if off > 0 else 'before'} a shot change: end on the cut",
                off,
                0,
            )
        cut = _nearest(cut_frames, start + window // 2, window - window // 2)
        if cut is not None and self.style.lead_in_frames < cut - start <= window:
            self.add(
                position, cue, "shot-change", f"starts {cut - start} frames before a shot change", cut - start, window
            )

    def speech(
        self,
        position: int,
        cue: Cue,
        neighbours: tuple[int | None, int | None],
        spans: Sequence[tuple[int, int]],
        starts: Sequence[int],
        cut_frames: Sequence[int],
    ) -> None:
        """Lead-in and hang-on against the speech; `neighbours` are the previous end, next start."""
        style = self.style
        lo = max(0, bisect_left(starts, cue.start_ms) - 1)
        hi = bisect_left(starts, cue.end_ms)
        overlapping = [span for span in spans[lo:hi] if overlaps(span, (cue.start_ms, cue.end_ms))]
        if not overlapping:
            return
        speech_start = min(a for a, _ in overlapping)
        speech_end = max(b for _, b in overlapping)
        lead = self.frames(speech_start - cue.start_ms)
        previous_end, next_start = neighbours
        # Speech that began under the previous cue is a continuation, not a late start.
        continued = previous_end is not None and previous_end > speech_start
        if lead > style.lead_in_frames:
            self.add(
                position,
                cue,
                "speech-sync",
                f"starts {_fmt(float(lead))} frames before the speech",
                round(float(lead), 1),
                style.lead_in_frames,
            )
        elif -lead > style.lead_in_frames and not continued:
            self.add(
                position,
                cue,
                "speech-sync",
                f"starts {_fmt(float(-lead))} frames after the speech",
                round(float(lead), 1),
                style.lead_in_frames,
            )
        hang = self.frames(cue.end_ms - speech_end)
        # Closing a small gap or ending on a cut are reasons to stay up longer.
        closed = next_start is not None and next_start - cue.end_ms <= frames_ms(style.min_gap_frames, self.rate) + 1
        on_cut = _on_cut(frame_at(cue.end_ms, self.rate), cut_frames, style.min_gap_frames)
        if hang > style.hang_on_frames and not closed and not on_cut:
            shorter = speech_end + round(frames_ms(style.hang_on_frames, self.rate)) - cue.start_ms
            needed = max(style.min_duration_ms, cue.char_count * 1000 / style.max_cps)
            if shorter >= needed:
                self.add(
                    position,
                    cue,
                    "hang-on",
                    f"stays {_fmt(float(hang))} frames after the speech ends",
                    round(float(hang), 1),
                    style.hang_on_frames,
                )


    def end(self, position: int, cue: Cue, end_ms: int) -> None:
        """A cue on screen after the programme's last frame: no deliverable shows it whole, and a
        player holds it over black or the next programme."""
        if cue.end_ms > end_ms + 1:  # 1 ms of slack: frame times are rounded to whole ms
            over = cue.end_ms - end_ms
            where = "starts" if cue.start_ms >= end_ms else "ends"
            self.add(position, cue, "past-end",
                     f"{where} after the programme's end at {ms_to_timecode(end_ms, self.rate)} "
                     f"(ends {over} ms past it): end it by then", over, 0)


def _nearest(frames: Sequence[int], frame: int, within: int) -> int | None:
    at = bisect_left(frames, frame - within)
    best: int | None = None
    while at < len(frames) and frames[at] <= frame + within:
        if best is None or abs(frames[at] - frame) < abs(best - frame):
            best = frames[at]
        at += 1
    return best


def _on_cut(end: int, cut_frames: Sequence[int], gap_frames: int) -> bool:
    cut = _nearest(cut_frames, end, gap_frames)
    return cut is not None and end - gap_frames <= cut <= end + gap_frames


# Vulgar words that Whisper produces from innocent speech ("luồng" heard as "lồn"): a broadcaster
# must never air them by accident, so every one is shown to the editor.
SENSITIVE_WORDS = frozenset({
    "lồn", "buồi", "cặc", "đụ", "địt", "đéo", "đĩ", "dái", "fuck", "fucking", "shit", "cunt", "dick",
})
_WORD = re.compile(r"\w+", re.UNICODE)


def lint(
    cues: Sequence[Cue],
    style: Style,
    frame_rate: Fraction | None = None,
    *,
    shot_changes_ms: Sequence[int] = (),
    speech_spans_ms: Sequence[tuple[int, int]] | None = None,
    end_ms: int | None = None,
) -> LintReport:
    """Check `cues` against `style` at `frame_rate` (the profile's by default).

    With `shot_changes_ms`, outs near a cut are checked; with `speech_spans_ms` (start, end of
    each stretch of speech), lead-in and hang-on are checked too; with `end_ms` (the programme's
    duration), a cue still up after it is an error (`past-end`).
    """
    rate = frame_rate or style.frame_rate
    checker = _Checker(style, rate)
    cut_frames = sorted({frame_at(ms, rate) for ms in shot_changes_ms})
    spans = sorted(speech_spans_ms or ())
    span_starts = [a for a, _ in spans]
    for position, cue in enumerate(cues, 1):
        checker.text(position, cue)
        checker.timing(position, cue)
        if end_ms is not None:
            checker.end(position, cue, end_ms)
        if position > 1:
            checker.pair(position, cues[position - 2], cue, cut_frames)
        if cut_frames:
            checker.shots(position, cue, cut_frames)
        if spans:
            previous_end = cues[position - 2].end_ms if position > 1 else None
            next_start = cues[position].start_ms if position < len(cues) else None
            checker.speech(position, cue, (previous_end, next_start), spans, span_starts, cut_frames)
    order = {rule: n for n, rule in enumerate(RULES)}
    issues = sorted(checker.issues, key=lambda issue: (issue.cue, order[issue.rule]))
    return LintReport(tuple(issues), len(cues), style.name, rate)
