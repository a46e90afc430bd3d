"""Filtergraph builders against literal strings; escaping checked by re-parsing the way ffmpeg does;
loudness summaries and decisions; the shipped fonts' Vietnamese coverage. No ffmpeg runs here."""

from __future__ import annotations

import struct
import unicodedata
from pathlib import Path

import pytest

from pipeline.fonts import (
    SHIPPED,
    FontError,
    check_vietnamese,
    cmap_codepoints,
    font_path,
    fonts_dir,
    missing_glyphs,
    vietnamese_letters,
)
from pipeline.media import graphs as g
from pipeline.media.loudness import (
    LoudnessMeasurement,
    headroom_for,
    loudnorm_filters,
    loudnorm_mode,
    normalisation_for,
    parse_ebur128,
)
from pipeline.profiles import load_profile

# --- ffmpeg's tokenizer (libavutil/avstring.c av_get_token), to re-parse what we escape ----------

_WS = " \n\t\r"


def av_get_token(buf: str, term: str) -> tuple[str, str]:
    i = 0
    while i < len(buf) and buf[i] in _WS:
        i += 1
    out: list[str] = []
    end = 0
    while i < len(buf) and buf[i] not in term:
        c = buf[i]
        i += 1
        if c == "\\" and i < len(buf):
            out.append(buf[i])
            i += 1
            end = len(out)
        elif c == "'":
            while i < len(buf) and buf[i] != "'":
                out.append(buf[i])
                i += 1
            if i < len(buf):
                i += 1
                end = len(out)
        else:
            out.append(c)
    while len(out) > end and out[-1] in _WS:
        out.pop()
    return "".join(out), buf[i:]


def parse_filter(text: str) -> tuple[str, dict[str, str]]:
    """Name and key=value options of one filter, unescaped at both levels as libavfilter does."""
    name, _, rest = text.partition("=")
    args, tail = av_get_token(rest, "[],;")
    assert tail == "", f"graph parser stopped early at {tail!r}"
    options: dict[str, str] = {}
    while args:
        key, _, args = args.partition("=")
        value, args = av_get_token(args, ":")
        options[key] = value
        args = args[1:] if args.startswith(":") else args
    return name, options


NASTY = [
    "/tmp/Phụ đề/cảnh 1.srt",
    "/tmp/a b/it's here.srt",
    "/tmp/Trà Vinh: \"ĐẶC BIỆT\", [1]; 'x'/y.srt",
    "/tmp/back\\slash/%{pts}.srt",
    "/tmp/ends with space /a.srt ",
    " leading/space.srt",
    "/tmp/tab\there/ok.srt",
]


@pytest.mark.parametrize("path", NASTY)
def test_escaped_path_survives_both_parsers(path: str) -> None:
    name, options = parse_filter(f"subtitles=filename={g.escape_filter_path(path)}:fontsdir=/f")
    assert (name, options) == ("subtitles", {"filename": path, "fontsdir": "/f"})


def test_escape_levels_literal() -> None:
    assert g.escape_value("a:b'c\\d") == "a\\:b\\'c\\\\d"
    assert g.escape_graph("a,b;[c]'d") == "a\\,b\\;\\[c\\]\\'d"
    assert g.escape_filter_path("/x/it's: [a].srt") == "/x/it\\\\\\'s\\\\: \\[a\\].srt"
    assert g.escape_value(" a ") == "\\ a\\ "


def test_filter_and_chain_strings() -> None:
    assert g.filter_("scale", w=1920, h=1080) == "scale=w=1920:h=1080"
    assert g.filter_("split", 3) == "split=3"
    assert g.filter_("null") == "null"
    assert g.filter_("volume", volume="-3.5dB", precision="double") == "volume=volume=-3.5dB:precision=double"
    assert g.filter_("alimiter", limit=0.85, level=False) == "alimiter=limit=0.85:level=0"
    assert g.filter_("x", expr="min(a,b)") == "x=expr=min(a\\,b)"
    c = g.chain("0:v", ["null", "setsar=1"], "out")
    assert str(c) == "[0:v]null,setsar=1[out]"
    assert g.graph([c, g.Chain(("anull",), ("1:a",), ("a",))]) == "[0:v]null,setsar=1[out];[1:a]anull[a]"
    with pytest.raises(ValueError, match="label"):
        g.chain("bad label", ["null"], "x")


