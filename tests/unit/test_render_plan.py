"""The one-pass render's argument list and filtergraph, checked against literal fragments (no ffmpeg)."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest

from pipeline.errors import WorkspaceError
from pipeline.graphics.cards import GraphicSpec
from pipeline.media.loudness import Normalisation
from pipeline.profiles import load_profile
from pipeline.render.plan import (
    Branch,
    Branding,
    Overlay,
    body_frames,
    measure_args,
    meter_name,
    output_seconds,
    render_args,
    trial_meter,
)
from pipeline.timecode import Excerpt
from pipeline.timeline import AudioSegment, Segment, Timeline, Transition

TL = Timeline("p", Fraction(25), 1920, 1080, 48000, (
    Segment("a", "/m/a.mov", 25, 125, 0, True),
    Segment("b", "/m/b b.mov", 10, 60, 100, False),
), ())


def _fc(args: list[str]) -> str:
    return args[args.index("-filter_complex") + 1]


def test_segments_are_seeked_inputs_and_concatenated() -> None:
    args = render_args(TL, Branding(), [Branch("web-720p", load_profile("web-720p"), Path("/o/w.mp4"))])
    assert args[:6] == ["-ss", "1", "-t", "4", "-i", "file:/m/a.mov"]
    assert args[6:12] == ["-ss", "0.4", "-t", "2", "-i", "file:/m/b b.mov"]
    fc = _fc(args)
    assert ("[0:v]fps=25/1,trim=end_frame=100,setpts=PTS-STARTPTS,scale=w=1920:h=1080,format=pix_fmts=yuv420p,"
            "setsar=1[s0v]" in fc)
    assert "anullsrc=channel_layout=stereo:sample_rate=48000,apad=whole_dur=2,atrim=duration=2," in fc
    assert "[1:a]" not in fc  # segment b has no sound: silence is generated
    assert "[s0v][s0a][s1v][s1a]concat=n=2:v=1:a=1[prog_v][prog_a]" in fc


def test_branding_logo_and_graphics_overlay_in_the_trunk() -> None:
    branding = Branding(logo=Path("/b/logo.png"), corner="top-right", opacity=0.85,
                        overlays=(Overlay(Path("/g/title.mov"), 2.0), Overlay(Path("/g/lt.mov"), 28.4, 5.0, 96, 800)))
    args = render_args(TL, branding, [Branch("web-720p", load_profile("web-720p"), Path("/o/w.mp4"))])
    fc = _fc(args)
    assert args[args.index("file:/b/logo.png") - 1] == "-i"
    assert "[2:v]scale=w=-2:h=86,format=pix_fmts=rgba,colorchannelmixer=aa=0.85[logo_scaled]" in fc
    assert "[prog_v][logo_scaled]overlay=x=W-w-96:y=54:format=yuv420[logo_v]" in fc
    assert "[3:v]setpts=round(PTS+2/TB)[gfx0]" in fc and "[4:v]setpts=round(PTS+28.4/TB)[gfx1]" in fc
    assert "[logo_v][gfx0]overlay=x=0:y=0:eof_action=pass:format=yuv420[brand0]" in fc
    assert "[brand0][gfx1]overlay=x=96:y=800:eof_action=pass:format=yuv420[brand1]" in fc  # a cropped graphic


def test_split_to_each_deliverable_with_its_own_level_and_meter() -> None:
    web = Branch("web-720p", load_profile("web-720p"), Path("/o/w.mp4"), level=Normalisation(3.0, None, -4.0, 0.0, ""))
    h264 = Branch("broadcast-h264", load_profile("broadcast-h264"), Path("/o/b.mp4"))
    args = render_args(TL, Branding(), [web, h264])
    fc = _fc(args)
    assert "[prog_v]split=2[d0_in_v][d1_in_v]" in fc and "[prog_a]asplit=2[d0_in_a][d1_in_a]" in fc
    assert "volume=volume=3dB:precision=double,ebur128@out_web_720p=peak=true:framelog=verbose[d0_out]" in fc
    assert "ebur128@out_broadcast_h264" in fc
    assert "setfield=mode=tff" in fc  # the 1080i branch
    at = args.index("file:/o/w.mp4")
    assert args[at - 4:at] == ["-f", "mp4", "-movflags", "+faststart"]
    assert args[args.index("[d0_vout]") - 1:args.index("[d0_vout]") + 3] == ["-map", "[d0_vout]", "-map", "[d0_out]"]
    assert args[-1] == "file:/o/b.mp4"
    assert args.count("-map") == 4


def test_social_branch_trims_keeps_times_through_subtitles_then_resets() -> None:
    social = Branch("social-9x16", load_profile("social-9x16"), Path("/o/s.mp4"), subtitles=Path("/w/p.vi.srt"),
                    excerpt=Excerpt(25, 100, TL.rate), fonts_dir=Path("/f"))
    fc = _fc(render_args(TL, Branding(), [social]))
    assert "[d0_in_v]setpts=round(PTS+1/TB)[d0_tv]" in fc  # programme time for the cues
    assert "trim=start" not in fc  # the excerpt is cut at the inputs (excerpt_timeline), not in the graph
    assert "subtitles=filename=/w/p.vi.srt:fontsdir=/f:charenc=UTF-8:force_style=" in fc
    assert fc.index("subtitles=") < fc.index("setpts=PTS-STARTPTS[d0_post]")
    assert "boxblur" in fc  # blur-pad vertical
    assert output_seconds(TL, social) == 3.0  # 1 s to 4 s


def test_xdcam_branch_is_the_body_only_and_the_leader_its_own_cached_encode(tmp_path: Path) -> None:
    from pipeline.render.leader import LeaderSpec, join_args, leader_args, write_concat_list

    profile = load_profile("broadcast-xdcam")
    xd = Branch("broadcast-xdcam", profile, Path("/o/x.mxf"))
    args = render_args(TL, Branding(), [xd])
    fc = _fc(args)
    assert "smptehdbars" not in fc and "concat=n=2:v=1:a=1[prog_v][prog_a]" in fc  # only the segments' concat
    assert "ebur128@out_broadcast_xdcam=peak=true:framelog=verbose[d0_mix]" in fc
    assert "channelsplit=channel_layout=stereo[d0_c1][d0_c2]" in fc
    assert output_seconds(TL, xd) == 6

    font = tmp_path / "b.ttf"
    font.write_bytes(b"font")
    spec = LeaderSpec(profile, ("Trà Vinh", "Duration 00:00:06:00"), font)
    leader = leader_args(spec, Path("/c/leader.mxf"))
    lfc = _fc(leader)
    assert "smptehdbars=size=1920x1080:rate=25:duration=30" in lfc and "Trà Vinh" in lfc
    assert "setfield=mode=tff,format=pix_fmts=yuv422p,setparams=" in lfc  # marked as the body is
    assert "channelsplit=channel_layout=stereo[ld_a_c1][ld_a_c2]" in lfc
    body_codec = args[args.index("-c:v"):args.index("-f")]
    assert leader[leader.index("-c:v"):leader.index("-f")] == body_codec  # identical encoder settings
    assert spec.key() == LeaderSpec(profile, spec.slate_lines, font).key()
    assert spec.key() != LeaderSpec(profile, ("Trà Vinh", "Duration 00:00:07:00"), font).key()

    listing = tmp_path / "it's.ffconcat"
    write_concat_list(listing, tmp_path / "leader.mxf", 60.0, tmp_path / "O'Brien body.mxf")
    text = listing.read_text(encoding="utf-8")
    assert "duration 60\n" in text and "O'\\''Brien body.mxf'" in text
    join = join_args(listing, profile, Path("/o/x.mxf"), (("title", "Trà Vinh"),))
    assert join[:10] == ["-f", "concat", "-safe", "0", "-i", f"file:{listing}", "-map", "0", "-c", "copy"]
    assert join[join.index("-timecode"):join.index("-timecode") + 2] == ["-timecode", "09:59:00:00"]
    assert join[-1] == "file:/o/x.mxf" and "title=Trà Vinh" in join


def test_measure_pass_is_audio_only_with_an_excerpt_meter() -> None:
    args = measure_args(TL, Excerpt(25, 75, TL.rate))
    fc = _fc(args)
    assert ":v]" not in fc
    assert "concat=n=2:v=0:a=1[prog_a]" in fc
    assert "[mix_0]ebur128@programme=peak=true" in fc and "[mix_1]atrim=start=1:end=3,ebur128@excerpt" in fc
    assert args[-10:] == ["-map", "[m_programme]", "-f", "null", "-", "-map", "[m_excerpt]", "-f", "null", "-"]
    # a settling round meters its trials only (the programme was measured before it), and no true
    # peak: it reads their integrated loudness alone
    trial = _fc(measure_args(TL, None, {"web-720p": (Normalisation(3.0, None, -4.0, 0.0, ""), False)}))
    assert "ebur128@programme" not in trial and "asplit" not in trial
    assert ("[mix_0]volume=volume=3dB:precision=double,ebur128@trial_web_720p=peak=none:framelog=verbose"
            "[m_trial_web_720p]") in trial
    limited = _fc(measure_args(TL, Excerpt(25, 75, TL.rate),
                               {"social-9x16": (Normalisation(6.0, -2.0, -2.0, 1.5, ""), True),
                                "web-720p": (Normalisation(3.0, -1.0, -1.0, 1.0, ""), False)}))
    # a trial runs the limiter at the programme rate (no 4× oversampling) and meters the excerpt
    assert "[prog_a]asplit=2[mix_0][mix_1]" in limited and "ebur128@excerpt" not in limited
    assert "[mix_0]atrim=start=1:end=3,volume=volume=6dB:precision=double,alimiter=" in limited
    assert "[mix_1]volume=volume=3dB:precision=double,alimiter=" in limited
    assert "aresample" not in limited.split("[mix_0]", 2)[2].split("[m_trial", 1)[0]
    assert trial_meter("social-9x16__probe") == "trial_social_9x16__probe"


def test_limited_branch_oversamples_its_limiter_in_the_render() -> None:
    web = Branch("web-720p", load_profile("web-720p"), Path("/o/w.mp4"), level=Normalisation(6.0, -2.0, -2.0, 1.5, ""))
    fc = _fc(render_args(TL, Branding(), [web]))
    assert "volume=volume=6dB:precision=double,aresample=192000,alimiter=limit=0.794328" in fc


def test_body_frames_of_the_programme_and_of_an_excerpt() -> None:
    assert body_frames(TL, None) == TL.duration_frames
    assert body_frames(TL, Excerpt.from_seconds(1.0, 3.5, TL.rate)) == 88 - 25  # frames 25 to round(87.5)


def test_meter_names_are_filter_safe() -> None:
    assert meter_name("web-720p") == "out_web_720p"


def test_nothing_to_render_is_an_error() -> None:
    with pytest.raises(ValueError):
        render_args(TL, Branding(), [])


def test_graphic_cache_key_follows_content() -> None:
    a = GraphicSpec("title", ("Trà Vinh", "x"), 1920, 1080, Fraction(25), 4.0)
    b = GraphicSpec("title", ("Trà Vinh", "y"), 1920, 1080, Fraction(25), 4.0)
    assert a.key(1) == GraphicSpec("title", ("Trà Vinh", "x"), 1920, 1080, Fraction(25), 4.0).key(1)
    assert a.key(1) != b.key(1) and a.key(1) != a.key(2)


MANIFEST = """\
id: tiny
title: {vi: "Trà Vinh", en: "Tra Vinh"}
synopsis: {vi: "x", en: "x"}
footage: [a.mov]
timeline: {master: a.mov}
lower_thirds:
  - {name: "Lê Quốc Thắng", title: {vi: "Giám đốc", en: "Director"}, at: "00:00:20:00", duration_s: 5}
  - {name: "Late", title: {vi: "x", en: "x"}, at: "00:05:00:00", duration_s: 5}
