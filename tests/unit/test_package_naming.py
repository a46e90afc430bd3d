"""Delivered file names: ASCII, no diacritics, one scheme."""

from __future__ import annotations

import pytest

from pipeline.package.naming import ascii_name, bag_name, delivered


@pytest.mark.parametrize(("text", "expected"), [
    ("Trà Vinh", "TRA_VINH"),
    ("Đầu tư", "DAU_TU"),
    ("đường Đồng Khởi", "DUONG_DONG_KHOI"),
    ("Ao Bà Om – chùa Âng", "AO_BA_OM_CHUA_ANG"),
    ("Phỏng vấn Giám đốc Sở", "PHONG_VAN_GIAM_DOC_SO"),
    ("Nguyễn Thị Ưởng ỹ", "NGUYEN_THI_UONG_Y"),
    ("travinh-dautu", "TRAVINH_DAUTU"),
    ("  ", "X"),
])
def test_ascii_name(text: str, expected: str) -> None:
    assert ascii_name(text) == expected
    assert ascii_name(text).isascii()


def test_ascii_name_decomposed_input() -> None:
    import unicodedata

    assert ascii_name(unicodedata.normalize("NFD", "Duyên Hải")) == "DUYEN_HAI"
    assert ascii_name("Trà Vinh", upper=False) == "Tra_Vinh"


def test_scheme() -> None:
    base = bag_name("travinh-dautu", 2026)
    assert base == "TRAVINH_DAUTU_2026"
    assert delivered(base, "BROADCAST_XDCAM", ".MXF") == "TRAVINH_DAUTU_2026_BROADCAST_XDCAM.mxf"
    assert delivered(base, "sub vi", "srt") == "TRAVINH_DAUTU_2026_SUB_VI.srt"
    assert bag_name("dautu", None) == "DAUTU"
