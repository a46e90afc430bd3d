"""Validation before work: every problem the manifest (or a probe) proves, named by field, all at once."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pipeline.cli import cli
from pipeline.errors import ManifestError, SubtitleError
from pipeline.fsutil import write_json
from pipeline.media.probe import AudioStream, MediaInfo, VideoStream
from pipeline.subs import read_subtitles
from pipeline.subs.cues import Cue
from pipeline.timeline import Segment, Timeline
from pipeline.validate import ManifestProblems, fit_to_programme, load_manifest, probed_problems, sniff_image
from pipeline.workspace import Workspace
from tests.asr_fixtures import make_programme

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

BASE = """
id: prog
title: {vi: "Đầu tư", en: "Invest"}
footage:
  - {file: "Phỏng vấn.mov", id: PV-01}
  - {file: broll.mov, id: BR-02}
timeline:
  cut:
    - {clip: PV-01, in: "00:00:01:00", out: "00:00:04:00"}
    - {clip: BR-02, in: "00:00:00:00", out: "00:00:02:00"}
deliverables: [web-720p, social-9x16]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prog.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str) -> tuple[str, ...]:
    with pytest.raises(ManifestProblems) as err:
        load_manifest(write(tmp_path, text))
    assert "prog.yaml" in str(err.value)
    return err.value.problems


def test_a_good_manifest_loads(tmp_path: Path) -> None:
    (tmp_path / "logo.png").write_bytes(PNG)
    (tmp_path / "glossary.yaml").write_text("terms: []\n", encoding="utf-8")
    text = BASE + "glossary: glossary.yaml\nbranding: {logo: logo.png}\n" \
        "social: {in: '00:00:01:00', out: '00:00:04:00'}\n"
    assert load_manifest(write(tmp_path, text)).id == "prog"


def test_rushes_need_only_id_and_footage(tmp_path: Path) -> None:
    programme = load_manifest(write(tmp_path, "id: rushes\nfootage: ['cards/*.MOV', {file: a.mov}]\n"))
    assert programme.cut == []


def test_unknown_deliverable_is_named_at_load_with_the_known_ones(tmp_path: Path) -> None:
    found = problems_of(tmp_path, BASE.replace("[web-720p, social-9x16]", "[web-720p, social-9x16, web-4k]"))
    assert found[0].startswith("deliverables[2]: unknown deliverable 'web-4k' (known: archive-prores, ")
    assert "web-720p" in found[0]


def test_a_programme_profile_counts_as_a_known_deliverable(tmp_path: Path) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "centre-web.yaml").write_text("base: web-720p\n", encoding="utf-8")
    load_manifest(write(tmp_path, BASE.replace("[web-720p, social-9x16]", "[centre-web]")))


def test_cut_naming_a_clip_not_in_the_footage(tmp_path: Path) -> None:
    found = problems_of(tmp_path, BASE.replace("{clip: BR-02,", "{clip: BR-2,"))
    assert found == ("timeline.cut[1].clip: 'BR-2' is not in the footage (clip ids: BR-02, PV-01)",)


def test_cut_clip_check_waits_for_a_glob_that_matches_nothing_yet(tmp_path: Path) -> None:
    # the card is still copying: the cut cannot be proved wrong
    load_manifest(write(tmp_path, BASE.replace("  - {file: broll.mov, id: BR-02}\n", "  - 'cards/*.mov'\n")))


def test_out_at_or_before_in(tmp_path: Path) -> None:
    text = BASE.replace('out: "00:00:04:00"', 'out: "00:00:01:00"').replace('out: "00:00:02:00"', 'out: "00:00:00:00"')
    assert problems_of(tmp_path, text) == (
        "timeline.cut[0].out: 00:00:01:00 is not after its in point 00:00:01:00",
        "timeline.cut[1].out: 00:00:00:00 is not after its in point 00:00:00:00",
    )


def test_missing_glossary_and_logo_but_not_a_script_still_being_written(tmp_path: Path) -> None:
    found = problems_of(tmp_path, BASE + "glossary: g.yaml\nscript: lời bình.docx\nbranding: {logo: logo.png}\n")
    assert found == ("glossary: file 'g.yaml' not found", "branding.logo: file 'logo.png' not found")
    assert problems_of(tmp_path, BASE + "script: ../lời bình.docx\n")  # but never outside the folder


