"""The QC plan derived from profiles, and the verdicts on hand-made measurements (no ffmpeg)."""

from __future__ import annotations

from pathlib import Path

from pipeline.profiles import load_profile
from pipeline.qc.plan import (
    CheckSpec,
    PlanContext,
    Status,
    allowed_windows,
    breaks_r103,
    evaluate,
    excursion,
    outside,
    plan_for,
    worst,
)


def _by_id(specs: list[CheckSpec]) -> dict[str, CheckSpec]:
    return {s.id: s for s in specs}


def test_xdcam_plan_holds_broadcast_rules() -> None:
    plan = _by_id(plan_for(load_profile("broadcast-xdcam"), PlanContext(expected_frames=1500 + 1500)))
    assert plan["video.field_order"].expected == ("tt", "tb")
    assert plan["video.level"].expected == 2  # 4:2:2 @ High Level as ffprobe numbers it
    assert plan["video.level"].rule == "equals"
    assert plan["video.profile"].expected == "422"
    assert plan["audio.bit_depth"].expected == 24
    assert plan["audio.tracks"].expected == 2
    assert plan["video.bitrate"].tolerance == 5.0 and plan["video.bitrate"].limit is None  # CBR
    assert plan["loudness.integrated"].expected == -23.0 and plan["loudness.integrated"].tolerance == 0.5
    assert "picture.legal_range" in plan
    assert plan["picture.legal_range"].allowed == ((0.0, 60.0),)
    assert plan["duration"].expected == 3000
    assert (0.0, 60.0) in plan["picture.black"].allowed


def test_qc_expects_the_mpeg2_level_the_encoder_is_given() -> None:
    """One level table (media/codecs.py): what the encoder is told is what QC reads back."""
    from pipeline.media.encode import video_args

    profile = load_profile("broadcast-xdcam")  # MPEG-2 4:2:2 @ High Level, XDCAM HD422
    args = video_args(profile)
    given = int(args[args.index("-level:v") + 1])
    assert given == 2 and _by_id(plan_for(profile))["video.level"].expected == given


def test_web_plan_checks_faststart_and_not_legal_range() -> None:
    plan = _by_id(plan_for(load_profile("web-720p")))
    assert plan["container.faststart"].expected is True
    assert plan["video.level"].expected == 31
    assert plan["video.gop"].limit == 12
    assert "picture.legal_range" not in plan
    assert plan["duration"].rule == "report"
    assert plan["video.bitrate"].limit == 7500  # VBR: the maxrate is the ceiling


def test_allowed_windows_cover_leader_and_fades() -> None:
    assert allowed_windows(load_profile("web-720p"), 10.0) == ((0.0, 1.0), (9.0, 11.0))
    windows = allowed_windows(load_profile("broadcast-xdcam"), 70.0)
    assert windows[0] == (0.0, 60.0)


def test_outside_subtracts_allowed_windows() -> None:
    assert outside([(0.0, 2.0), (5.0, 6.0)], [(0.0, 1.0)]) == [(1.0, 2.0), (5.0, 6.0)]
    assert outside([(0.5, 0.9)], [(0.0, 1.0)]) == []


def _spec(plan: list[CheckSpec], check_id: str) -> CheckSpec:
    return _by_id(plan)[check_id]


def test_loudness_verdicts() -> None:
    plan = plan_for(load_profile("web-720p"))
    hot = evaluate(_spec(plan, "loudness.integrated"), {"loudness.integrated": -11.0})
    assert hot.status is Status.FAIL and hot.measured == "-11.0 LUFS" and "+3.0" in hot.detail
    ok = evaluate(_spec(plan, "loudness.integrated"), {"loudness.integrated": -14.94})
    assert ok.status is Status.PASS
    peak = evaluate(_spec(plan, "loudness.true_peak"), {"loudness.true_peak": -0.94})
    assert peak.status is Status.FAIL  # rounds to -0.9 > -1
    assert evaluate(_spec(plan, "loudness.true_peak"), {"loudness.true_peak": -1.04}).status is Status.PASS
    assert evaluate(_spec(plan, "loudness.lra"), {"loudness.lra": 7.2}).status is Status.INFO


