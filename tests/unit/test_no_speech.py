"""A programme without speech (B-roll with music, a drone sequence, phone clips of traffic) can be
made: the subtitles stage writes no subtitle file at all (never a 0-byte one), removes the ones it
wrote before, records `speech: false`; QC says so as INFO; a silent programme's loudness FAILs with
the fix instead of a bare "out of tolerance"; render lets the walk go on to QC for it."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from pipeline.errors import SubtitleError
from pipeline.fsutil import write_json
from pipeline.manifest import Programme
from pipeline.profiles import load_profile
from pipeline.qc.plan import PlanContext, Status, evaluate, plan_for
from pipeline.qc.subtitles import check_language
from pipeline.render.state import RenderedLoudness
from pipeline.stages.render import DeliverableResult, RenderReport, silence_warning
from pipeline.stages.subtitles import subtitles_programme
from pipeline.subs.ownership import write_if_not_edited
from pipeline.timeline import Segment, Timeline
from pipeline.workspace import Workspace
from tests.asr_fixtures import make_programme, segment, transcript, write_silent_wav
from tests.unit.test_subtitles_stage import A_TEXT, FakeTranslator

RATE = Fraction(25)


def _programme(tmp_path: Path, *, with_speech: bool) -> tuple[Programme, Workspace]:
    programme = make_programme(tmp_path / "prog")
    ws = Workspace(tmp_path / "ws", programme.id)
    timeline = Timeline("demo", RATE, 320, 180, 48000, (Segment("a", "a.mov", 0, 250, 0, True),), ())
    write_json(ws.timeline_json, timeline.to_dict())
    said = [segment(A_TEXT, 500, step_ms=330)] if with_speech else []
    write_json(ws.transcript_json("a"), transcript("a", said).to_json())
    write_silent_wav(ws.audio16k("a"), 10_000)
    return programme, ws


def _files(ws: Workspace) -> list[str]:
    return sorted(p.name for p in ws.subtitles_dir.iterdir() if p.suffix in (".srt", ".vtt"))


def test_no_speech_writes_no_subtitle_file_and_says_so(tmp_path: Path) -> None:
    programme, ws = _programme(tmp_path, with_speech=False)
    report = subtitles_programme(programme, ws, translator=FakeTranslator())  # type: ignore[arg-type]
    assert _files(ws) == [], "no subtitle file at all, never a 0-byte one"
    assert not [p for p in ws.subtitles_dir.rglob("*") if p.is_file() and p.stat().st_size == 0]
    record = json.loads((ws.subtitles_dir / "demo.subtitles.json").read_text(encoding="utf-8"))
    assert record["speech"] is False
    assert record["languages"]["vi"]["cues"] == 0 and record["languages"]["en"]["cues"] == 0
    vi = report.languages[0]
    assert "no speech" in vi.note and "no subtitle track" in vi.note
    again = subtitles_programme(programme, ws, translator=FakeTranslator())  # type: ignore[arg-type]
    assert again.up_to_date, "a programme without speech is up to date like any other"


def test_files_written_for_earlier_speech_are_removed_when_the_speech_goes(tmp_path: Path) -> None:
    programme, ws = _programme(tmp_path, with_speech=True)
    subtitles_programme(programme, ws, translator=FakeTranslator())  # type: ignore[arg-type]
    assert _files(ws) == ["demo.en.srt", "demo.en.vtt", "demo.vi.srt", "demo.vi.vtt"]
    write_json(ws.transcript_json("a"), transcript("a", []).to_json())  # re-cut to music only
    subtitles_programme(programme, ws, translator=FakeTranslator())  # type: ignore[arg-type]
    assert _files(ws) == [], "no earlier cue outlives the speech it was made for"


def test_an_editors_file_is_kept_when_there_is_no_speech(tmp_path: Path) -> None:
    programme, ws = _programme(tmp_path, with_speech=False)
    ws.subtitles_dir.mkdir(parents=True)
    mine = "1\n00:00:01,000 --> 00:00:03,000\nNhạc: Lý ngựa ô\n"
    ws.subtitle("vi", "srt").write_text(mine, encoding="utf-8")
    subtitles_programme(programme, ws, translator=FakeTranslator())  # type: ignore[arg-type]
    assert ws.subtitle("vi", "srt").read_text(encoding="utf-8") == mine


def test_an_empty_subtitle_file_is_never_written(tmp_path: Path) -> None:
    with pytest.raises(SubtitleError, match="without cues is not written"):
        write_if_not_edited(tmp_path / "x.srt", "", tmp_path / ".written.json")
    assert not (tmp_path / "x.srt").exists()


def test_qc_says_no_speech_as_info_not_a_missing_file(tmp_path: Path) -> None:
    paths = {"srt": tmp_path / "p.vi.srt", "vtt": tmp_path / "p.vi.vtt"}
    info = check_language(paths, "vi", None, [], None, no_speech=True)
    assert [(c.id, c.status) for c in info] == [("subtitles.vi", Status.INFO)]
    assert "no speech" in info[0].detail and "no subtitle track" in info[0].detail
    missing = check_language(paths, "vi", None, [], None)
    assert {c.status for c in missing} == {Status.FAIL}


@pytest.mark.parametrize("integrated", [None, -70.0])
def test_a_silent_deliverable_fails_loudness_with_the_fix(integrated: float | None) -> None:
    measured = {"audio.codec": "aac", "loudness.integrated": integrated, "loudness.true_peak": None,
                "loudness.lra": 0.0}
    specs = {s.id: s for s in plan_for(load_profile("web-720p"), PlanContext())}
    loud = evaluate(specs["loudness.integrated"], measured)
    assert loud.status is Status.FAIL and "silent" in loud.measured
    assert "add a music bed or a voice-over" in loud.detail
    assert evaluate(specs["loudness.true_peak"], measured).status is Status.PASS
    # a file that was not measured at all is still "not measured", not silent
    assert evaluate(specs["loudness.integrated"], {"audio.codec": "aac"}).measured == "not measured"


def _loudness(integrated: float | None, within: bool) -> RenderedLoudness:
    return RenderedLoudness(integrated, None if integrated is None else -3.0, 0.0, -23.0, 1.0, -1.0, within,
                            0.0, None, integrated, "test")


def test_render_of_a_silent_programme_goes_on_to_qc_and_says_what_to_do() -> None:
    silent = DeliverableResult("web-720p", "w.mp4", "rendered", loudness=_loudness(None, False))
    report = RenderReport("demo", [silent])
    assert report.ok and report.stop_reason == ""
    timeline = Timeline("demo", RATE, 320, 180, 48000, (Segment("a", "a.mov", 0, 50, 0, False),), ())
    warning = silence_warning("web-720p", silent.loudness, timeline)  # type: ignore[arg-type]
    assert "no clip in the edit has an audio track" in warning and "add a music bed" in warning
    loud = DeliverableResult("web-720p", "w.mp4", "rendered", loudness=_loudness(-18.3, False))
    stopped = RenderReport("demo", [loud])
    assert not stopped.ok
    assert "-18.3 LUFS (target -23 ± 1)" in stopped.stop_reason and "level it in the edit" in stopped.stop_reason
