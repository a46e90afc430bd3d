"""Lint: each rule with literal cues, severities from the profile, and the report's two forms."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest

from pipeline.subs.cues import Cue
from pipeline.subs.lint import LintIssue, lint
from pipeline.subs.style import Style, load_style

VI = load_style("vi")
EN = load_style("en")


def rules(cues: list[Cue], style: Style = VI, **kwargs: Any) -> list[tuple[int, str, str]]:
    """(cue, rule, severity) of each issue, the shortest literal to compare."""
    return [(issue.cue, issue.rule, issue.severity) for issue in lint(cues, style, **kwargs).issues]


def test_clean_cues_have_no_issues() -> None:
    cues = [Cue(1, 1000, 3000, ("Xin chào quý vị.",)), Cue(2, 3080, 6000, ("Hôm nay chúng ta", "đi Trà Vinh."))]
    report = lint(cues, VI)
    assert report.issues == () and report.ok


def test_chars_lines_and_empty() -> None:
    long_line = "x" * 43
    cues = [
        Cue(1, 0, 5000, (long_line,)),
        Cue(2, 5080, 9000, ("a", "b", "c")),
        Cue(3, 9080, 10000, ()),
    ]
    report = lint(cues, VI)
    assert report.issues[0] == LintIssue(
        1, 0, "00:00:00:00", "chars-per-line", "error", "line 1 has 43 characters > 42", 43, 42
    )
    assert rules(cues) == [(1, "chars-per-line", "error"), (2, "lines-per-cue", "error"), (3, "empty", "error")]


def test_reading_speed_is_an_error_in_vietnamese() -> None:
    cue = Cue(1, 0, 1000, ("x" * 18,))
    assert rules([cue]) == [(1, "reading-speed", "error")]
    assert lint([cue], VI).issues[0].message == "18 characters/second > 17"


def test_english_warns_between_target_and_ceiling_and_errs_above() -> None:
    assert rules([Cue(1, 0, 1000, ("x" * 18,))], EN) == [(1, "reading-speed", "warning")]
    assert rules([Cue(1, 0, 1000, ("x" * 21,))], EN) == [(1, "reading-speed-hard", "error")]
    assert rules([Cue(1, 0, 1000, ("x" * 17,))], EN) == []


def test_durations() -> None:
    assert rules([Cue(1, 0, 800, ("Vâng.",))]) == [(1, "min-duration", "error")]
    assert rules([Cue(1, 0, 833, ("Vâng.",))]) == []
    assert rules([Cue(1, 0, 7040, ("Một câu dài.",))]) == [(1, "max-duration", "error")]
    assert rules([Cue(1, 2000, 1000, ("Ngược.",))]) == [(1, "order", "error")]


def test_gaps_overlaps_and_order() -> None:
    first = Cue(1, 1000, 3000, ("Một.",))
    assert rules([first, Cue(2, 3040, 5000, ("Hai.",))]) == [(2, "min-gap", "error")]
    assert rules([first, Cue(2, 3080, 5000, ("Hai.",))]) == []
    assert rules([first, Cue(2, 3200, 5000, ("Hai.",))]) == [(2, "gap-close", "warning")]
    assert rules([first, Cue(2, 3480, 5000, ("Hai.",))]) == []  # 12 frames: a real pause
    assert rules([first, Cue(2, 2500, 5000, ("Hai.",))]) == [(2, "overlap", "error")]
    assert rules([first, Cue(2, 500, 5000, ("Hai.",))]) == [(2, "order", "error")]


def test_text_form_and_markup() -> None:
    decomposed = unicodedata.normalize("NFD", "Trà Vinh")
    cues = [
        Cue(1, 0, 2000, (decomposed,)),
        Cue(2, 2080, 4000, ("<i>Trà Vinh</i>",)),
        Cue(3, 4080, 6000, ("Trà Vinh",), markup=("<i>",)),
    ]
    assert rules(cues) == [(1, "not-nfc", "error"), (2, "markup", "error"), (3, "markup-removed", "warning")]


def test_speaker_dashes() -> None:
    assert rules([Cue(1, 0, 2000, ("- Đi đâu?", "Ra chợ."), speaker_change=True)]) == [(1, "speaker-dash", "warning")]


def test_shot_changes() -> None:
    cue = Cue(1, 1000, 3000, ("Xin chào quý vị.",))
    assert rules([cue], shot_changes_ms=[3000]) == []
    assert rules([cue], shot_changes_ms=[2960]) == []  # ends within the minimum gap of the cut
    assert rules([cue], shot_changes_ms=[3200]) == [(1, "shot-change", "warning")]
    assert rules([cue], shot_changes_ms=[2800]) == [(1, "shot-change", "warning")]
    assert rules([cue], shot_changes_ms=[3600]) == []
    assert rules([cue], shot_changes_ms=[1200]) == [(1, "shot-change", "warning")]  # starts 5 frames before
    message = lint([cue], VI, shot_changes_ms=[3200]).issues[0].message
    assert message == "ends 5 frames before a shot change: end on the cut"


def test_speech_sync_and_hang_on() -> None:
    speech = [(1000, 2000)]
    assert rules([Cue(1, 1000, 2400, ("Xin chào.",))], speech_spans_ms=speech) == []
    assert rules([Cue(1, 800, 2400, ("Xin chào.",))], speech_spans_ms=speech) == [(1, "speech-sync", "warning")]
    assert rules([Cue(1, 1200, 2400, ("Xin chào.",))], speech_spans_ms=speech) == [(1, "speech-sync", "warning")]
    assert rules([Cue(1, 1000, 3000, ("Xin chào.",))], speech_spans_ms=speech) == [(1, "hang-on", "warning")]
    # Staying up is fine when reading speed needs the time.
    assert rules([Cue(1, 1000, 3000, ("x" * 34,))], speech_spans_ms=speech) == []


def test_profile_severities_demote_and_silence_rules() -> None:
    relaxed = load_style("vi", {"severities": {"min-gap": "warning", "gap-close": "off"}})
    first = Cue(1, 1000, 3000, ("Một.",))
    assert rules([first, Cue(2, 3040, 5000, ("Hai.",))], relaxed) == [(2, "min-gap", "warning")]
    assert rules([first, Cue(2, 3200, 5000, ("Hai.",))], relaxed) == []


def test_report_as_json_and_text() -> None:
    cues = [Cue(1, 61_000, 61_500, ("Vâng.",))]
    report = lint(cues, VI)
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert data["errors"] == 1 and data["warnings"] == 0 and data["frame_rate"] == "25"
    assert data["issues"][0]["rule"] == "min-duration" and data["issues"][0]["timecode"] == "00:01:01:00"
    assert report.format_text("vi.srt") == (
        "vi.srt: 1 cues, 1 error, 0 warnings (profile vi, 25 fps)\n"
        "  cue    1  00:01:01:00  error    min-duration        500 ms < 833 ms"
    )


@pytest.mark.parametrize("position", [1, 2])
def test_cue_numbers_are_positions_not_the_index_field(position: int) -> None:
    cues = [Cue(9, 0, 2000, ("Một.",)), Cue(9, 2080, 4000, ("Hai.",))]
    cues[position - 1] = Cue(9, cues[position - 1].start_ms, cues[position - 1].start_ms + 100, ("Ba.",))
    assert [issue.cue for issue in lint(cues, VI).issues if issue.rule == "min-duration"] == [position]


def test_out_within_the_minimum_gap_of_a_cut_counts_as_on_the_cut() -> None:
    from fractions import Fraction

    from pipeline.subs import Cue, lint, load_style

    style = load_style("vi")
    cut_ms = 4000
    on_cut = [Cue(1, 1000, cut_ms - 80, ("Khu kinh tế Định An",)), Cue(2, cut_ms, 6000, ("mở ra cơ hội mới",))]
    assert not [i for i in lint(on_cut, style, Fraction(25), shot_changes_ms=[cut_ms]).issues
                if i.rule == "shot-change"]
    short = [Cue(1, 1000, cut_ms - 200, ("Khu kinh tế Định An",)), Cue(2, cut_ms, 6000, ("mở ra cơ hội mới",))]
    assert "shot-change" in [i.rule for i in lint(short, style, Fraction(25), shot_changes_ms=[cut_ms]).issues]