def test_missing_measurement_fails() -> None:
    plan = plan_for(load_profile("web-720p"))
    result = evaluate(_spec(plan, "video.codec"), {})
    assert result.status is Status.FAIL and result.measured == "not measured"


def test_black_intervals_judged_outside_allowed() -> None:
    spec = _spec(plan_for(load_profile("web-720p"), PlanContext(programme_s=10.0)), "picture.black")
    assert evaluate(spec, {"picture.black": [(0.0, 0.8), (9.5, 10.0)]}).status is Status.PASS
    mid = evaluate(spec, {"picture.black": [(4.0, 5.0)]})
    assert mid.status is Status.FAIL and mid.measured.startswith("1.00 s at 00:00:04")
    assert evaluate(spec, {"picture.black": [(4.0, 4.3)]}).status is Status.WARN
    # a fade longer than the 1 s allowance: the part past it counts
    assert evaluate(spec, {"picture.black": [(0.0, 1.6)]}).status is Status.FAIL


def test_frame_rate_and_profile_normalisation() -> None:
    plan = plan_for(load_profile("broadcast-xdcam"))
    assert evaluate(_spec(plan, "video.rate"), {"video.rate": "30"}).status is Status.FAIL
    assert evaluate(_spec(plan, "video.profile"), {"video.profile": "4:2:2"}).status is Status.PASS
    assert evaluate(_spec(plan, "video.field_order"), {"video.field_order": "progressive"}).status is Status.FAIL


def test_level_lower_passes_higher_fails() -> None:
    spec = _spec(plan_for(load_profile("web-720p")), "video.level")
    assert evaluate(spec, {"video.level": 30}).status is Status.PASS
    assert evaluate(spec, {"video.level": 40}).status is Status.FAIL


def test_bitrate_cbr_and_vbr() -> None:
    cbr = _spec(plan_for(load_profile("broadcast-xdcam")), "video.bitrate")
    assert evaluate(cbr, {"video.bitrate_kbps": 50900}).status is Status.PASS
    assert evaluate(cbr, {"video.bitrate_kbps": 45500}).status is Status.WARN
    assert evaluate(cbr, {"video.bitrate_kbps": 30000}).status is Status.FAIL
    vbr = _spec(plan_for(load_profile("web-720p")), "video.bitrate")
    assert evaluate(vbr, {"video.bitrate_kbps": 9000}).status is Status.FAIL
    assert evaluate(vbr, {"video.bitrate_kbps": 2000}).status is Status.WARN


def _frames(n: int, values: tuple[float, ...], start: float = 70.0) -> list[tuple[float, ...]]:
    return [(start + i * 0.04, *values) for i in range(n)]


def _legal_spec() -> CheckSpec:
    return _spec(plan_for(load_profile("broadcast-xdcam")), "picture.legal_range")


LEGAL = (16, 235, 16, 240, 16, 240)


def test_legal_range_flash_warns_sustained_fails() -> None:
    spec = _legal_spec()
    assert evaluate(spec, {"picture.legal": _frames(50, (*LEGAL, 0.0))}).status is Status.PASS
    flash = _frames(50, (*LEGAL, 0.0)) + _frames(3, (14, 238, 16, 240, 16, 240, 0.05), start=72.0)
    result = evaluate(spec, {"picture.legal": flash})
    assert result.status is Status.WARN
    assert result.detail.startswith("3 of 53 frames break EBU R103")
    assert "worst frame 5.0 % at 00:01:12.00" in result.detail
    gross = _frames(50, (*LEGAL, 0.0)) + _frames(25, (4, 250, 16, 240, 16, 240, 0.2), start=72.0)
    result = evaluate(spec, {"picture.legal": gross})
    assert result.status is Status.FAIL and "Y 4–250" in result.measured and "longest run 1.00 s" in result.detail
    # bars in the leader (sub-black PLUGE) do not count
    leader = _frames(50, (4, 250, 4, 250, 4, 250, 0.3), start=0.0) + _frames(10, (*LEGAL, 0.0))
    assert evaluate(spec, {"picture.legal": leader}).status is Status.PASS
    assert excursion((0, 16, 235, 16, 240, 16, 241)) == 1


