"""The subtitles stage on hand-made transcripts and a hand-made timeline (no model, no media).

Timeline: clip `a` 0–10 s placed at 0, then clip `b` 2–8 s placed at 10 s (a cut at 10 000 ms).
Words in `b` before 2 s or after 8 s must not appear; words of `b` at 2.5 s land at 10.5 s.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.fsutil import write_json
from pipeline.manifest import Programme
from pipeline.stages.subtitles import SubtitlesSettings, subtitles_programme
from pipeline.subs import read_subtitles
from pipeline.timeline import Segment, Timeline
from pipeline.translate import SourceCue, TranslationContext
from pipeline.translate.base import translate_protected
from pipeline.workspace import Workspace
from tests.asr_fixtures import make_programme, segment, transcript, write_silent_wav

A_TEXT = "Chào mừng quý vị đến với tỉnh Trà Vinh. Ao Bà Om là một danh thắng nổi tiếng của tỉnh."
B_OUTSIDE = "không được thấy"
B_TEXT = "Người dân ở đây sống bằng nghề trồng dừa và làm kẹo dừa."


class FakeTranslator:
    """English = 'EN:' + the protected Vietnamese, so glossary restoration is visible."""

    name = "fake"
    is_machine_draft = True

    def __init__(self) -> None:
        self.calls = 0

    def translate(self, cues: Sequence[SourceCue], context: TranslationContext) -> list[str]:
        self.calls += 1
        return translate_protected(cues, context.glossary, lambda texts: [f"EN: {t}" for t in texts])


def two_clip_workspace(tmp_path: Path) -> tuple[Programme, Workspace]:
    """Two clips cut together, as the transcribe and assemble stages leave them: the timeline, each
    clip's transcript (clip b also has speech outside its in/out points) and silent 16 kHz audio."""
    programme = make_programme(tmp_path / "prog")
    ws = Workspace(tmp_path / "ws", programme.id)
    rate = Fraction(25)
    timeline = Timeline("demo", rate, 320, 180, 48000,
                        (Segment("a", "a.mov", 0, 250, 0, True), Segment("b", "b.mov", 50, 200, 250, True)),
                        (10_000,))
    write_json(ws.timeline_json, timeline.to_dict())
    write_json(ws.transcript_json("a"), transcript("a", [segment(A_TEXT, 500, step_ms=330)]).to_json())
    write_json(ws.transcript_json("b"), transcript("b", [segment(B_OUTSIDE, 0, step_ms=300),
                                                         segment(B_TEXT, 2500, step_ms=330)]).to_json())
    for clip in ("a", "b"):
        write_silent_wav(ws.audio16k(clip), 10_000)
    return programme, ws


@pytest.fixture()
def setup(tmp_path: Path) -> tuple[Programme, Workspace]:
    return two_clip_workspace(tmp_path)


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()}


def test_cues_span_segments_in_programme_time(setup: tuple[object, Workspace]) -> None:
    programme, ws = setup
    report = subtitles_programme(programme, ws, translator=FakeTranslator())  # type: ignore[arg-type]
    vi = read_subtitles(ws.subtitle("vi", "srt")).cues
    text = " ".join(c.flat_text for c in vi)
    assert "không được thấy" not in text
    assert "Trà Vinh" in text and "kẹo dừa" in text
    b_cues = [c for c in vi if "Người" in c.flat_text]
    assert b_cues and abs(b_cues[0].start_ms - 10_500) <= 3 * 40
    assert all(c.end_ms <= 10_000 or c.start_ms >= 10_000 for c in vi)  # no cue crosses the cut
    assert report.languages[0].lint["errors"] == 0, report.to_dict()
    en = read_subtitles(ws.subtitle("en", "srt")).cues
    record = json.loads((ws.subtitles_dir / "demo.subtitles.json").read_text(encoding="utf-8"))
    cue_map = record["languages"]["en"]["cue_map"]
    # Recognised speech takes its English by sentence: "… Trà Vinh. Ao Bà Om … nổi tiếng" / "của tỉnh." is
    # one group of two cues (two whole sentences), then clip b's sentence on its own cue.
    assert [m["vi"] for m in cue_map] == [[1, 2], [3]] and len(vi) == 3
    for entry in cue_map:  # each English cue sits inside its Vietnamese cues' time
        first, last = vi[entry["vi"][0] - 1], vi[entry["vi"][-1] - 1]
        assert entry["en"] and all(first.start_ms <= en[k - 1].start_ms < en[k - 1].end_ms <= last.end_ms
                                   for k in entry["en"])
    assert sorted(k for m in cue_map for k in m["en"]) == list(range(1, len(en) + 1))
    assert "chars-per-line" not in record["languages"]["en"]["lint"]["rules"]
    english = " ".join(c.flat_text for c in en)
    assert "Trà Vinh" in english and "Ba Om Pond" in english and "coconut candy" in english
    assert record["languages"]["en"]["machine_draft"] is True and record["languages"]["en"]["reviewed"] is False
    assert (ws.subtitles_dir / "demo.vi.lint.json").is_file()


