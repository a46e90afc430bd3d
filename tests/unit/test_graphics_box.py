"""Cropping cached graphics to the box their pixels cover, on real qtrle ARGB clips made here."""

from __future__ import annotations

from pathlib import Path

from pipeline.graphics.cache import Box, _crop, alpha_box
from pipeline.media.ffmpeg import ffprobe_json, run_ffmpeg


def _argb(path: Path, alpha: str) -> Path:
    """2 s of a white 320×180 frame whose alpha is the expression `alpha` of X, Y, T — a graphic as drawn."""
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=white:s=320x180:r=25:d=2,format=rgba", "-vf",
                f"geq=r=255:g=255:b=255:a='{alpha}',format=argb", "-c:v", "qtrle", "-pix_fmt", "argb", f"file:{path}"])
    return path


def test_box_is_the_union_over_frames_widened_to_even_edges(tmp_path: Path) -> None:
    clip = _argb(tmp_path / "lower third.mov",  # a panel in the first second, a wider one after
                 "255*(between(X,41,120)*between(Y,131,160)*lt(T,1)+between(X,60,160)*between(Y,120,139)*gte(T,1))")
    box = alpha_box(clip, 320, 180)
    assert box == Box(40, 120, 122, 42)  # x 41–160, y 120–160 → even edges
    out = tmp_path / "cropped.mov"
    _crop(clip, out, box)
    v = ffprobe_json(out)["streams"][0]
    assert (v["codec_name"], v["pix_fmt"], v["width"], v["height"]) == ("qtrle", "argb", 122, 42)


def test_full_frame_or_empty_graphics_stay_as_drawn(tmp_path: Path) -> None:
    assert alpha_box(_argb(tmp_path / "bumper.mov", "255*gte(T,0.5)"), 320, 180) is None
    assert alpha_box(_argb(tmp_path / "empty.mov", "0"), 320, 180) is None


def test_templates_lay_out_inside_the_profiles_title_safe_area() -> None:
    from pipeline.graphics import cards
    from pipeline.profiles import DEFAULT_SAFE_AREAS, Margins

    assert cards.safe_box(1920, 1080) == (96, 54, 1728, 972)
    assert cards.safe_box(1080, 1920) == (54, 96, 972, 1728)
    assert DEFAULT_SAFE_AREAS.title == Margins.uniform(5.0)


def test_the_cache_and_the_templates_share_one_spec() -> None:
    from pipeline.graphics import GraphicSpec, cache, cards

    assert cache.GraphicSpec is cards.GraphicSpec is GraphicSpec