def test_fit_pad_and_crop() -> None:
    assert g.fit(1920, 1080) == [
        "scale=w=trunc(iw*sar/2)*2:h=ih",
        "setsar=1",
        "scale=w=1920:h=1080:force_original_aspect_ratio=decrease:force_divisible_by=2:out_color_matrix=bt709"
        ":out_range=tv",
        "pad=w=1920:h=1080:x=(ow-iw)/2:y=(oh-ih)/2:color=black",
        "setsar=1",
    ]
    crop = g.fit(1280, 720, mode="crop", interlaced=True)
    assert crop[2].endswith(":force_divisible_by=4:out_color_matrix=bt709:out_range=tv:interl=1")
    assert crop[3] == "crop=w=1280:h=720:x=(iw-ow)/2:y=trunc((ih-oh)/4)*2"


def test_scan_filters() -> None:
    assert g.deinterlace("tff") == "bwdif=mode=send_frame:parity=tff:deint=all"
    assert g.to_interlaced("progressive") == ["setfield=mode=tff"]
    assert g.to_interlaced("bff") == ["fieldorder=order=tff", "setfield=mode=tff"]
    assert g.to_interlaced("50p") == ["interlace=scan=tff:lowpass=complex"]


def test_vertical_crop_and_blur_pad() -> None:
    assert g.graph(g.vertical("p", "v", 1080, 1920, "crop")) == (
        "[p]scale=w=-2:h=1920,crop=w=1080:h=1920,setsar=1[v]")
    assert g.graph(g.vertical("p", "v", 1080, 1920, "blur-pad")) == (
        "[p]split=2[vert_bg][vert_fg];"
        "[vert_bg]scale=w=270:h=480:force_original_aspect_ratio=increase,crop=w=270:h=480,"
        "boxblur=luma_radius=10:luma_power=2,scale=w=1080:h=1920,setsar=1[vert_bgb];"
        "[vert_fg]scale=w=1080:h=-2,setsar=1[vert_fgs];"
        "[vert_bgb][vert_fgs]overlay=x=(W-w)/2:y=(H-h)/2[v]"
    )


def test_fanout() -> None:
    assert g.graph(g.fanout("prog", ["a", "b", "c"])) == "[prog]split=3[a][b][c]"
    assert g.graph(g.fanout("pa", ["x", "y"], audio=True)) == "[pa]asplit=2[x][y]"
    assert g.graph(g.fanout("prog", ["only"])) == "[prog]null[only]"


def test_logo_inside_title_safe() -> None:
    safe = load_profile("web-1080p").safe_areas.title.pixels(1920, 1080)
    assert safe == (54, 54, 96, 96)
    assert g.graph(g.logo_overlay("v", "1:v", "out", frame_h=1080, title_safe=safe)) == (
        "[1:v]scale=w=-2:h=86,format=pix_fmts=rgba,colorchannelmixer=aa=0.85[logo_scaled];"
        "[v][logo_scaled]overlay=x=W-w-96:y=54:format=yuv420[out]"
    )
    bottom_left = g.logo_overlay("v", "1:v", "out", frame_h=1080, title_safe=safe,
                                 corner="bottom-left", opacity=0.5)
    assert str(bottom_left[1]) == "[v][logo_scaled]overlay=x=96:y=H-h-54:format=yuv420[out]"


def test_subtitle_style_and_filter() -> None:
    style = g.subtitle_style(frame_w=1920, frame_h=1080, font="Be Vietnam Pro", size_pct=4.8, outline_pct=0.25,
                             bold=False, title_safe_pct=(5, 5, 5, 5))
    assert style == ("FontName=Be Vietnam Pro,FontSize=13.82,Bold=0,PrimaryColour=&H00FFFFFF,"
                     "OutlineColour=&H00000000,BackColour=&H80000000,BorderStyle=1,Outline=0.72,Shadow=0,"
                     "Alignment=2,MarginV=15,MarginL=20,MarginR=20")
    assert g.subtitle_style_for(load_profile("web-1080p")) == style
    social = g.subtitle_style_for(load_profile("social-9x16"))
    # 51 px (4.7 % of 1080) in 288-unit script space; centred between Reels' left and TikTok's right margin
    assert "FontSize=7.61,Bold=1" in social and social.endswith("MarginV=101,MarginL=24,MarginR=54")
    text = g.burn_subtitles("/s/Phụ đề 'vi'.srt", fonts_dir="/f d", style="FontName=X,Bold=1")
    assert text == ("subtitles=filename=/s/Phụ đề \\\\\\'vi\\\\\\'.srt:fontsdir=/f d:charenc=UTF-8:"
                    "force_style=FontName=X\\,Bold=1")
    assert parse_filter(text)[1]["force_style"] == "FontName=X,Bold=1"
    assert parse_filter(g.burn_subtitles("rel:ative.srt", fonts_dir="/f", style="x"))[1]["filename"] == (
        "./rel:ative.srt")


