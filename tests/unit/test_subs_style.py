"""Style profiles: the shipped files, layering, overrides, and errors naming file and field."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from pipeline.errors import SubtitleError
from pipeline.subs.style import RULES, available_styles, load_style, style_from_mapping


def test_shipped_profiles_hold_the_delivery_numbers() -> None:
    vi, en, social = load_style("vi"), load_style("en"), load_style("social")
    assert (vi.chars_per_line, vi.lines_per_cue, vi.max_cps, vi.max_cps_hard) == (42, 2, 17.0, None)
    assert (vi.min_duration_ms, vi.max_duration_ms, vi.frame_rate) == (833, 7000, Fraction(25))
    assert (vi.min_gap_frames, vi.close_gap_frames, vi.lead_in_frames, vi.hang_on_frames) == (2, 12, 3, 12)
    assert vi.severity("reading-speed") == "error"
    assert {"và", "của", "trong", "bởi vì"} <= vi.break_before
    assert "tỷ đồng" in vi.units
    assert (en.max_cps, en.max_cps_hard, en.severity("reading-speed")) == (17.0, 20.0, "warning")
    assert {"and", "of", "on", "that"} <= en.break_before
    assert (social.name, social.language, social.chars_per_line, social.max_duration_ms) == ("social", "vi", 32, 5000)
    assert {"en", "social", "vi"} <= set(available_styles())


def test_layering_puts_a_delta_profile_over_another_language() -> None:
    style = load_style("en+social")
    assert (style.name, style.language, style.chars_per_line, style.max_duration_ms) == ("en+social", "en", 32, 5000)
    assert "and" in style.break_before


def test_overrides_change_single_fields_and_are_checked() -> None:
    style = load_style("vi", {"chars_per_line": 37, "frame_rate": "30000/1001"})
    assert style.chars_per_line == 37
    assert style.frame_rate == Fraction(30000, 1001)
    with pytest.raises(SubtitleError, match="chars_per_line must be between 8 and 200, got 2"):
        load_style("vi", {"chars_per_line": 2})


def test_a_custom_file_starts_from_a_shipped_profile(tmp_path: Path) -> None:
    path = tmp_path / "centre.yaml"
    path.write_text("base: vi\nmax_cps: 15\nseverities: {min-gap: warning, shot-change: 'off'}\n", encoding="utf-8")
    style = load_style(path)
    assert (style.name, style.max_cps, style.chars_per_line) == ("centre", 15.0, 42)
    assert style.severity("min-gap") == "warning"
    assert style.severity("shot-change") == "off"
    assert style.severity("overlap") == "error"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("chars_per_line: forty", "bad.yaml: chars_per_line must be a whole number, got 'forty'"),
        ("max_cps: -1", "bad.yaml: max_cps must be between 1 and 100, got -1"),
        ("line_balance: top", "line_balance must be one of bottom-heavy, balanced"),
        ("colour: red", "bad.yaml: colour is not a known field (check its spelling)"),
        ("severities: {speed: error}", "unknown rule 'speed'"),
        ("severities: {overlap: fatal}", "must be error, warning or off"),
        ("break_before: [and, on]", "quote them"),
        ("frame_rate: 0", "frame_rate must be between 1 and 240 fps"),
        ("min_duration_ms: 8000", "min_duration_ms must be below max_duration_ms"),
        ("max_cps_hard: 10", "max_cps_hard must not be below max_cps"),
        ("- a list", "must be a YAML mapping of style fields"),
        ("chars_per_line: [", "bad.yaml: is not valid YAML at line 2, column 1"),
        ("name: \udcff", "bad.yaml: is not UTF-8 text"),
    ],
)
def test_errors_name_the_file_and_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text + "\n", encoding="utf-8", errors="surrogateescape")
    with pytest.raises(SubtitleError, match=r"bad\.yaml") as caught:
        load_style(path)
    assert message in str(caught.value)


def test_unknown_profile_names_the_ones_that_exist() -> None:
    with pytest.raises(SubtitleError) as caught:
        load_style("fr")
    assert "no subtitle style profile named 'fr'" in str(caught.value)
    assert caught.value.hint is not None and "vi" in caught.value.hint


def test_inheritance_loops_are_reported(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("base: ./b.yaml\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("base: ./a.yaml\n", encoding="utf-8")
    with pytest.raises(SubtitleError, match="loop"):
        load_style(tmp_path / "a.yaml")


def test_profile_as_plain_data() -> None:
    data = load_style("vi").to_dict()
    assert json.loads(json.dumps(data))["frame_rate"] == "25"
    assert style_from_mapping({"name": "inline", "chars_per_line": 30}).chars_per_line == 30
    assert set(RULES) >= {"chars-per-line", "reading-speed-hard", "min-gap", "overlap", "not-nfc", "markup"}
