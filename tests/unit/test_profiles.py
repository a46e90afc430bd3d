"""Deliverable profiles: shipped numbers match the delivery spec, overrides patch them, illegal ones are
refused with the file and field named, and each profile maps to a literal ffmpeg argument list."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ManifestError
from pipeline.media.encode import (
    audio_args,
    bits_text,
    container_args,
    output_args,
    rate_text,
    video_args,
)
from pipeline.profiles import (
    DEFAULT_SAFE_AREAS,
    Margins,
    Profile,
    ProfileError,
    available_profiles,
    check_legal,
    legal_problems,
    load_profile,
)
from pipeline.text import ascii_fold

SHIPPED = ["archive-prores", "broadcast-h264", "broadcast-xdcam", "social-9x16", "web-1080p", "web-720p", "web-stream"]


def patched(name: str, **changes: object) -> Profile:
    """A shipped profile with some sections replaced (dicts merge one level), not yet checked."""
    base = load_profile(name)
    data = base.model_dump()
    for key, value in changes.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) else value
    return Profile.model_validate(data)


def test_every_shipped_profile_loads_and_is_legal() -> None:
    assert available_profiles() == SHIPPED
    for name in SHIPPED:
        profile = load_profile(name)
        assert profile.name == name
        assert legal_problems(profile) == []
        assert profile.source.endswith(f"assets/profiles/{name}.yaml")


def test_broadcast_xdcam_matches_delivery_spec() -> None:
    p = load_profile("broadcast-xdcam")
    v, a, loud = p.video, p.audio, p.loudness
    assert (p.container.format, p.container.extension) == ("mxf", ".mxf")
    assert (v.codec, v.profile, v.level, v.pix_fmt) == ("mpeg2video", "422", "high", "yuv422p")
    assert (v.width, v.height, v.fps, v.scan, v.interlaced) == (1920, 1080, "25", "tff", True)
    assert (v.bitrate_kbps, v.minrate_kbps, v.maxrate_kbps, v.bufsize_bits) == (50000, 50000, 50000, 17825792)
    assert (v.gop, v.bframes) == (12, 2)
    assert (v.colour.primaries, v.colour.matrix, v.colour.range) == ("bt709", "bt709", "tv")
    assert (a.codec, a.bit_depth, a.sample_rate, a.channels, a.mono_tracks) == ("pcm", 24, 48000, 2, True)
    assert (loud.target_lufs, loud.tolerance_lu, loud.true_peak_max_dbtp) == (-23.0, 0.5, -1.0)
    assert p.leader.enabled and (p.leader.tone_hz, p.leader.tone_dbfs) == (1000, -18)
    assert p.leader.total_s == 60
    assert p.programme_start_tc == "10:00:00:00"
    assert p.start_timecode() == "09:59:00:00"
    assert p.safe_areas.title == Margins.uniform(5.0) and p.safe_areas.action == Margins.uniform(3.5)
    assert p.suffix == "BROADCAST_XDCAM"


def test_web_and_social_match_delivery_spec() -> None:
    for name, size, kbps in (("web-1080p", (1920, 1080), 8000), ("web-720p", (1280, 720), 5000)):
        p = load_profile(name)
        assert (p.video.width, p.video.height, p.video.bitrate_kbps) == (*size, kbps)
        assert (p.video.profile, p.video.pix_fmt, p.video.gop, p.video.bframes, p.video.closed_gop) == (
            "high", "yuv420p", 12, 2, True)
        assert p.container.faststart and p.audio.codec == "aac" and 192 <= (p.audio.bitrate_kbps or 0) <= 384
        assert (p.loudness.target_lufs, p.loudness.tolerance_lu) == (-14.0, 1.0)
        assert p.subtitles.sidecar == ("vi", "en") and p.subtitles.burn_in is None
    social = load_profile("social-9x16")
    assert (social.video.width, social.video.height, social.vertical, social.excerpt) == (1080, 1920, "blur-pad", True)
    assert social.subtitles.burn_in == "vi" and social.subtitles.style.max_chars_per_line == 32
    # Reels keeps ~65 px of each side clear, TikTok the right 150 px
    assert social.safe_areas.title == Margins(top_pct=14, bottom_pct=35, left_pct=6, right_pct=14)
    assert social.safe_areas.title.pixels(1080, 1920) == (269, 672, 65, 152)
    assert social.safe_areas.title.percentages() == (14, 35, 6, 14)
    assert social.safe_areas.title.box(1080, 1920) == (65, 269, 863, 979)
    h264 = load_profile("broadcast-h264")
    assert (h264.video.scan, h264.audio.bitrate_kbps) == ("tff", 192) and (h264.video.bitrate_kbps or 0) >= 6000
    prores = load_profile("archive-prores")
    assert (prores.video.codec, prores.video.profile, prores.audio.bit_depth) == ("prores", "hq", 24)


def test_override_patches_only_what_it_names(tmp_path: Path) -> None:
    (tmp_path / "broadcast-xdcam.yaml").write_text(
        "loudness: {target_lufs: -24}\nleader: {bars_tone_s: 1, slate_s: 1, black_s: 0.4}\n", encoding="utf-8")
    p = load_profile("broadcast-xdcam", overrides_dir=tmp_path)
    assert p.loudness.target_lufs == -24 and p.loudness.tolerance_lu == 0.5
    assert p.video.bitrate_kbps == 50000 and p.leader.tone_dbfs == -18
    assert p.start_timecode() == "09:59:57:15"
    assert p.source == str(tmp_path / "broadcast-xdcam.yaml")
    # the shipped one is untouched without the overrides folder
    assert load_profile("broadcast-xdcam").loudness.target_lufs == -23


def test_new_profile_with_a_base_and_a_path(tmp_path: Path) -> None:
    (tmp_path / "centre-ts.yaml").write_text(
        "base: broadcast-h264\nsuffix: CENTRE_TS\ncontainer: {format: mpegts, extension: .ts, faststart: false}\n",
        encoding="utf-8")
    p = load_profile("centre-ts", overrides_dir=tmp_path)
    assert (p.name, p.container.format, p.video.scan) == ("centre-ts", "mpegts", "tff")
    assert load_profile(tmp_path / "centre-ts.yaml").suffix == "CENTRE_TS"
    assert "centre-ts" in available_profiles(tmp_path)


def test_complete_override_without_base(tmp_path: Path) -> None:
    text = (Path(__file__).parents[2] / "assets/profiles/web-720p.yaml").read_text(encoding="utf-8")
    (tmp_path / "web-720p.yaml").write_text("base: null\n" + text.replace("5000", "4000"), encoding="utf-8")
    assert load_profile("web-720p", overrides_dir=tmp_path).video.bitrate_kbps == 4000


def test_errors_name_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "web-1080p.yaml"
    bad.write_text("video: {bitrate_kbps: lots, bframez: 2}\n", encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_profile("web-1080p", overrides_dir=tmp_path)
    message = str(info.value)
    assert str(bad) in message
    assert "video.bitrate_kbps" in message and "video.bframez is not a known field" in message
    assert isinstance(info.value, ManifestError) and info.value.exit_code == 2


def test_missing_unknown_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"no profile named 'nope'.*known profiles: archive-prores"):
        load_profile("nope")
    with pytest.raises(ProfileError, match="not found"):
        load_profile(tmp_path / "absent.yaml")
    (tmp_path / "a.yaml").write_text("video: [\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="not valid YAML at line"):
        load_profile(tmp_path / "a.yaml")
    (tmp_path / "b.yaml").write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="must be a YAML mapping"):
        load_profile(tmp_path / "b.yaml")
    (tmp_path / "c.yaml").write_text("base: d\n", encoding="utf-8")
    (tmp_path / "d.yaml").write_text("base: c\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="loop"):
        load_profile("c", overrides_dir=tmp_path)
    (tmp_path / "e.yaml").write_text("base: web-1080p\nprogramme_start_tc: '10:00:00:30'\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"programme_start_tc.*frame 30"):
        load_profile("e", overrides_dir=tmp_path)
    (tmp_path / "f.yaml").write_text("base: broadcast-xdcam\nleader: {black_s: 0.5}\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"leader\.black_s must be a whole number of frames"):
        load_profile("f", overrides_dir=tmp_path)
    (tmp_path / "g.yaml").write_text("base: broadcast-xdcam\nprogramme_start_tc: '00:00:10:00'\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="the 60 s leader does not fit before 00:00:10:00"):
        load_profile("g", overrides_dir=tmp_path)


def test_illegal_override_is_refused_at_load(tmp_path: Path) -> None:
    (tmp_path / "web-1080p.yaml").write_text("container: {format: mp4}\naudio: {codec: pcm, bit_depth: 24, "
                                             "bitrate_kbps: null}\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="MP4 cannot carry PCM audio") as info:
        load_profile("web-1080p", overrides_dir=tmp_path)
    assert info.value.path == str(tmp_path / "web-1080p.yaml")


@pytest.mark.parametrize(
    ("name", "changes", "expected"),
    [
        ("web-1080p", {"audio": {"codec": "pcm", "bit_depth": 24, "bitrate_kbps": None}}, "MP4 cannot carry PCM audio"),
        ("web-1080p", {"video": {"codec": "prores", "profile": "hq", "pix_fmt": "yuv422p10le", "bitrate_kbps": None}},
         "MP4 cannot carry prores video"),
        ("web-1080p", {"video": {"pix_fmt": "yuv422p"}}, "H.264 high cannot carry yuv422p"),
        ("web-1080p", {"video": {"width": 1921}}, "must be even"),
        ("web-720p", {"video": {"scan": "tff"}}, "720 lines cannot be interlaced"),
        ("broadcast-h264", {"video": {"profile": "baseline"}}, "Baseline is progressive-only"),
        ("broadcast-h264", {"video": {"level": "4.2"}}, "level 4.2 is progressive-only"),
        ("broadcast-xdcam", {"video": {"bitrate_kbps": 35000, "maxrate_kbps": 35000, "minrate_kbps": 35000}},
         "XDCAM HD422 is 50 Mb/s CBR"),
        ("broadcast-xdcam", {"video": {"width": 1440}}, "XDCAM HD422 is 1920×1080 or 1280×720"),
        ("broadcast-xdcam", {"video": {"pix_fmt": "yuv420p"}}, "MPEG-2 422 profile needs yuv422p"),
        ("broadcast-xdcam", {"audio": {"codec": "aac", "bit_depth": None, "bitrate_kbps": 192, "mono_tracks": False}},
         "MXF cannot carry AAC audio"),
        ("broadcast-xdcam", {"container": {"extension": ".mov"}}, "extension .mov does not match container mxf"),
        ("archive-prores", {"video": {"pix_fmt": "yuv422p"}}, "ProRes hq needs yuv422p10le"),
        ("archive-prores", {"container": {"format": "mp4", "extension": ".mp4"}}, "MP4 cannot carry prores video"),
        ("web-720p", {"video": {"level": "3.0"}}, "level 3.0 is too low for 1280×720"),
        ("web-720p", {"video": {"maxrate_kbps": 30000}}, "allows at most 17500 kb/s"),
        ("web-1080p", {"audio": {"bitrate_kbps": None}}, "AAC needs audio.bitrate_kbps"),
        ("web-1080p", {"video": {"bframes": 12}}, "12 B-frames do not fit in a GOP of 12"),
        ("web-1080p", {"vertical": "crop"}, "vertical: crop needs a portrait frame"),
        ("web-1080p", {"video": {"encoder": "prores_aw"}}, "prores_aw does not encode h264"),
    ],
)
def test_check_legal_rejects(name: str, changes: dict[str, object], expected: str) -> None:
    profile = patched(name, **changes)
    with pytest.raises(ProfileError, match="illegal combination") as info:
        check_legal(profile)
    assert expected in str(info.value)


def test_output_name_is_ascii() -> None:
    assert ascii_fold("Trà Vinh: Đất và Người") == "Tra Vinh: Dat va Nguoi"
    assert load_profile("broadcast-xdcam").output_name("trà-vinh_01") == "tra-vinh_01_BROADCAST_XDCAM.mxf"
    assert load_profile("web-720p").output_name("Ao Bà Om") == "Ao-Ba-Om_WEB_720P.mp4"


# --- encoder arguments -------------------------------------------------------------------------

COLOUR = ["-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv"]


def test_rate_texts() -> None:
    assert [rate_text(50000), rate_text(7500), rate_text(192)] == ["50M", "7500k", "192k"]
    assert [bits_text(17825792), bits_text(16_000_000), bits_text(1_835_000)] == ["17825792", "16M", "1835k"]


def test_xdcam_arguments() -> None:
    p = load_profile("broadcast-xdcam")
    assert video_args(p) == [
        "-c:v", "mpeg2video", "-profile:v", "0", "-level:v", "2", "-pix_fmt", "yuv422p",
        "-b:v", "50M", "-minrate", "50M", "-maxrate", "50M", "-bufsize", "17825792",
        "-g", "12", "-bf", "2", "-dc", "10", "-non_linear_quant", "1", "-qmin", "1", "-qmax", "28",
        "-sc_threshold", "1000000000", "-flags", "+ilme+ildct", "-top", "1", "-field_order", "tt", *COLOUR,
    ]
    assert audio_args(p) == ["-c:a", "pcm_s24le", "-ar", "48000"]
    assert container_args(p) == ["-f", "mxf", "-timecode", "09:59:00:00"]
    assert container_args(p, start_timecode="10:00:00:00") == ["-f", "mxf", "-timecode", "10:00:00:00"]


def test_web_arguments() -> None:
    p = load_profile("web-1080p")
    assert output_args(p) == [
        "-c:v", "libx264", "-preset", "medium", "-profile:v", "high", "-level:v", "4.0", "-pix_fmt", "yuv420p",
        "-b:v", "8M", "-maxrate", "12M", "-bufsize", "16M", "-g", "12", "-bf", "2",
        "-keyint_min", "12", "-sc_threshold", "0", "-flags", "+cgop", *COLOUR,
        "-c:a", "aac", "-profile:a", "aac_low", "-b:a", "256k", "-ar", "48000", "-ac", "2",
        "-f", "mp4", "-movflags", "+faststart",
    ]


def test_interlaced_h264_arguments() -> None:
    args = video_args(load_profile("broadcast-h264"))
    assert args[args.index("-flags"):args.index("-color_primaries")] == [
        "-flags", "+cgop+ilme+ildct", "-x264opts", "tff=1", "-top", "1", "-field_order", "tt"]
    assert args.count("-flags") == 1
    assert audio_args(load_profile("broadcast-h264")) == [
        "-c:a", "aac", "-profile:a", "aac_low", "-b:a", "192k", "-ar", "48000", "-ac", "2"]


def test_prores_arguments() -> None:
    p = load_profile("archive-prores")
    assert output_args(p) == [
        "-c:v", "prores_ks", "-profile:v", "3", "-vendor", "apl0", "-pix_fmt", "yuv422p10le", *COLOUR,
        "-c:a", "pcm_s24le", "-ar", "48000", "-ac", "2", "-f", "mov", "-timecode", "10:00:00:00",
    ]
    assert video_args(patched("archive-prores", video={"encoder": "prores_aw"}))[:2] == ["-c:v", "prores_aw"]


def test_the_default_safe_areas_are_the_house_margins() -> None:
    assert DEFAULT_SAFE_AREAS.title == Margins.uniform(5.0) and DEFAULT_SAFE_AREAS.action == Margins.uniform(3.5)
    assert DEFAULT_SAFE_AREAS.title.pixels(1920, 1080) == (54, 54, 96, 96)
    assert DEFAULT_SAFE_AREAS.title.box(1920, 1080) == (96, 54, 1728, 972)
    assert DEFAULT_SAFE_AREAS.title.box(1281, 721) == (65, 37, 1151, 647), "margins round up"


def test_field_errors_are_located_with_indices(tmp_path: Path) -> None:
    (tmp_path / "h.yaml").write_text("base: web-1080p\nsubtitles: {sidecar: [vi, 3]}\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"h\.yaml: subtitles\.sidecar\[1\] Input should be a valid string"):
        load_profile("h", overrides_dir=tmp_path)


def test_ladder_rungs_follow_the_house_and_are_capped() -> None:
    """1080p house: five rungs in the profile's order, widths from the aspect, the lowest level that
    carries each; a 720p house drops the 1080p rung; a 4:3 house gets 4:3 rungs."""
    ladder = load_profile("web-stream")
    full = ladder.rung_profiles(1920, 1080)
    assert [(r.video.width, r.video.height, r.video.bitrate_kbps, r.video.level) for r in full] == [
        (960, 540, 2000, "3.1"), (1280, 720, 3000, "3.1"), (1920, 1080, 6000, "4.0"), (640, 360, 800, "3.0"),
        (416, 234, 400, "3.0")]
    assert all(r.video.maxrate_kbps == round(r.video.bitrate_kbps * 1.5) for r in full)
    assert all(legal_problems(r) == [] and not r.ladder for r in full)
    assert [Profile.rung_file(r) for r in full] == ["540p.mp4", "720p.mp4", "1080p.mp4", "360p.mp4",
                                                     "234p.mp4"]
    assert [r.video.height for r in ladder.rung_profiles(1280, 720)] == [540, 720, 360, 234]
    four_three = [(r.video.width, r.video.height) for r in ladder.rung_profiles(960, 720)]
    assert four_three[:3] == [(720, 540), (960, 720), (480, 360)]


def test_illegal_ladders_are_refused() -> None:
    assert any("distinct" in p or "share a height" in p
               for p in legal_problems(patched("web-stream", ladder=[{"height": 540, "bitrate_kbps": 2000},
                                                                      {"height": 540, "bitrate_kbps": 1000}])))
    assert any("closed GOPs" in p for p in legal_problems(patched("web-stream", video={"closed_gop": False})))
    assert any("H.264 in MP4" in p for p in legal_problems(patched("web-1080p", ladder=[
        {"height": 540, "bitrate_kbps": 2000}], container={"format": "mov", "extension": ".mov"})))