def test_drawtext_is_literal() -> None:
    text = g.drawtext("Trà Vinh: 'Ao Bà Om', 100%{n}", fontfile="/f/Be Vietnam.ttf", size_px=48, x="10", y="20")
    name, options = parse_filter(text)
    assert name == "drawtext"
    assert options == {"fontfile": "/f/Be Vietnam.ttf", "text": "Trà Vinh: 'Ao Bà Om', 100%{n}",
                       "expansion": "none", "fontsize": "48", "fontcolor": "white", "x": "10", "y": "20"}


def test_audio_filters() -> None:
    assert g.audio_conform() == ["aresample=48000", "aformat=sample_rates=48000:channel_layouts=stereo"]
    assert g.gain(-3.14159) == "volume=volume=-3.1416dB:precision=double"
    assert g.true_peak_limiter(-1.3) == [
        "aresample=192000",
        "alimiter=limit=0.860994:attack=5:release=50:level=0:latency=1",
        "aresample=48000",
    ]
    assert str(g.mono_tracks("mix", ["c1", "c2"])) == "[mix]channelsplit=channel_layout=stereo[c1][c2]"
    assert g.loudness_meter("web_1080p") == "ebur128@web_1080p=peak=true:framelog=verbose"


def test_leader_graph() -> None:
    spec = load_profile("broadcast-xdcam").leader
    text = g.graph(g.leader(spec, width=1920, height=1080, fps="25", slate_lines=["Trà Vinh: đất", "10:00:00:00"],
                            fontfile="/f/BeVietnamPro-Bold.ttf", out_v="lv", out_a="la"))
    chains = text.split(";")
    assert chains[0] == "smptehdbars=size=1920x1080:rate=25:duration=30,setsar=1[leader_bars_v]"
    assert chains[1] == ("sine=frequency=1000:sample_rate=48000:duration=30,volume=volume=0.0618dB:precision=double,"
                         "pan=stereo|c0=c0|c1=c0[leader_bars_a]")
    assert chains[2].startswith("color=color=black:size=1920x1080:rate=25:duration=10,drawtext=fontfile=")
    assert "text=Trà Vinh\\\\: đất" in chains[2] and "text=10\\\\:00\\\\:00\\\\:00" in chains[2]
    assert chains[3] == ("anullsrc=channel_layout=stereo:sample_rate=48000,atrim=duration=10[leader_slate_a]")
    assert chains[-1] == ("[leader_bars_v][leader_bars_a][leader_slate_v][leader_slate_a][leader_black_v]"
                          "[leader_black_a]concat=n=3:v=1:a=1[lv][la]")
    assert str(g.concat([("lv", "la"), ("pv", "pa")], "v", "a")) == "[lv][la][pv][pa]concat=n=2:v=1:a=1[v][a]"


def test_branches_from_profiles() -> None:
    xdcam = load_profile("broadcast-xdcam")
    (only,) = g.video_for(xdcam, "prog", "out")
    assert only.filters[-4:] == ("setfield=mode=tff", "format=pix_fmts=yuv422p",
                                 "lutyuv=y=clip(val\\,16\\,235):u=clip(val\\,16\\,240):v=clip(val\\,16\\,240)",
                                 "setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709")
    assert not any(f.startswith("bwdif") for f in only.filters)
    web = g.video_for(load_profile("web-1080p"), "prog", "out", source_scan="tff")
    assert not any(f.startswith("lutyuv") for f in web[0].filters)  # only broadcast masters are legalised
    assert web[0].filters[0] == "bwdif=mode=send_frame:parity=tff:deint=all"
    social = g.video_for(load_profile("social-9x16"), "prog", "out", prefix="s")
    assert [str(c).split("]")[0] for c in social][:2] == ["[prog", "[s_vin"]
    assert str(social[-1]).startswith("[s_vout]format=pix_fmts=yuv420p,setparams=range=tv:")
    chains, maps = g.audio_for(xdcam, "1:a", level=["volume=volume=2dB"], meter="xdcam", prefix="x")
    assert maps == ["x_c1", "x_c2"]
    assert g.graph(chains) == ("[1:a]aresample=48000,aformat=sample_rates=48000:channel_layouts=stereo,"
                               "volume=volume=2dB,ebur128@xdcam=peak=true:framelog=verbose[x_mix];"
                               "[x_mix]channelsplit=channel_layout=stereo[x_c1][x_c2]")
    _chains, web_maps = g.audio_for(load_profile("web-720p"), "1:a")
    assert web_maps == ["a_out"]