credits: [{role: {vi: "Biên tập", en: "Editor"}, name: "Hà"}]
co_producers: [A, B]
"""


def _tl(seconds: int) -> Timeline:
    return Timeline("tiny", Fraction(25), 1920, 1080, 48000, (Segment("a", "/m/a.mov", 0, 25 * seconds, 0, True),), ())


def test_branding_layout_in_programme_time(tmp_path: Path) -> None:
    from pipeline.render.branding import BrandingSettings, plan_branding
    from pipeline.validate import load_manifest

    (tmp_path / "p.yaml").write_text(MANIFEST, encoding="utf-8")
    programme = load_manifest(tmp_path / "p.yaml")
    plan = plan_branding(programme, _tl(60), tmp_path / "g", BrandingSettings(), dry_run=True)
    where = {(p["kind"], p["start_s"]) for p in plan.placements}
    assert where == {("title", 2.0), ("credits", 52.0), ("lower-third", 20.0), ("bumper-open", 0.0),
                     ("bumper-close", 58.0)}
    assert plan.placements[-1]["kind"] in ("bumper-open", "bumper-close")  # opaque bumpers drawn on top
    assert any("lower_thirds[1]" in w for w in plan.warnings)
    assert not (tmp_path / "g").exists()  # a dry run draws nothing
    short = plan_branding(programme, _tl(10), tmp_path / "g", BrandingSettings(), dry_run=True)
    assert any("too short for bumpers" in w for w in short.warnings)
    assert [p["kind"] for p in short.placements] == ["title"]
    assert any("end credits do not fit" in w for w in short.warnings)


def test_one_process_with_an_own_trunk_for_the_excerpt() -> None:
    web = Branch("web-720p", load_profile("web-720p"), Path("/o/w.mp4"))
    xd = Branch("broadcast-xdcam", load_profile("broadcast-xdcam"), Path("/o/x.mxf"))
    social = Branch("social-9x16", load_profile("social-9x16"), Path("/o/s.mp4"), excerpt=Excerpt(75, 125, TL.rate))
    args = render_args(TL, Branding(logo=Path("/b/logo.png")), [xd, web, social])
    assert args.count("-filter_complex") == 2
    first = args[args.index("-filter_complex") + 1]
    second = args[args.index("-filter_complex", args.index("-filter_complex") + 1) + 1]
    assert "[prog_v]split=2[d0_in_v][d1_in_v]" not in first  # the logo comes first
    assert "[logo_v]split=2[d0_in_v][d1_in_v]" in first and "d2_" not in first
    # the excerpt decodes only its stretch: a 25 frames from src 100, b 25 frames from src 10
    assert args[args.index("file:/m/b b.mov", args.index("file:/m/b b.mov") + 1) - 5:][:5] == [
        "-ss", "0.4", "-t", "1", "-i"]
    assert "[t1prog_v][t1logo_scaled]overlay" in second and "[t1logo_v]null[d2_in_v]" in second
    assert "d0_" not in second and "d1_" not in second
    assert [a for a in args if a.startswith("file:/o/")] == ["file:/o/x.mxf", "file:/o/w.mp4", "file:/o/s.mp4"]
    # the programme trunk is 4:2:2 for the XDCAM master, the excerpt's 4:2:0; never left to negotiation
    assert "format=pix_fmts=yuv422p,setsar=1[s0v]" in first and "overlay=x=W-w-96:y=54:format=yuv422[logo_v]" in first
    assert "format=pix_fmts=yuv420p,setsar=1[t1s0v]" in second and "format=yuv420[t1logo_v]" in second


def test_excerpt_timeline_cuts_segments_and_moves_graphics() -> None:
    from pipeline.render.plan import excerpt_branding, excerpt_timeline

    cut = excerpt_timeline(TL, Excerpt(75, 125, TL.rate))  # a: rec 0–100 (src 25–125), b: rec 100–150 (src 10–60)
    assert [(s.clip_id, s.src_in_frame, s.src_out_frame, s.rec_in_frame) for s in cut.segments] == [
        ("a", 100, 125, 0), ("b", 10, 35, 25)]
    brand = Branding(overlays=(Overlay(Path("/t"), 0.0, 2.0), Overlay(Path("/l"), 4.0, 3.0)))
    assert excerpt_branding(brand, Excerpt(75, 125, TL.rate)).overlays == (Overlay(Path("/l"), 1.0, 3.0),)


# -- dissolves and the edit's own sound ----------------------------------------------------------

DISSOLVED = Timeline("p", Fraction(25), 1920, 1080, 48000, (
    Segment("a", "/m/a.mov", 25, 125, 0, True),
    Segment("b", "/m/b b.mov", 10, 60, 100, False),
    Segment("a", "/m/a.mov", 200, 250, 150, True),
), (), (Transition(1, 100, 4, 6),))


def test_a_dissolve_plays_both_handles_and_replaces_the_concat() -> None:
    args = render_args(DISSOLVED, Branding(), [Branch("web-720p", load_profile("web-720p"), Path("/o/w.mp4"))])
    assert args[:6] == ["-ss", "1", "-t", "4.24", "-i", "file:/m/a.mov"]  # 100 frames + 6 of handle after
    assert args[6:12] == ["-ss", "0.24", "-t", "2.16", "-i", "file:/m/b b.mov"]  # 4 frames of handle before
    fc = _fc(args)
    assert "trim=end_frame=106," in fc and "trim=end_frame=54," in fc
    # a and b dissolve: the join of a (with its handle) and b starts 4 frames before the cut, lasts 10
    assert "[s1v][s1a][s2v][s2a]concat=n=2:v=1:a=1[g1v][g1a]" in fc  # b then a across the plain cut
    assert "[s0v]tpad=stop=2:stop_mode=clone[x1_pad];[x1_pad][g1v]xfade=transition=fade:duration=0.4:offset=3.84" \
           "[prog_v]" in fc
    assert "[s0a][g1a]acrossfade=ns=19200:c1=qsin:c2=qsin[prog_a]" in fc
    assert "concat=n=3" not in fc


def test_measure_pass_crossfades_the_sound_only() -> None:
    fc = _fc(measure_args(DISSOLVED))
    assert "[s0a][g1a]acrossfade=ns=19200:c1=qsin:c2=qsin[prog_a]" in fc
    assert "[s1a][s2a]concat=n=2:v=0:a=1[g1a]" in fc and "xfade" not in fc and ":v]" not in fc


def test_edit_audio_is_mixed_in_place_of_the_segments_sound() -> None:
    own = replace(TL, audio=(AudioSegment(1, "a", "/m/a.mov", 0, 100, 0),
                             AudioSegment(1, "m", "/m/music.wav", 0, 50, 120),
                             AudioSegment(2, "v", "/m/vo.wav", 25, 75, 50)))
    args = measure_args(own)
    assert "/m/b b.mov" not in " ".join(args)  # the picture's clips are not even opened to measure
    fc = _fc(args)
    assert args[:7] == ["-ss", "0", "-t", "4", "-vn", "-i", "file:/m/a.mov"]
    assert "atrim=duration=0.8,asetpts=PTS-STARTPTS[ea0_gap1]" in fc  # A1 is silent from 100 to 120
    assert "[ea0_0][ea0_gap1][ea0_1]concat=n=3:v=0:a=1[ea0]" in fc
    assert "[ea1_gap0][ea1_0]concat=n=2:v=0:a=1[ea1]" in fc  # A2 starts at 50
    assert "[ea0][ea1]amix=inputs=2:duration=longest:normalize=0[ea_mix]" in fc
    assert "[ea_mix]aresample=48000,aformat=sample_rates=48000:channel_layouts=stereo,apad=whole_dur=6," \
           "atrim=duration=6,asetpts=PTS-STARTPTS[prog_a]" in fc
    render = _fc(render_args(own, Branding(), [Branch("web-720p", load_profile("web-720p"), Path("/o/w.mp4"))]))
    assert "[s0v][s1v]concat=n=2:v=1:a=0[prog_v]" in render and "[s0a]" not in render


def test_lanes_put_overlapping_clips_of_one_track_apart() -> None:
    from pipeline.render.plan import _lanes

    clips = (AudioSegment(1, "a", "/a", 0, 50, 0), AudioSegment(1, "b", "/b", 0, 50, 40),
             AudioSegment(1, "c", "/c", 0, 10, 50), AudioSegment(2, "d", "/d", 0, 10, 0))
    assert [[c.clip_id for c in lane] for lane in _lanes(clips)] == [["a", "c"], ["b"], ["d"]]


def test_an_excerpt_inside_a_dissolve_is_decoded_over_it_and_trimmed() -> None:
    from pipeline.render.plan import excerpt_timeline, excerpt_window

    cut = excerpt_timeline(DISSOLVED, Excerpt(98, 125, DISSOLVED.rate))  # frame 98: inside the dissolve (96–106)
    assert [(s.clip_id, s.src_in_frame, s.src_out_frame, s.rec_in_frame) for s in cut.segments] == [
        ("a", 121, 125, 0), ("b", 10, 35, 4)]
    assert cut.transitions == (Transition(1, 4, 4, 6),)
    assert excerpt_window(DISSOLVED, Excerpt(98, 125, DISSOLVED.rate)) == (2, 27)
    assert excerpt_window(DISSOLVED, Excerpt(110, 125, DISSOLVED.rate)) is None  # after the dissolve: cut exactly
    assert body_frames(DISSOLVED, Excerpt(98, 125, DISSOLVED.rate)) == 27
    social = Branch("social-9x16", load_profile("social-9x16"), Path("/o/s.mp4"),
                    excerpt=Excerpt(98, 125, DISSOLVED.rate))
    fc = _fc(render_args(DISSOLVED, Branding(), [social]))
    assert "[prog_v]trim=start_frame=2:end_frame=29,setpts=PTS-STARTPTS[win_v]" in fc
    assert "[prog_a]atrim=start_sample=3840:end_sample=55680,asetpts=PTS-STARTPTS[win_a]" in fc


def test_feeder_runs_cut_only_where_the_edit_cuts(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.render import plan

    monkeypatch.setattr(plan, "FEED_BATCH", 2)
    assert plan.feed_batches(DISSOLVED) == [(0, 150), (150, 200)]
    feed = plan.feed_for(DISSOLVED, Path("/f"), "prog")
    first = feed.runs[0]
    assert "xfade=transition=fade:duration=0.4:offset=3.84" in first[first.index("-filter_complex") + 1]
    monkeypatch.setattr(plan, "FEED_BATCH", 1)
    with pytest.raises(WorkspaceError, match="2 segments in a row are joined by dissolves, from 00:00:00:00"):
        plan.feed_batches(DISSOLVED)


@pytest.mark.parametrize(("transition", "message"), [
    (Transition(1, 100, 4, 6, kind="wipe"), "is a 'wipe'"),
    (Transition(1, 99, 4, 6), "not at a cut"),
    (Transition(1, 100, 11, 0), "before the start of its clip"),
    (Transition(1, 100, 0, 51), "runs over the next cut"),
])
def test_transitions_the_render_cannot_join_are_refused(transition: Transition, message: str) -> None:
    bad = replace(DISSOLVED, transitions=(transition,))
    with pytest.raises(WorkspaceError, match=message):
        measure_args(bad)
