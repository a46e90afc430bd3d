"""Line breaking: one line when it fits, else the break a subtitler would choose."""

from __future__ import annotations

import pytest

from pipeline.subs.linebreak import break_lines, glue_mask
from pipeline.subs.style import load_style

VI = load_style("vi")
EN = load_style("en")
NAMES = ("Trà Vinh", "Ao Bà Om", "Khu kinh tế Định An", "Duyên Hải")


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("Xin chào quý vị.", ("Xin chào quý vị.",)),
        (
            "Khu kinh tế Định An nằm ở huyện Duyên Hải, tỉnh Trà Vinh, cách trung tâm 50 km.",
            ("Khu kinh tế Định An nằm ở huyện Duyên Hải,", "tỉnh Trà Vinh, cách trung tâm 50 km."),
        ),
        (
            "Ao Bà Om là một thắng cảnh nổi tiếng của người Khmer ở Trà Vinh",
            ("Ao Bà Om là một thắng cảnh nổi tiếng", "của người Khmer ở Trà Vinh"),
        ),
        (
            "Nhà máy nhiệt điện Duyên Hải có tổng công suất 4.000 MW và đã hòa lưới điện quốc gia năm 2015",
            ("Nhà máy nhiệt điện Duyên Hải có tổng công suất", "4.000 MW và đã hòa lưới điện quốc gia năm 2015"),
        ),
    ],
)
def test_vietnamese_breaks(text: str, lines: tuple[str, ...]) -> None:
    assert break_lines(text, VI, NAMES) == lines


def test_english_breaks_before_a_preposition_not_after_an_article() -> None:
    assert break_lines("The pagoda was built in the tenth century by the Khmer people of the Mekong Delta", EN) == (
        "The pagoda was built in the tenth century",
        "by the Khmer people of the Mekong Delta",
    )


def test_a_protected_name_is_never_split() -> None:
    narrow = load_style("vi", {"chars_per_line": 16})
    text = "Mùa lễ hội ở Ao Bà Om rất vui"
    assert break_lines(text, narrow) == ("Mùa lễ hội ở Ao", "Bà Om rất vui")
    assert break_lines(text, narrow, ["Ao Bà Om"]) == ("Mùa lễ hội ở", "Ao Bà Om rất vui")


def test_the_line_limit_wins_over_a_name_when_both_cannot_hold() -> None:
    # Lint reports a long line; nothing would report the split name, so the limit is kept.
    narrow = load_style("vi", {"chars_per_line": 14})
    assert break_lines("Mùa lễ hội ở Ao Bà Om rất vui", narrow, ["Ao Bà Om"]) == ("Mùa lễ hội ở Ao", "Bà Om rất vui")


def test_a_number_keeps_its_unit() -> None:
    narrow = load_style("vi", {"chars_per_line": 22})
    for lines in (
        break_lines("Sản lượng đạt 2,5 triệu tấn mỗi năm", narrow),
        break_lines("Công suất tổng cộng 1.200 MW", narrow),
    ):
        joined = "|".join(lines)
        assert "2,5|" not in joined and "|triệu" not in joined and "1.200|" not in joined


def test_glue_mask_marks_names_numbers_units_and_prefixes() -> None:
    text = "năm 2015 tỉnh Trà Vinh thu 2,5 tỷ đồng , tăng 30 %"
    assert glue_mask(text.split(), VI, ["Trà Vinh"]) == [
        True,  # năm 2015
        False,
        False,
        True,  # Trà Vinh
        False,
        False,
        True,  # 2,5 tỷ
        True,  # tỷ đồng
        True,  # a lone comma stays on its word
        False,
        False,
        True,  # 30 %
    ]


def test_bottom_heavy_and_balanced_shapes() -> None:
    text = "một hai ba bốn năm sáu bảy tám chín mười mười một mười hai"
    narrow = {"chars_per_line": 40, "compounds": [], "break_before": [], "avoid_break_after": []}
    bottom = break_lines(text, load_style("vi", narrow))
    balanced = break_lines(text, load_style("vi", {**narrow, "line_balance": "balanced"}))
    assert len(bottom[0]) <= len(bottom[1])
    assert abs(len(balanced[0]) - len(balanced[1])) <= 4


def test_a_word_longer_than_a_line_is_returned_with_its_overflow() -> None:
    narrow = load_style("vi", {"chars_per_line": 8, "lines_per_cue": 1})
    assert break_lines("Supercalifragilistic", narrow) == ("Supercalifragilistic",)
    three = load_style("vi", {"chars_per_line": 11, "lines_per_cue": 3})
    lines = break_lines("một hai ba bốn năm sáu bảy tám", three)
    assert len(lines) == 3 and max(map(len, lines)) <= 11
    assert " ".join(lines) == "một hai ba bốn năm sáu bảy tám"
