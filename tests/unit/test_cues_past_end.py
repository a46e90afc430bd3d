"""Nothing on screen after the programme's end, and no shortened sentence passed off as the
translator's: lint's `past-end` rule (error), the subtitles stage clamping its cues to the end, QC
flagging a cue past it, and an English cue cut with "…" marked in the subtitles record (`shortened`)
where the review room and QC read it."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

from pipeline.fsutil import write_json
from pipeline.qc.plan import Status
from pipeline.qc.subtitles import check_language
from pipeline.records.subtitles import CueOrigin, SubtitlesLanguage, read_subtitles_record
from pipeline.review.cues import _origins
from pipeline.stages.subtitles import subtitles_programme
from pipeline.subs import Cue, lint, load_style, read_subtitles
from pipeline.subs.english import EnglishSpan, english_cues
from pipeline.timeline import Segment, Timeline
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace
from tests.asr_fixtures import make_programme, segment, transcript, write_silent_wav

RATE = Fraction(25)
END_MS = 10_000
VI = "Trà Vinh có nhiều chùa Khmer cổ kính."
# The translator's sentence: far more than two lines can show in the 1.6 s the Vietnamese takes, and
# the programme ends 0.4 s after it.
EN = ("Tra Vinh has many ancient Khmer pagodas, each with its own festival, its own monks and its own story "
      "of how the people of the province have kept their faith through floods, wars and hard times.")


def test_lint_finds_a_cue_past_the_programmes_end() -> None:
    cues = [Cue(1, 8_000, 9_500, ("Xin chào",)), Cue(2, 9_600, 11_920, ("Tạm biệt",))]
    report = lint(cues, load_style("en"), RATE, end_ms=END_MS)
    past = [i for i in report.issues if i.rule == "past-end"]
    assert [(i.cue, i.severity, i.value) for i in past] == [(2, "error", 1920)]
    assert "programme's end at 00:00:10:00" in past[0].message
    assert not [i for i in lint(cues, load_style("en"), RATE).issues if i.rule == "past-end"]


def test_english_never_runs_past_the_end_and_a_cut_sentence_is_marked() -> None:
    spans = [EnglishSpan((1,), 8_000, 9_600, EN)]
    free, _ = english_cues(spans, load_style("en"), RATE)
    assert free[-1].end_ms > END_MS, "without the end, the last English borrows time past it"
    cues, cue_map = english_cues(spans, load_style("en"), RATE, end_ms=END_MS)
    assert all(c.end_ms <= END_MS for c in cues)
    assert cue_map[0]["shortened"] and all(" ".join(cues[n - 1].lines).endswith("…")
                                           for n in cue_map[0]["shortened"])


def _programme(tmp_path: Path) -> tuple[object, Workspace]:
    programme = make_programme(tmp_path / "prog")
    folder = programme.manifest_path.parent
    (folder / "script.txt").write_text(f"{VI}\n\nEN: {EN}\n", encoding="utf-8")
    manifest = folder / "programme.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + "script: script.txt\n"
                        "asr: {script_timing: words}\n", encoding="utf-8")
    ws = Workspace(tmp_path / "ws", programme.id)
    timeline = Timeline("demo", RATE, 320, 180, 48000, (Segment("a", "a.mov", 0, 250, 0, True),), ())
    write_json(ws.timeline_json, timeline.to_dict())
    write_json(ws.transcript_json("a"), transcript("a", [segment(VI, 8_000, step_ms=200)]).to_json())
    write_silent_wav(ws.audio16k("a"), END_MS)
    return load_manifest(manifest), ws


def test_the_stage_clamps_to_the_end_and_marks_the_shortened_translators_sentence(tmp_path: Path) -> None:
    programme, ws = _programme(tmp_path)
    report = subtitles_programme(programme, ws)  # type: ignore[arg-type]
    for lang in ("vi", "en"):
        cues = read_subtitles(ws.subtitle(lang, "srt")).cues
        assert cues and all(c.end_ms <= END_MS for c in cues), (lang, cues)
    record = read_subtitles_record(ws)
    assert record is not None
    en = record.languages["en"]
    assert en.shortened and not en.reviewed, "a sentence cut with “…” is nobody's: someone must look"
    assert en.cue_map is not None and en.cue_map[0].en_origin is CueOrigin.SCRIPT and en.cue_map[0].shortened
    assert any("shortened with “…”" in p and "reportage review" in p for p in report.languages[1].problems)
    assert "past-end" not in en.lint["rules"]
    # the review room shows those cues as shortened, not as the script's
    per_cue = [origin for origin, _ in _origins(ws, "en", read_subtitles(ws.subtitle("en", "srt")).cues, set())]
    assert [per_cue[n - 1] for n in en.shortened] == ["shortened"] * len(en.shortened)
    # QC reads the same mark
    paths = {ext: ws.subtitle("en", ext) for ext in ("srt", "vtt")}
    checks = {c.id: c for c in check_language(paths, "en", None, None, en)}
    assert checks["subtitles.en.shortened"].status is Status.WARN


def test_qc_fails_a_cue_past_the_end(tmp_path: Path) -> None:
    srt = tmp_path / "p.en.srt"
    srt.write_text("1\n00:00:08,000 --> 00:00:11,920\nGoodbye from Tra Vinh\n", encoding="utf-8")
    timeline = Timeline("demo", RATE, 320, 180, 48000, (Segment("a", "a.mov", 0, 250, 0, True),), ())
    checks = {c.id: c for c in check_language({"srt": srt}, "en", timeline, None,
                                              SubtitlesLanguage("imported", None, False, True, 1, {}))}
    assert checks["subtitles.en.lint"].status is Status.FAIL
    assert "past-end" in checks["subtitles.en.lint"].detail
    assert json.loads(json.dumps(checks["subtitles.en.lint"].to_dict()))["spans_s"] == [[8.0, 11.92]]


def test_clamp_to_end() -> None:
    from pipeline.subs.cues import clamp_to_end

    cues = [Cue(1, 8_000, 9_000, ("a",)), Cue(2, 9_500, 11_000, ("b",)), Cue(3, 10_200, 11_000, ("c",))]
    assert [(c.index, c.end_ms) for c in clamp_to_end(cues, END_MS)] == [(1, 9_000), (2, 10_000)]
    kept = clamp_to_end(cues, END_MS, drop=False)
    assert [(c.index, c.start_ms, c.end_ms) for c in kept] == [(1, 8_000, 9_000), (2, 9_500, 10_000),
                                                               (3, 10_200, 11_000)]