def test_legal_range_area_rule() -> None:
    spec = _legal_spec()
    # MPEG-2 ringing: extremes out of 16–235 but within −5 %/105 %, on 0.5 % of the pixels → legal
    ringing = _frames(50, (8, 244, 10, 248, 10, 248, 0.005))
    result = evaluate(spec, {"picture.legal": ringing})
    assert result.status is Status.PASS and "worst frame 0.5 % of pixels out" in result.measured
    # the same extremes over 2 % of the picture → out
    assert breaks_r103((0, 8, 244, 10, 248, 10, 248, 0.02))
    assert evaluate(spec, {"picture.legal": ringing[:10] + _frames(5, (8, 244, 10, 248, 10, 248, 0.02), start=71.0)}
                    ).status is Status.WARN
    # the exact limit: 1 % is still legal; a few pixels far out (ringing to Y 2 or 255) are tolerated
    assert not breaks_r103((0, 5, 246, 5, 251, 5, 251, 0.01))
    assert not breaks_r103((0, 2, 255, 16, 240, 16, 240, 0.004))
    assert breaks_r103((0, 16, 236, 16, 240, 16, 240, 0.011))
    deep = _frames(50, (2, 235, 16, 240, 16, 240, 0.03))
    assert evaluate(spec, {"picture.legal": deep}).status is Status.FAIL


def test_legal_range_old_records_without_brng() -> None:
    spec = _legal_spec()
    # 7-value frames (measured before BRNG was read): judged by the tolerance on the extremes alone
    old = _frames(50, (14, 238, 16, 240, 16, 240))
    result = evaluate(spec, {"picture.legal": old})
    assert result.status is Status.PASS and result.measured == "Y 14–238, C 16–240"
    mixed = old + _frames(3, (2, 238, 16, 240, 16, 240), start=72.0)
    result = evaluate(spec, {"picture.legal": mixed})
    assert result.status is Status.WARN and "worst frame Y 2–238 at 00:01:12.00" in result.detail
    assert not breaks_r103((0, 14, 238, 16, 240, 16, 240))


def test_worst() -> None:
    assert worst([Status.PASS, Status.INFO, Status.WARN]) is Status.WARN
    assert worst([Status.FAIL, Status.WARN]) is Status.FAIL
    assert worst([]) is Status.PASS


def test_silence_under_a_clip_cut_without_sound_is_the_editors() -> None:
    from fractions import Fraction

    from pipeline.stages.qc import mute_windows
    from pipeline.timeline import Segment, Timeline

    timeline = Timeline("p", Fraction(25), 1920, 1080, 48000, (
        Segment("talk", "a.mov", 0, 250, 0, True),
        Segment("drone", "b.mov", 0, 125, 250, False),
    ), ())
    assert mute_windows(load_profile("web-720p"), timeline, None) == ((10.0, 15.0),)
    lead = load_profile("broadcast-xdcam").leader.total_s
    assert mute_windows(load_profile("broadcast-xdcam"), timeline, None) == ((10.0 + lead, 15.0 + lead),)
    # an excerpt from 8 s to 12 s, as the render recorded it: the drone shot is 2–4 s of the file
    assert mute_windows(load_profile("social-9x16"), timeline, (8.0, 12.0)) == ((2.0, 4.0),)


def test_expected_frames_follow_the_excerpt_the_render_recorded() -> None:
    from fractions import Fraction

    from pipeline.stages.qc import expected_frames
    from pipeline.timecode import Excerpt
    from pipeline.timeline import Segment, Timeline

    timeline = Timeline("p", Fraction(25), 1920, 1080, 48000, (Segment("a", "a.mov", 0, 500, 0, True),), ())
    assert expected_frames(load_profile("web-720p"), timeline, None) == 500
    assert expected_frames(load_profile("social-9x16"), timeline, Excerpt.from_seconds(1.0, 3.5, timeline.rate)) == 63
    xdcam = load_profile("broadcast-xdcam")
    assert expected_frames(xdcam, timeline, None) == 500 + round(xdcam.leader.total_s * 25)