def test_rerun_changes_nothing(setup: tuple[object, Workspace]) -> None:
    programme, ws = setup
    translator = FakeTranslator()
    subtitles_programme(programme, ws, translator=translator)  # type: ignore[arg-type]
    before = _snapshot(ws.subtitles_dir)
    again = subtitles_programme(programme, ws, translator=translator)  # type: ignore[arg-type]
    assert again.up_to_date and translator.calls == 1
    assert _snapshot(ws.subtitles_dir) == before
    manifest = str(programme.manifest_path)  # type: ignore[attr-defined]
    result = CliRunner().invoke(cli, ["--workspace", str(ws.root), "subtitles", "make", manifest])
    assert result.exit_code == 0 and "up to date" in result.output, result.output
    assert _snapshot(ws.subtitles_dir) == before


def test_hand_edited_file_survives_byte_for_byte(setup: tuple[object, Workspace]) -> None:
    programme, ws = setup
    subtitles_programme(programme, ws, translator=FakeTranslator())  # type: ignore[arg-type]
    srt = ws.subtitle("vi", "srt")
    edited = srt.read_bytes().replace("Chào mừng".encode(), "Xin chào".encode())
    srt.write_bytes(edited)
    report = subtitles_programme(programme, ws, translator=FakeTranslator())  # type: ignore[arg-type]
    assert srt.read_bytes() == edited
    assert report.languages[0].source == "hand-edited"
    assert "Xin chào" in ws.subtitle("vi", "vtt").read_text(encoding="utf-8")  # VTT follows the edit
    assert "Xin chào" in ws.subtitle("en", "srt").read_text(encoding="utf-8")  # English from the edit
    subtitles_programme(programme, ws, settings=SubtitlesSettings(en_style="en"),
                        translator=FakeTranslator())  # type: ignore[arg-type]
    assert srt.read_bytes() == edited


def test_an_editors_file_over_re_transcribed_speech_is_kept_and_flagged(setup: tuple[object, Workspace]) -> None:
    programme, ws = setup
    subtitles_programme(programme, ws, translator=FakeTranslator())  # type: ignore[arg-type]
    srt = ws.subtitle("vi", "srt")
    edited = srt.read_bytes().replace("Chào mừng".encode(), "Xin chào".encode())
    srt.write_bytes(edited)
    first = subtitles_programme(programme, ws, translator=FakeTranslator())  # type: ignore[arg-type]
    assert first.languages[0].needs_review == ()  # the editor's file, made against today's speech
    # Clip b is re-transcribed (the audio under it changed): the file is kept, and someone must look.
    write_json(ws.transcript_json("b"), transcript("b", [segment(B_TEXT, 1500, step_ms=300)]).to_json())
    second = subtitles_programme(programme, ws, translator=FakeTranslator())  # type: ignore[arg-type]
    assert srt.read_bytes() == edited
    assert second.languages[0].needs_review == ("b",)
    record = json.loads((ws.subtitles_dir / "demo.subtitles.json").read_text(encoding="utf-8"))
    assert record["languages"]["vi"]["needs_review"] == ["b"]
    # The editor looks again and saves: the flag goes.
    srt.write_bytes(edited.replace("Xin chào".encode(), "Kính chào".encode()))
    third = subtitles_programme(programme, ws, translator=FakeTranslator())  # type: ignore[arg-type]
    assert third.languages[0].needs_review == ()


def test_one_changed_sentence_is_translated_again_with_the_one_it_is_context_for(
        setup: tuple[object, Workspace]) -> None:
    programme, ws = setup
    subtitles_programme(programme, ws, translator=FakeTranslator())  # type: ignore[arg-type]
    cues = len(read_subtitles(ws.subtitle("vi", "srt")).cues)
    en_srt, en_vtt = ws.subtitle("en", "srt"), ws.subtitle("en", "vtt")
    en_srt.unlink()
    en_vtt.unlink()
    again = subtitles_programme(programme, ws, translator=FakeTranslator())  # type: ignore[arg-type]
    assert again.languages[1].translated_now == 0 and cues > 1  # every sentence from the cache
    srt = ws.subtitle("vi", "srt")
    srt.write_bytes(srt.read_bytes().replace("Chào mừng".encode(), "Xin chào".encode()))
    fixed = subtitles_programme(programme, ws, translator=FakeTranslator())  # type: ignore[arg-type]
    # The first sentence changed, and with it the context of the second; clip b's sentence is kept.
    assert fixed.languages[1].translated_now == 2
    assert "EN: Xin chào" in " ".join(c.flat_text for c in read_subtitles(en_srt).cues)


