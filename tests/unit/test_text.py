"""The one diacritic fold (pipeline/text.py)."""

from __future__ import annotations

import unicodedata

import pytest

from pipeline.text import ascii_fold, fold, strip_diacritics


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Đường ĐẾN Trà Vinh", "duong den tra vinh"),
        ("đ", "d"),
        ("Đ", "d"),
        ("Ao Bà Om", "ao ba om"),
        ("Tiểu Cần", "tieu can"),
        ("ỨNG", "ung"),
        ("duong", "duong"),
    ],
)
def test_fold_ignores_case_diacritics_and_the_bar_of_d(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_is_the_same_for_either_normal_form() -> None:
    text = "Người dân Đồng Tháp"
    assert fold(unicodedata.normalize("NFD", text)) == fold(text) == "nguoi dan dong thap"


def test_strip_diacritics_keeps_case_and_ascii_fold_drops_the_rest() -> None:
    assert strip_diacritics("Trà Vinh đẹp, Đất") == "Tra Vinh dep, Dat"
    assert strip_diacritics("Ø ß") == "Ø ß"  # letters of their own, not marked letters
    assert ascii_fold("Trà Vinh: Đất và Người — 2024") == "Tra Vinh: Dat va Nguoi  2024"