@pytest.mark.parametrize(("content", "kind"), [(b"%PDF-1.4\n", "a PDF"), (b"logo goes here\n", "text"),
                                               (b"", "an empty file")])
def test_a_logo_that_is_not_an_image(tmp_path: Path, content: bytes, kind: str) -> None:
    (tmp_path / "logo.png").write_bytes(content)
    found = problems_of(tmp_path, BASE + "branding: {logo: logo.png}\n")
    assert found[0].startswith(f"branding.logo: 'logo.png' is {kind}, not an image")


@pytest.mark.parametrize(("head", "kind"), [
    (PNG, "PNG"), (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG"), (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "WebP"),
    (b"\xef\xbb\xbf<?xml version='1.0'?>\n<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG"),
    (b"<svg width='10'/>", "SVG"), (b"GIF89a", "GIF"), (b"<html><body/>", None), (b"RIFF\x00\x00\x00\x00WAVE", None),
])
def test_image_sniffing(tmp_path: Path, head: bytes, kind: str | None) -> None:
    path = tmp_path / "f"
    path.write_bytes(head)
    assert sniff_image(path) == kind


def test_odd_and_absurd_house_formats(tmp_path: Path) -> None:
    found = problems_of(tmp_path, BASE + "house: {width: 321, height: 181, fps: '13', sample_rate: 11025}\n")
    assert found == (
        "house.width: 321 is odd; 4:2:0 and 4:2:2 video need an even width (use 320 or 322)",
        "house.height: 181 is odd; 4:2:0 and 4:2:2 video need an even height (use 180 or 182)",
        "house.fps: 13 is not a broadcast or web frame rate (known: 23.976, 24, 25, 29.97, 30, 48, 50, 59.94, 60)",
        "house.sample_rate: 11025 Hz is not an audio production rate (known: 32000, 44100, 48000, 88200, 96000)",
    )
    assert problems_of(tmp_path, BASE + "house: {width: 8000, height: 40}\n") == (
        "house.height: 40 pixels is too small for a picture (at least 64)",
        "house: 8000×40 is not a picture shape (wider than 4:1)",
    )


def test_small_test_sizes_and_ntsc_rates_pass(tmp_path: Path) -> None:
    load_manifest(write(tmp_path, BASE + "house: {width: 160, height: 90, fps: '30000/1001'}\n"))
    load_manifest(write(tmp_path, BASE + "house: {width: 1080, height: 1920, fps: '60000/1001'}\n"))


def test_a_decimal_ntsc_rate_is_the_ntsc_rate(tmp_path: Path) -> None:
    programme = load_manifest(write(tmp_path, BASE + "house: {width: 160, height: 90, fps: '29.97'}\n"))
    assert programme.rate == Fraction(30000, 1001)


def test_social_out_not_after_in(tmp_path: Path) -> None:
    found = problems_of(tmp_path, BASE + "social: {in: '00:00:27:00', out: '00:00:05:00'}\n")
    assert found == ("social.out: 00:00:05:00 is not after social.in 00:00:27:00",)


def test_lower_thirds_overlapping(tmp_path: Path) -> None:
    text = BASE + """lower_thirds:
  - {name: A, title: {vi: a, en: a}, at: "00:00:30:00", duration_s: 5}
  - {name: B, title: {vi: b, en: b}, at: "00:00:10:00", duration_s: 5}
  - {name: C, title: {vi: c, en: c}, at: "00:00:34:00", duration_s: 4}
  - {name: D, title: {vi: d, en: d}, at: "00:00:15:00", duration_s: 4}
"""
    assert problems_of(tmp_path, text) == (
        "lower_thirds[2].at: 00:00:34:00 is on screen while lower_thirds[0] (00:00:30:00 for 5 s) still is; "
        "move one of them",
    )
    long_one = BASE + """lower_thirds:
  - {name: A, title: {vi: a, en: a}, at: "00:00:10:00", duration_s: 20}
  - {name: B, title: {vi: b, en: b}, at: "00:00:12:00", duration_s: 2}
  - {name: C, title: {vi: c, en: c}, at: "00:00:20:00", duration_s: 2}
"""
    assert [p.split(" is on")[0] for p in problems_of(tmp_path, long_one)] == [
        "lower_thirds[1].at: 00:00:12:00", "lower_thirds[2].at: 00:00:20:00"]


def test_pydantic_errors_and_these_together_in_one_error(tmp_path: Path) -> None:
    text = BASE.replace("title:", "titel:").replace("[web-720p, social-9x16]", "[web-4k]") + \
        "house: {width: 321, height: 180}\nsocial: {in: '00:00:09:00', out: '00:00:02:00'}\n"
    with pytest.raises(ManifestError) as err:
        load_manifest(write(tmp_path, text))
    message = str(err.value)
    assert message.count("prog.yaml") == 1 and message.startswith(f"{tmp_path / 'prog.yaml'}: 4 problems: ")
    for part in ("titel is not a known field", "deliverables[0]: unknown deliverable 'web-4k'",
                 "house.width: 321 is odd", "social.out: 00:00:02:00 is not after social.in 00:00:09:00"):
        assert part in message


def test_a_bad_timecode_beside_other_problems(tmp_path: Path) -> None:
    found = problems_of(tmp_path, BASE.replace('out: "00:00:04:00"', 'out: "00:01:72:00"').replace("BR-02,", "X,"))
    assert found[0].startswith("timeline.cut[0].out: '00:01:72:00' has minutes or seconds above 59")
    assert found[1].startswith("timeline.cut[1].clip: 'X' is not in the footage")


# -- after probing ------------------------------------------------------------------------------------

def video_info(path: str, seconds: float, rate: str = "25/1") -> MediaInfo:
    video = VideoStream(0, "h264", None, 320, 180, "1:1", "yuv420p", rate, rate, "progressive", 0,
                        None, None, None, None, None, None)
    return MediaInfo(path, "mov", 1, round(seconds * 1000), None, video, (), 0, 0, None, None)


def audio_info(path: str, seconds: float) -> MediaInfo:
    return MediaInfo(path, "wav", 1, round(seconds * 1000), None, None,
                     (AudioStream(0, "pcm_s16le", 48000, 2, "stereo", 16),), 0, 0, None, None)


def test_probed_problems_all_at_once(tmp_path: Path) -> None:
    text = BASE.replace('out: "00:00:04:00"', 'out: "00:00:10:00"').replace(
        "deliverables", "    - {clip: PV-01, in: '00:00:09:10', out: '00:00:09:20'}\ndeliverables")
    programme = load_manifest(write(tmp_path, text))
    infos = {"PV-01": video_info("a.mov", 8.0), "BR-02": audio_info("b.wav", 30.0)}
    assert probed_problems(programme, infos) == [
        "timeline.cut[0].out: 00:00:10:00 is past the end of clip PV-01 (00:00:08:00)",
        "timeline.cut[1].clip: 'BR-02' has no picture (an audio-only file); the cut list is picture: "
        "lay voice-over or music under a picture clip in the edit",
        "timeline.cut[2].in: 00:00:09:10 is past the end of clip PV-01 (00:00:08:00)",
    ]


def test_probed_cut_points_at_the_clips_own_rate(tmp_path: Path) -> None:
    programme = load_manifest(write(tmp_path, BASE.replace('out: "00:00:04:00"', 'out: "00:00:04:27"')))
    infos = {"PV-01": video_info("a.mov", 8.0), "BR-02": video_info("b.mov", 3.0)}
    assert probed_problems(programme, infos) == [
        "timeline.cut[0].out: '00:00:04:27' has frame 27 but the rate 25 has frames 00–24 (clip PV-01 is 25 fps)"]
    infos["PV-01"] = video_info("a.mov", 8.0, "30000/1001")
    assert probed_problems(programme, infos) == []
    assert probed_problems(programme, infos, failed=frozenset({"BR-02"})) == [
        "timeline.cut[1].clip: 'BR-02' failed to ingest (its error is above)"]
    del infos["BR-02"]
    assert probed_problems(programme, infos) == ["timeline.cut[1].clip: 'BR-02' is not among the ingested footage"]
    assert probed_problems(programme, infos, skip_unprobed=True) == []  # before encoding: it fails on its own


# -- imported subtitles against the programme -----------------------------------------------------------

def cue(index: int, start_ms: int, end_ms: int, text: str = "Hello") -> Cue:
    return Cue(index, start_ms, end_ms, (text,))


def test_a_file_timed_from_ten_hours_is_shifted_with_a_note() -> None:
    ten = 36_000_000
    fit = fit_to_programme([cue(1, ten + 500, ten + 2500), cue(2, ten + 3000, ten + 9900)], 10_000, Fraction(25))
    assert fit.shift_ms == ten and not fit.problems
    assert [(c.start_ms, c.end_ms) for c in fit.cues] == [(500, 2500), (3000, 9900)]
    assert fit.notes == ("the cues were timed from 10:00:00:00 (a programme start timecode); "
                         "shifted by -10:00:00,000 to the programme's 00:00:00:00",)


def test_one_hour_start_and_a_file_already_on_the_programme() -> None:
    assert fit_to_programme([cue(1, 3_600_000 + 100, 3_600_000 + 900)], 1_000, Fraction(25)).shift_ms == 3_600_000
    fit = fit_to_programme([cue(1, 500, 2500)], 10_000, Fraction(25))
    assert fit.shift_ms == 0 and not fit.notes and not fit.problems


def test_cues_outside_the_programme_are_problems() -> None:
    # a cue at 5:00 in a 10 s programme, and one running 2 s past the end; no whole-hour offset explains them
    fit = fit_to_programme([cue(1, 500, 2000), cue(2, 9000, 12_000), cue(3, 300_000, 302_000)], 10_000, Fraction(25))
    assert fit.shift_ms == 0
    assert fit.problems == ("cue 2 ends at 00:00:12,000, after the programme's end (00:00:10,000)",
                            "cue 3 starts at 00:05:00,000, after the programme's end (00:00:10,000)")
    # a last cue ending within a frame of the end is the same frame
    assert not fit_to_programme([cue(1, 9000, 10_039)], 10_000, Fraction(25)).problems


def test_an_hour_offset_that_does_not_fit_is_not_applied() -> None:
    fit = fit_to_programme([cue(1, 36_000_500, 36_002_000), cue(2, 36_060_000, 36_062_000)], 10_000, Fraction(25))
    assert fit.shift_ms == 0 and len(fit.problems) == 2


@pytest.fixture()
def imported(tmp_path: Path) -> tuple[Path, Workspace]:
    programme = make_programme(tmp_path / "prog")
    ws = Workspace(tmp_path / "ws", programme.id)
    timeline = Timeline("demo", Fraction(25), 320, 180, 48000, (Segment("a", "a.mov", 0, 250, 0, True),), ())
    write_json(ws.timeline_json, timeline.to_dict())
    return programme.manifest_path, ws


def _import(ws: Workspace, manifest: Path, srt: Path, *extra: str) -> Result:
    return CliRunner().invoke(cli, ["--workspace", str(ws.root), *extra, "subtitles", "import", str(manifest),
                                    "--lang", "en", str(srt)])


def test_import_cli_shifts_a_file_from_the_nle(imported: tuple[Path, Workspace], tmp_path: Path) -> None:
    manifest, ws = imported
    srt = tmp_path / "from nle.srt"
    srt.write_text("1\n10:00:00,500 --> 10:00:03,000\nGood evening.\n\n2\n10:00:04,000 --> 10:00:06,000\n"
                   "From Trà Vinh.\n", encoding="utf-8")
    result = _import(ws, manifest, srt)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "timed from 10:00:00:00 (a programme start timecode); shifted by -10:00:00,000" in said
    cues = read_subtitles(ws.subtitle("en", "srt")).cues
    assert [(c.start_ms, c.end_ms) for c in cues] == [(500, 3000), (4000, 6000)]


def test_import_cli_refuses_cues_past_the_end(imported: tuple[Path, Workspace], tmp_path: Path) -> None:
    manifest, ws = imported
    srt = tmp_path / "other.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:03,000\nGood evening.\n\n2\n00:05:00,000 --> 00:05:02,000\n"
                   "Goodbye.\n", encoding="utf-8")
    result = _import(ws, manifest, srt)
    assert isinstance(result.exception, SubtitleError)  # main() prints it as one line
    message = result.exception.one_line()
    assert "other.srt: 1 cue(s) outside the 00:00:10:00 programme (cue 2 starts at 00:05:00,000" in message
    assert "nothing imported" in message and "--force" in message
    assert not ws.subtitle("en", "srt").exists()
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "--json", "subtitles", "import", str(manifest),
                                      "--lang", "en", str(srt), "--force"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["outside_programme"] == [
        "cue 2 starts at 00:05:00,000, after the programme's end (00:00:10,000)"]
