"""Burned-in cues over lower thirds (`render/overlap.py`): the subtitle box against what libass
really draws, lower thirds carried into each deliverable's picture, and the time and screen rules."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest

from pipeline.fonts import fonts_dir
from pipeline.media import graphs as g
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.profiles import Margins, Profile, SafeAreas, load_profile
from pipeline.qc.plan import Status
from pipeline.qc.subtitles import lower_third_verdict
from pipeline.render import overlap
from pipeline.render.ass import ass_document
from pipeline.render.overlap import (
    LowerThirdArea,
    Rect,
    estimated_lower_third_box,
    find_overlaps,
    placement_for,
    subtitle_rect,
    subtitle_rect_for_style,
)
from pipeline.subs.cues import Cue
from pipeline.timecode import Excerpt

TWO_LINES = ("Ông Lê Quốc Thắng, Giám đốc Sở", "Thông tin và Truyền thông Trà Vinh")
# where the lower-third template's pixels are on a 1920×1080 programme frame, as the cache recorded
# them for a drawn card (graphics/cache.alpha_box of "Lê Quốc Thắng / Giám đốc Sở … / Director …")
DRAWN_1080 = Rect(96, 802, 1138, 224)
LOWER_THIRD = LowerThirdArea("Lê Quốc Thắng", 10.0, 5.0, DRAWN_1080)


def _burn_in(profile: Profile, lang: str = "vi") -> Profile:
    return profile.model_copy(update={"subtitles": profile.subtitles.model_copy(update={"burn_in": lang})})


def _ink(profile: Profile, lines: tuple[str, ...], tmp: Path) -> Rect:
    """The box of the pixels libass draws for a cue of `lines`, burned exactly as the render burns it."""
    ass = tmp / "cue.ass"
    ass.write_text(ass_document([Cue(1, 0, 1000, lines)]), encoding="utf-8")
    vf = g.burn_subtitles(ass, fonts_dir=fonts_dir(), style=g.subtitle_style_for(profile)) + ",bbox=min_val=60"
    w, h = profile.video.width, profile.video.height
    err = run_ffmpeg(["-f", "lavfi", "-i", f"color=black:s={w}x{h}:r=25:d=0.04", "-vf", vf, "-f", "null", "-"])
    x1, x2, y1, y2 = (int(v) for v in re.findall(r"x1:(\d+) x2:(\d+) y1:(\d+) y2:(\d+)", err)[-1])
    return Rect(x1, y1, x2 - x1 + 1, y2 - y1 + 1)


@pytest.mark.parametrize(("name", "lines"), [("social-9x16", TWO_LINES), ("social-9x16", TWO_LINES[:1]),
                                             ("web-720p", TWO_LINES)])
def test_the_subtitle_box_holds_what_libass_draws(name: str, lines: tuple[str, ...], tmp_path: Path) -> None:
    profile = load_profile(name)
    ink, box = _ink(profile, lines, tmp_path), subtitle_rect(profile, lines)
    assert box.x <= ink.x and box.right >= ink.right and box.y <= ink.y and box.bottom >= ink.bottom
    assert box.height <= 1.5 * ink.height and box.bottom - ink.bottom <= 0.01 * profile.video.height
    assert box.width <= 1.5 * ink.width  # an estimate of the width, never much wider than the text


def test_the_box_follows_the_style_margins_and_alignment() -> None:
    social = load_profile("social-9x16")
    box = subtitle_rect(social, TWO_LINES)
    # 4.7 % of 1080 = 50.76 px a line, outline 3.24 px, MarginV ceil(288 × 35 %) = 101 units = 673.3 px
    assert box.bottom == pytest.approx(1920 - 101 * 1920 / 288 + 0.49 * 1920 / 288, abs=0.01)
    assert box.height == pytest.approx(2 * 7.61 * 1920 / 288 + 2 * 0.49 * 1920 / 288, abs=0.01)
    top = g.subtitle_style_for(social).replace("Alignment=2", "Alignment=8")
    up = subtitle_rect_for_style(top, 1080, 1920, TWO_LINES)
    assert up.y == pytest.approx(101 * 1920 / 288 - 0.49 * 1920 / 288, abs=0.01) and up.height == box.height
    long_line = ("Sở Thông tin và Truyền thông tỉnh Trà Vinh giới thiệu " * 2,)  # wider than the margins
    assert subtitle_rect(social, long_line).height > subtitle_rect(social, TWO_LINES[:1]).height


def test_lower_thirds_are_carried_into_each_picture() -> None:
    web, social = load_profile("web-720p"), load_profile("social-9x16")
    assert placement_for(web, 1920, 1080) == overlap.Placement(2 / 3, 0.0, 0.0)
    blur = placement_for(social, 1920, 1080)  # the 16:9 picture across the width, centred
    assert blur.scale == pytest.approx(0.5625) and blur.dx == 0 and blur.dy == pytest.approx(656.25)
    crop = placement_for(social.model_copy(update={"vertical": "crop"}), 1920, 1080)
    assert crop.scale == pytest.approx(1920 / 1080) and crop.dx == pytest.approx((1080 - 1920 * 1920 / 1080) / 2)
    lt = blur.apply(DRAWN_1080)
    assert (round(lt.x), round(lt.y), round(lt.right), round(lt.bottom)) == (54, 1107, 694, 1233)


def test_a_cue_on_a_lower_third_in_time_and_place_is_found() -> None:
    social = load_profile("social-9x16")
    cues = [Cue(1, 9_000, 10_500, TWO_LINES), Cue(2, 11_000, 12_500, TWO_LINES), Cue(3, 15_000, 16_000, TWO_LINES)]
    found = find_overlaps(cues, [LOWER_THIRD], social, (1920, 1080))
    assert [(o.cue.index, o.start_s, o.end_s) for o in found] == [(1, 10.0, 10.5), (2, 11.0, 12.5)]
    sub, lt = found[0].subtitle, found[0].graphic
    assert round(sub.y) == 1142 and round(sub.bottom) == 1250 and round(lt.y) == 1107 and round(lt.bottom) == 1233
    text = overlap.describe(found[0], Fraction(25))
    assert text.startswith("cue 1 at 00:00:09:00 is burned in over the lower third \u201cLê Quốc Thắng\u201d")
    assert "00:00:10:00–00:00:10:12" in text and text.endswith(overlap.FIX)
    # a social cut that leaves the lower third's stretch out shows neither
    assert find_overlaps(cues, [LOWER_THIRD], social, (1920, 1080), excerpt=Excerpt(25, 40, Fraction(2))) == []
    first_ten = Excerpt(0, 51, Fraction(5))  # 0–10.2 s
    assert [o.cue.index for o in find_overlaps(cues, [LOWER_THIRD], social, (1920, 1080), excerpt=first_ten)] == [1]


def test_no_warning_where_they_do_not_share_the_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    cue = [Cue(1, 10_000, 12_000, TWO_LINES)]
    web = _burn_in(load_profile("web-720p"))
    assert len(find_overlaps(cue, [LOWER_THIRD], web, (1920, 1080))) == 1  # 5 % title-safe: both at the bottom
    high = Margins(top_pct=5, bottom_pct=35, left_pct=5, right_pct=5)
    raised = web.model_copy(update={"safe_areas": SafeAreas(title=high)})
    assert find_overlaps(cue, [LOWER_THIRD], raised, (1920, 1080)) == []  # cues above the lower third
    on_top = g.subtitle_style_for(web).replace("Alignment=2", "Alignment=8")
    monkeypatch.setattr(overlap, "subtitle_style_for", lambda profile: on_top)
    assert find_overlaps(cue, [LOWER_THIRD], web, (1920, 1080)) == []  # a style that puts cues at the top


def test_the_estimate_covers_a_drawn_lower_third() -> None:
    # drawn 1920×1080: Box(96, 802, 1138, 224); 320×180: Box(16, 122, 190, 50) (graphics/cache.alpha_box)
    for (w, h), drawn in (((1920, 1080), DRAWN_1080), ((320, 180), Rect(16, 122, 190, 50))):
        guess = estimated_lower_third_box(w, h)
        assert guess.x <= drawn.x and guess.y <= drawn.y and guess.bottom >= drawn.bottom
        assert guess.right >= drawn.right - 4 and guess.height <= 1.15 * drawn.height


def test_qc_verdict_warns_and_names_the_cue() -> None:
    social = load_profile("social-9x16")
    found = find_overlaps([Cue(4, 10_200, 11_000, TWO_LINES)], [LOWER_THIRD], social, (1920, 1080))
    verdict = lower_third_verdict(found, "vi", Fraction(25))
    assert verdict.status is Status.WARN and verdict.value == 1 and verdict.spans_s == ((10.2, 11.0),)
    assert "cue 4 at 00:00:10:05" in verdict.detail and "Lê Quốc Thắng" in verdict.detail
    assert "move the cue or the lower third" in verdict.detail
    clear = lower_third_verdict([], "vi", Fraction(25))
    assert clear.status is Status.PASS and clear.value == 0