# --- loudness: summaries and decisions ---------------------------------------------------------

SUMMARY = """\
[Parsed_ebur128_0 @ 0x55837f031a00] Summary:

  Integrated loudness:
    I:         -23.4 LUFS
    Threshold: -33.9 LUFS

  Loudness range:
    LRA:         6.2 LU
    Threshold: -43.6 LUFS
    LRA low:   -27.1 LUFS
    LRA high:  -20.9 LUFS

  Sample peak:
    Peak:       -2.0 dBFS

  True peak:
    Peak:       -1.6 dBFS
[out#0/null @ 0x1] video:0kB audio:938kB
[ebur128@web @ 0x556c7de87c80] Summary:

  Integrated loudness:
    I:         -70.0 LUFS
    Threshold:   0.0 LUFS

  Loudness range:
    LRA:         0.0 LU
    Threshold:   0.0 LUFS
    LRA low:     0.0 LUFS
    LRA high:    0.0 LUFS

  True peak:
    Peak:       -inf dBFS
"""


def test_parse_ebur128_summaries() -> None:
    found = parse_ebur128("size=N/A time=00:00:10.00\n" + SUMMARY)
    assert list(found) == ["Parsed_ebur128_0", "web"]
    first = found["Parsed_ebur128_0"]
    assert first == LoudnessMeasurement(-23.4, -1.6, 6.2, -33.9, -27.1, -20.9)
    assert first.meets(-23, 0.5, -1.0) and not first.meets(-23, 0.3, -1.0)
    silent = found["web"]
    assert silent.silent and silent.true_peak_dbtp == float("-inf")
    assert silent.as_dict()["true_peak_dbtp"] is None
    assert parse_ebur128("no summary here") == {}


def test_normalisation_linear_limited_and_silent() -> None:
    quiet = LoudnessMeasurement(-30.0, -12.0, 5.0, -40.0, -33.0, -28.0)
    linear = normalisation_for(quiet, -23.0, -1.0)
    assert (linear.gain_db, linear.linear, linear.predicted_true_peak_dbtp) == (7.0, True, -5.0)
    assert linear.filters() == ["volume=volume=7dB:precision=double"]
    limited = normalisation_for(quiet, -14.0, -1.0)
    assert (limited.gain_db, limited.limiter_ceiling_dbtp, limited.overshoot_db) == (16.0, -1.3, 5.3)
    assert limited.filters()[1:] == g.true_peak_limiter(-1.3)
    assert "limiter at -1.3 dBTP" in limited.reason
    assert normalisation_for(quiet, -14.0, -1.0, headroom_db=1.0).limiter_ceiling_dbtp == -2.0
    assert (headroom_for("pcm"), headroom_for("aac")) == (0.3, 1.0)
    silence = normalisation_for(LoudnessMeasurement(-70.0, float("-inf"), 0, 0, 0, 0), -23, -1)
    assert (silence.gain_db, silence.linear) == (0.0, True)


def test_loudnorm_second_pass() -> None:
    m = LoudnessMeasurement(-30.0, -12.0, 9.3, -40.5, -33.0, -28.0)
    assert loudnorm_filters(m, -23.0, -1.0) == [
        "loudnorm=I=-23:TP=-1:LRA=11:measured_I=-30:measured_TP=-12:measured_LRA=9.3:measured_thresh=-40.5"
        ":offset=0:linear=1:print_format=summary",
        "aresample=48000",
    ]
    assert loudnorm_mode("...\nNormalization Type:   Linear\n") == "Linear"
    assert loudnorm_mode("") is None


# --- fonts -------------------------------------------------------------------------------------