def test_every_rule_has_an_evaluator_and_a_typo_is_refused_when_the_check_is_made() -> None:
    import typing

    import pytest

    from pipeline.qc.plan import MEASURES, RULES, Rule

    assert set(RULES) == set(typing.get_args(Rule))
    with pytest.raises(ValueError, match="no rule 'equal'"):
        CheckSpec("x", "X", "video.codec", "equal", "h264")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"no measurement 'loudness\.integrted'"):
        CheckSpec("x", "X", "loudness.integrted", "near", -23.0, tolerance=0.5)  # type: ignore[arg-type]
    for name in ("broadcast-xdcam", "web-720p", "social-9x16", "broadcast-h264"):
        assert {s.measure for s in plan_for(load_profile(name), PlanContext(expected_frames=100))} <= MEASURES


def test_verdicts_carry_the_measured_number_and_its_unit() -> None:
    plan = _by_id(plan_for(load_profile("web-720p"), PlanContext(expected_frames=100, programme_s=4.0)))
    loud = evaluate(plan["loudness.integrated"], {"loudness.integrated": -14.26})
    assert (loud.value, loud.unit, loud.measured) == (-14.26, "LUFS", "-14.3 LUFS")
    black = evaluate(plan["picture.black"], {"picture.black": [(1.5, 2.5)]})
    assert black.status is Status.FAIL and (black.value, black.unit) == (1.0, "s")
    codec = evaluate(plan["video.codec"], {"video.codec": "h264"})
    assert codec.value is None and codec.to_dict()["value"] is None
    missing = evaluate(plan["loudness.true_peak"], {})
    assert missing.status is Status.FAIL and missing.value is None and missing.unit == "dBTP"


def test_aac_bit_rate_is_a_ceiling_and_the_encoder_setting_is_checked() -> None:
    """Issue 15: quiet speech came out at 136 kb/s of web-720p's 256 and QC FAILed it."""
    plan = plan_for(load_profile("web-720p"))
    average = _spec(plan, "audio.bitrate")
    assert evaluate(average, {"audio.bitrate_kbps": 136}).status is Status.PASS
    assert evaluate(average, {"audio.bitrate_kbps": 45}).status is Status.PASS  # near-silence
    assert evaluate(average, {"audio.bitrate_kbps": 280}).status is Status.PASS  # within +10 %
    assert evaluate(average, {"audio.bitrate_kbps": 290}).status is Status.FAIL
    configured = _spec(plan, "audio.bitrate_configured")
    assert evaluate(configured, {"audio.bitrate_configured_kbps": 256}).status is Status.PASS
    assert evaluate(configured, {"audio.bitrate_configured_kbps": 128}).status is Status.FAIL  # set wrong
    # PCM (XDCAM) has no bit rate to check; a codec that is not VBR AAC stays strict (±10 %)
    assert not any(s.id.startswith("audio.bitrate") for s in plan_for(load_profile("broadcast-xdcam")))
    strict = CheckSpec("audio.bitrate", "Audio bit rate", "audio.bitrate_kbps", "bitrate", 384, tolerance=10.0)
    assert evaluate(strict, {"audio.bitrate_kbps": 300}).status is Status.FAIL


def test_configured_aac_rate_read_from_the_mp4(tmp_path: Path) -> None:
    from pipeline.media.ffmpeg import run_ffmpeg, safe_input
    from pipeline.qc.checks import mp4_audio_max_bitrate

    out = tmp_path / "quiet.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=frequency=300:duration=2,volume=-30dB", "-c:a", "aac", "-b:a", "256k",
                "-ac", "2", safe_input(out)])
    assert mp4_audio_max_bitrate(out) == 256000