def test_import_and_lint_cli(setup: tuple[object, Workspace], tmp_path: Path) -> None:
    programme, ws = setup
    subtitles_programme(programme, ws, translator=FakeTranslator())  # type: ignore[arg-type]
    manifest = str(programme.manifest_path)  # type: ignore[attr-defined]
    outside = tmp_path / "outside.srt"
    outside.write_text("1\n00:00:00,500 --> 00:00:03,000\nHello from outside.\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(cli, ["--workspace", str(ws.root), "subtitles", "import", manifest, "--lang", "en",
                                 str(outside)])
    assert result.exit_code == 0, result.output
    report = subtitles_programme(programme, ws, translator=FakeTranslator())  # type: ignore[arg-type]
    assert report.languages[1].source == "imported"
    assert "Hello from outside." in ws.subtitle("en", "vtt").read_text(encoding="utf-8")

    bad = tmp_path / "bad.srt"
    bad.write_text("1\n00:00:00,000 --> 00:00:00,200\nThis line is far too long to be read in two tenths of a"
                   " second by anyone\n", encoding="utf-8")
    result = runner.invoke(cli, ["--json", "subtitles", "lint", str(bad), "--profile", "en"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    rules = {i["rule"] for i in data["issues"]}
    assert {"chars-per-line", "min-duration"} <= rules and all("cue" in i and "timecode" in i for i in data["issues"])
    good = runner.invoke(cli, ["subtitles", "lint", str(ws.subtitle("vi", "srt")), "--profile", "vi"])
    assert good.exit_code == 0, good.output
    unreadable = tmp_path / "x.srt"
    unreadable.write_bytes(b"")
    result = runner.invoke(cli, ["subtitles", "lint", str(unreadable)])
    assert result.exit_code != 0 and "empty" in str(result.exception or result.output)


def test_sheet_round_trip_and_validation(setup: tuple[object, Workspace], tmp_path: Path) -> None:
    from pipeline.stages.subtitles import import_sheet_rows
    from pipeline.translate.sheet_backend import SheetRow, read_sheet, write_sheet

    programme, ws = setup
    subtitles_programme(programme, ws, translator=FakeTranslator())  # type: ignore[arg-type]
    sheet = tmp_path / "review.csv"
    runner = CliRunner()
    manifest = str(programme.manifest_path)  # type: ignore[attr-defined]
    result = runner.invoke(cli, ["--workspace", str(ws.root), "subtitles", "export-sheet", manifest, str(sheet)])
    assert result.exit_code == 0, result.output
    rows = read_sheet(sheet)
    assert rows and rows[0].machine.startswith("EN:") and rows[0].final == ""
    with pytest.raises(Exception, match="final English is empty"):
        import_sheet_rows(programme, ws, sheet)  # type: ignore[arg-type]
    long = "word " * 30
    bad = [SheetRow(r.cue, r.timecode, r.vietnamese, r.machine, long if r.cue == 1 else "Fine.") for r in rows]
    write_sheet(sheet, bad[:-1])
    with pytest.raises(Exception, match=r"cues.*cue 1: final English needs"):
        import_sheet_rows(programme, ws, sheet)  # type: ignore[arg-type]
    good = [SheetRow(r.cue, r.timecode, r.vietnamese, r.machine, f"Reviewed line {r.cue}.") for r in rows]
    for suffix in (".csv", ".xlsx"):
        path = sheet.with_suffix(suffix)
        write_sheet(path, good)
        assert read_sheet(path) == good
    assert import_sheet_rows(programme, ws, sheet.with_suffix(".xlsx")) == len(rows)  # type: ignore[arg-type]
    report = subtitles_programme(programme, ws, translator=FakeTranslator())  # type: ignore[arg-type]
    en = report.record["languages"]["en"]
    assert en["source"] == "imported" and en["reviewed"] is True and en["machine_draft"] is False
    assert "Reviewed line 1." in ws.subtitle("en", "srt").read_text(encoding="utf-8")
