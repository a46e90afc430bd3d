"""The manifest's `social:` names the excerpt's own title and the platforms its package is for; the
platforms are the keys of `platforms.PLATFORMS`, YouTube Shorts among them."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from pipeline.errors import ManifestError
from pipeline.publish.social.platforms import (
    DEFAULT_SOCIAL_PLATFORMS,
    PLATFORMS,
    VERTICAL,
    YOUTUBE_SHORTS,
    Measured,
    check_measured,
    check_text_zone,
)
from pipeline.validate import load_manifest

BASE = """
id: dautu
title: {vi: "Trà Vinh – Điểm hẹn của nhà đầu tư", en: "Trà Vinh – Where Investors Meet"}
synopsis: {vi: "Tiềm năng", en: "Potential"}
footage: [{file: rush.mp4, id: rush}]
timeline: {cut: [{clip: rush, in: "00:00:01:00", out: "00:01:40:00"}]}
social:
  in: "00:00:40:18"
  out: "00:01:02:18"
"""


def _load(tmp_path: Path, extra: str = "") -> object:
    (tmp_path / "rush.mp4").write_bytes(b"x")
    path = tmp_path / "dautu.yaml"
    path.write_text(BASE + extra, encoding="utf-8")
    return load_manifest(path)


def test_a_manifest_written_before_keeps_its_package(tmp_path: Path) -> None:
    social = _load(tmp_path).manifest.social  # type: ignore[attr-defined]
    assert (social.start, social.end, social.title, social.platforms) == ("00:00:40:18", "00:01:02:18", None, None)
    assert social.platform_keys == DEFAULT_SOCIAL_PLATFORMS
    assert social.platform_keys == ("youtube", "facebook-reels", "tiktok", "youtube-shorts", "zalo-oa")
    assert "youtube-shorts" in DEFAULT_SOCIAL_PLATFORMS


def test_the_excerpt_has_its_own_title_composed(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "Chuỗi giá trị dừa")
    social = _load(tmp_path, f'  title: {{vi: "{decomposed}", en: "The coconut value chain"}}\n'
                             "  platforms: [tiktok, youtube-shorts]\n").manifest.social  # type: ignore[attr-defined]
    assert social.title.vi == "Chuỗi giá trị dừa" and unicodedata.is_normalized("NFC", social.title.vi)
    assert social.platform_keys == ("tiktok", "youtube-shorts")


def test_an_unknown_platform_is_named_with_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as err:
        _load(tmp_path, "  platforms: [tiktok, instagram-reels]\n")
    message = str(err.value)
    assert "dautu.yaml" in message and "social.platforms[1] 'instagram-reels' is not a social platform" in message
    assert all(key in message for key in PLATFORMS)


@pytest.mark.parametrize(("platforms", "problem"), [
    ("[]", "social.platforms lists no platform"),
    ("[tiktok, zalo-oa, tiktok]", "social.platforms lists tiktok more than once"),
    ("tiktok", "social.platforms Input should be a valid list"),
])
def test_a_platform_list_that_says_nothing_or_twice_is_refused(tmp_path: Path, platforms: str, problem: str) -> None:
    with pytest.raises(ManifestError, match=problem):
        _load(tmp_path, f"  platforms: {platforms}\n")


def test_an_excerpt_title_needs_both_languages(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"social\.title\.en is required"):
        _load(tmp_path, '  title: {vi: "Dừa"}\n')


# -- YouTube Shorts, as data with its source ---------------------------------------------------------------


def _vertical(seconds: float, width: int = 1080, height: int = 1920) -> Measured:
    return Measured(seconds, 20_000_000, ("mov", "mp4"), width, height, 25.0, (0.0, 2.0), 0, "aac", 48000, 192.0)


def test_shorts_take_three_minutes_of_vertical_video() -> None:
    p = PLATFORMS["youtube-shorts"]
    assert p is YOUTUBE_SHORTS and p in VERTICAL
    assert "Upload YouTube Shorts" in p.source and "15 October 2024" in p.source
    assert p.duration_s == (0.0, 180.0) and p.title is not None and p.title.chars == 100
    assert all(f.ok for f in check_measured(_vertical(150.0), p, "cut.mp4"))  # over Reels' 90 s, a Short
    duration = next(f for f in check_measured(_vertical(185.0), p, "cut.mp4") if f.check == "duration")
    assert duration.level == "fail" and "over YouTube Shorts' 180 s limit" in duration.message
    aspect = next(f for f in check_measured(_vertical(60.0, 1920, 1080), p, "web.mp4") if f.check == "aspect ratio")
    assert aspect.level == "fail" and "not 9:16" in aspect.message


def test_shorts_publish_no_safe_zone_so_the_vertical_box_is_unchanged() -> None:
    assert YOUTUBE_SHORTS.safe_zone is None
    assert [f.level for f in check_text_zone([(0, 0, 1080, 1920)], YOUTUBE_SHORTS)] == ["note"]