def test_vietnamese_letters_are_complete_and_precomposed() -> None:
    letters = vietnamese_letters()
    assert len(letters) == 186 == len(set(letters))
    assert all(unicodedata.is_normalized("NFC", ch) for ch in letters)
    for ch in "ăâđêôơư ẫậặữỹỵ ĂÂĐÊÔƠƯ ẪẬẶỮỸỴ".replace(" ", ""):
        assert ch in letters
    assert letters.count("a") == 1


@pytest.mark.parametrize("key", [f.key for f in SHIPPED])
def test_shipped_fonts_write_vietnamese(key: str) -> None:
    path = font_path(key)
    assert path.parent == fonts_dir()
    assert missing_glyphs(path, vietnamese_letters() + " .,;:!?'\"-–—()%0123456789") == []
    check_vietnamese(path)
    licence = next(f.licence for f in SHIPPED if f.key == key)
    assert "SIL Open Font License" in (fonts_dir() / licence).read_text(encoding="utf-8")


def _tiny_font(chars: str, *, fmt: int) -> bytes:
    """A minimal sfnt holding only a cmap that maps `chars` (one segment/group per char)."""
    codes = sorted(ord(c) for c in chars)
    if fmt == 4:
        segs = [*codes, 0xFFFF]
        n = len(segs)
        body = struct.pack(">HHHHHHH", 4, 0, 0, n * 2, 0, 0, 0)
        body += struct.pack(f">{n}H", *segs) + b"\0\0" + struct.pack(f">{n}H", *segs)
        body += struct.pack(f">{n}h", *[((i + 1 - c) if c != 0xFFFF else 1) for i, c in enumerate(segs)])
        body += struct.pack(f">{n}H", *([0] * n))
        sub, platform, encoding = body, 3, 1
    else:
        groups = b"".join(struct.pack(">III", c, c, i + 1) for i, c in enumerate(codes))
        sub, platform, encoding = struct.pack(">HHIII", 12, 0, 16 + len(groups), 0, len(codes)) + groups, 3, 10
    cmap = struct.pack(">HH", 0, 1) + struct.pack(">HHI", platform, encoding, 12) + sub
    header = struct.pack(">IHHHH", 0x00010000, 1, 16, 0, 0) + struct.pack(">4sIII", b"cmap", 0, 28, len(cmap))
    return header + cmap


@pytest.mark.parametrize("fmt", [4, 12])
def test_missing_glyphs_reads_cmap(tmp_path: Path, fmt: int) -> None:
    font = tmp_path / "tiny.ttf"
    font.write_bytes(_tiny_font("ABCabc ", fmt=fmt))
    assert cmap_codepoints(font) == frozenset(map(ord, "ABCabc "))
    assert missing_glyphs(font, "abc\nCAB") == []
    assert missing_glyphs(font, "Cà Mau ơi") == ["à", "M", "u", "ơ", "i"]
    with pytest.raises(FontError, match="cannot write 180 Vietnamese letters"):
        check_vietnamese(font)


def test_unusable_font_files(tmp_path: Path) -> None:
    junk = tmp_path / "junk.ttf"
    junk.write_bytes(b"not a font")
    with pytest.raises(FontError, match="not a usable"):
        cmap_codepoints(junk)
    with pytest.raises(FontError, match="cannot be read"):
        cmap_codepoints(tmp_path / "absent.ttf")
    with pytest.raises(FontError, match="no shipped font"):
        font_path("comic-sans")


def test_dissolve_pads_the_outgoing_picture_against_xfade_ending_early() -> None:
    chains = g.dissolve("a", "b", "out", offset_s="3.84", duration_s="0.4", prefix="x1")
    assert g.graph(chains) == ("[a]tpad=stop=2:stop_mode=clone[x1_pad];"
                               "[x1_pad][b]xfade=transition=fade:duration=0.4:offset=3.84[out]")


def test_crossfade_is_sample_exact_and_constant_power() -> None:
    assert str(g.crossfade("a", "b", "out", samples=19200)) == "[a][b]acrossfade=ns=19200:c1=qsin:c2=qsin[out]"


def test_mix_sums_tracks_without_normalising() -> None:
    assert str(g.mix(["t1", "t2"], "m")) == "[t1][t2]amix=inputs=2:duration=longest:normalize=0[m]"
    assert str(g.mix(["t1"], "m")) == "[t1]anull[m]"
