"""Uncertain recognised words carried from the transcript's `low_probability` flag into the
subtitles record, and counted by QC.

The transcripts are real `Transcript` objects with flagged words (one of them respelled by the
glossary at recognition, as `asr.glossary` leaves it: respelled text, `heard`, both flags); the
stage segments, breaks lines and writes the files as it always does; the record's character spans
must then pick exactly the flagged words out of the cue text read back from the SRT.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import pytest

from pipeline.asr.transcript import WORD_CORRECTED, WORD_LOW_PROBABILITY, TranscriptWord
from pipeline.fsutil import write_json
from pipeline.qc.checks import uncertain_words
from pipeline.qc.plan import CheckResult, CheckSpec, Status, evaluate, subtitles_plan
from pipeline.qc.subtitles import check_language
from pipeline.records.subtitles import SubtitlesLanguage, UncertainCue, UncertainWord, read_subtitles_record
from pipeline.stages.subtitles import subtitles_programme
from pipeline.subs import Cue, TimedWord, read_subtitles
from pipeline.subs.adopt import adopt_cues
from pipeline.timeline import Segment, Timeline
from pipeline.translate import SourceCue, TranslationContext
from pipeline.uncertain import flagged_words, mark_cues
from pipeline.workspace import Workspace
from tests.asr_fixtures import make_programme, segment, transcript, write_silent_wav

# Clip a: two sentences, long enough that the stage breaks them over two lines and several cues.
A_TEXT = ("Chào mừng quý vị đến với tỉnh Trà Vinh, nơi có nhiều danh thắng nổi tiếng và con người hiền hòa. "
          "Ao Bà Om là một điểm hẹn của du khách gần xa mỗi dịp lễ hội Ok Om Bok.")
UNSURE = {"Vinh,": 0.21, "thắng": 0.33, "hẹn": 0.4, "Bok.": 0.12}  # clip a's flagged words (as written)
B_TEXT = "Người dân ở đây sống bằng nghề trồng dừa."


class EchoTranslator:
    name = "echo"
    is_machine_draft = True

    def translate(self, cues: Sequence[SourceCue], context: TranslationContext) -> list[str]:
        return [f"EN {c.text}" for c in cues]


def _flag(words: Sequence[TranscriptWord], unsure: dict[str, float]) -> tuple[TranscriptWord, ...]:
    out = []
    for w in words:
        if w.text in unsure:
            flags: tuple[str, ...] = (WORD_LOW_PROBABILITY,)
            heard = None
            if w.text == "Vinh,":  # respelled by the glossary at recognition ("Vin," was heard)
                flags, heard = (WORD_LOW_PROBABILITY, WORD_CORRECTED), "Vin,"
            w = dataclasses.replace(w, probability=unsure[w.text], flags=flags, heard=heard)
        out.append(w)
    return tuple(out)


@pytest.fixture()
def setup(tmp_path: Path) -> tuple[object, Workspace]:
    programme = make_programme(tmp_path / "prog")
    ws = Workspace(tmp_path / "ws", programme.id)
    timeline = Timeline("demo", Fraction(25), 320, 180, 48000,
                        (Segment("a", "a.mov", 0, 400, 0, True), Segment("b", "b.mov", 0, 150, 400, True)),
                        (16_000,))
    write_json(ws.timeline_json, timeline.to_dict())
    seg_a = segment(A_TEXT, 500, step_ms=300)
    a = transcript("a", [dataclasses.replace(seg_a, words=_flag(seg_a.words, UNSURE))])
    seg_b = segment(B_TEXT, 500, step_ms=300)
    b = transcript("b", [dataclasses.replace(seg_b, words=_flag(seg_b.words, {"dừa.": 0.3}))])
    write_json(ws.transcript_json("a"), a.to_json())
    write_json(ws.transcript_json("b"), b.to_json())
    for clip in ("a", "b"):
        write_silent_wav(ws.audio16k(clip), 16_000)
    return programme, ws


def _make(programme: object, ws: Workspace) -> None:
    subtitles_programme(programme, ws, translator=EchoTranslator())  # type: ignore[arg-type]


def _marked(ws: Workspace) -> list[tuple[int, str]]:
    """(cue number, word) of every uncertain word the record gives, its span read in the SRT's cue text."""
    record = read_subtitles_record(ws)
    assert record is not None
    entry = record.languages["vi"]
    cues = read_subtitles(ws.subtitle("vi", "srt")).cues
    assert entry.uncertain_words is not None
    out = []
    for unsure in entry.uncertain_words:
        cue = cues[unsure.cue - 1]
        assert (cue.start_ms, cue.end_ms, cue.text) == (unsure.start_ms, unsure.end_ms, unsure.text)
        for word in unsure.words:
            assert cue.text[word.start:word.end] == word.text
            out.append((unsure.cue, word.text))
    return out


def test_flagged_words_reach_their_cues_through_respelling_and_line_breaks(setup: tuple[object, Workspace]) -> None:
    programme, ws = setup
    _make(programme, ws)
    marked = _marked(ws)
    assert [w for _, w in marked] == ["Vinh", "thắng", "hẹn", "Bok", "dừa"]  # edge punctuation left out
    cues = read_subtitles(ws.subtitle("vi", "srt")).cues
    assert any(len(c.lines) == 2 for n, c in enumerate(cues, 1) if n in {m for m, _ in marked})
    record = read_subtitles_record(ws)
    assert record is not None and record.languages["en"].uncertain_words is None  # recognised speech is Vietnamese
    words = [w for u in record.languages["vi"].uncertain_words or () for w in u.words]
    assert [round(w.probability, 2) for w in words] == [0.21, 0.33, 0.4, 0.12, 0.3]
    # spoken at their transcript times, moved to the programme's clock (clip b is placed at 16 s)
    assert words[0].at_ms == 500 + 300 * A_TEXT.split().index("Vinh,")
    assert words[-1].at_ms == 16_000 + 500 + 300 * B_TEXT.split().index("dừa.")
    # "Trà Vinh" is a glossary term: never split, and only "Vinh" is the uncertain part of it
    holder = next(c for c in cues if "Vinh" in c.text)
    assert "Trà Vinh" in holder.text.replace("\n", " ") and "Trà\nVinh" not in holder.text
    data = json.loads((ws.subtitles_dir / "demo.subtitles.json").read_text(encoding="utf-8"))
    first = data["languages"]["vi"]["uncertain_words"][0]
    assert set(first) == {"cue", "start_ms", "end_ms", "text", "words"}
    assert set(first["words"][0]) == {"start", "end", "text", "probability", "at_ms"}


def test_the_command_says_how_many_to_hear_again(setup: tuple[object, Workspace],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.commands.common import Ctx
    from pipeline.commands.subtitles import show_subtitles

    programme, ws = setup
    report = subtitles_programme(programme, ws, translator=EchoTranslator())  # type: ignore[arg-type]
    show_subtitles(Ctx(ws.root, False, 0), programme, report)  # type: ignore[arg-type]
    said = " ".join(capsys.readouterr().err.split())
    cues = len({n for n, _ in _marked(ws)})
    assert f"5 uncertain recognised word(s) in {cues} Vietnamese cue(s) to hear again" in said


def test_a_cue_a_person_changed_has_no_uncertain_words(setup: tuple[object, Workspace]) -> None:
    programme, ws = setup
    _make(programme, ws)
    before = _marked(ws)
    cues = list(read_subtitles(ws.subtitle("vi", "srt")).cues)
    fixed = next(n for n, w in before if w == "hẹn")
    # the review room's save: one cue's text changed, the whole file adopted as the editor's
    cues[fixed - 1] = dataclasses.replace(cues[fixed - 1], lines=("Ao Bà Om là một điểm hẹn",
                                                                  "của du khách gần xa"))
    adopt_cues(ws, "vi", cues, ws.dir / "review" / "edits.json")
    record = read_subtitles_record(ws)
    assert record is not None
    now = read_subtitles(ws.subtitle("vi", "srt")).cues
    # before the stage runs again, readers already see the changed cue as reviewed
    assert [u.cue for u in record.languages["vi"].uncertain_in(now)] == sorted({n for n, _ in before} - {fixed})
    _make(programme, ws)
    record = read_subtitles_record(ws)
    assert record is not None and record.languages["vi"].source == "imported"
    assert _marked(ws) == [(n, w) for n, w in before if n != fixed]  # the others are still unreviewed


def test_split_cue_renumbers_the_ones_after(setup: tuple[object, Workspace]) -> None:
    programme, ws = setup
    _make(programme, ws)
    before = _marked(ws)
    cues = list(read_subtitles(ws.subtitle("vi", "srt")).cues)
    first = cues[0]
    middle = (first.start_ms + first.end_ms) // 2
    words = first.flat_text.split()
    halves = [dataclasses.replace(first, end_ms=middle, lines=(" ".join(words[:2]),)),
              dataclasses.replace(first, start_ms=middle + 80, lines=(" ".join(words[2:]),))]
    adopt_cues(ws, "vi", [*halves, *cues[1:]], ws.dir / "review" / "edits.json")
    _make(programme, ws)
    assert _marked(ws) == [(n + 1, w) for n, w in before if n != 1]


def test_an_imported_file_of_other_cues_has_none(setup: tuple[object, Workspace]) -> None:
    programme, ws = setup
    _make(programme, ws)
    cues = read_subtitles(ws.subtitle("vi", "srt")).cues
    adopt_cues(ws, "vi", [dataclasses.replace(c, end_ms=c.end_ms - 40) for c in cues], ws.dir / "translator.srt")
    _make(programme, ws)
    assert _marked(ws) == []


def test_a_script_sentence_has_the_scripts_words_not_the_uncertain_ones(setup: tuple[object, Workspace]) -> None:
    from pipeline.validate import load_manifest

    programme, ws = setup
    folder = programme.manifest_path.parent  # type: ignore[attr-defined]
    first = A_TEXT.split(". ")[0] + "."
    (folder / "script.txt").write_text(f"{first}\n\nEN: Welcome to Trà Vinh province.\n", encoding="utf-8")
    manifest = folder / "programme.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + "script: script.txt\n", encoding="utf-8")
    _make(load_manifest(manifest), ws)
    # "Vinh," and "thắng" were flagged, but the cue shows the script's words there; the ad-lib
    # speech after the script keeps its recognised words and their flags
    assert [w for _, w in _marked(ws)] == ["hẹn", "Bok", "dừa"]
    record = read_subtitles_record(ws)
    assert record is not None and record.script is not None and record.script["placed"] == 1


def test_script_words_are_never_uncertain() -> None:
    words = [TimedWord(0, 300, "Trà", 0.2, None, "a@0"), TimedWord(300, 600, "Vinh", 0.2, None, "a@300"),
             TimedWord(600, 900, "đẹp", 0.9, None, "script:1#1|a@600", "script:1#1"),
             TimedWord(900, 1200, ".", 0.9, None, "a@900")]
    cues = [Cue(1, 0, 700, ("Trà Vinh",)), Cue(2, 700, 1500, ("đẹp.",))]
    flagged = {"a@300": 0.2, "script:1#1|a@600": 0.1, "a@900": 0.1}
    vinh = UncertainWord(4, 8, "Vinh", 0.2, 300)
    assert mark_cues(cues, words, flagged) == [UncertainCue(1, 0, 700, "Trà Vinh", (vinh,))]
    # two speakers: the dash is no word; a cue that is not these words stops the walk
    dashed = [Cue(1, 0, 1200, ("- Trà Vinh", "- đẹp."))]
    assert [w.start for u in mark_cues(dashed, words, flagged) for w in u.words] == [6]
    assert mark_cues([Cue(1, 0, 700, ("Xin chào",))], words, flagged) == []


def test_flags_are_read_from_the_transcript_on_the_programmes_clock(setup: tuple[object, Workspace]) -> None:
    _, ws = setup
    from pipeline.asr.transcript import Transcript
    from pipeline.timeline import load_timeline

    timeline = load_timeline(ws.timeline_json)
    b = Transcript.from_json(json.loads(ws.transcript_json("b").read_text(encoding="utf-8")))
    index = B_TEXT.split().index("dừa.")
    assert flagged_words(timeline, {"b": b}) == {f"b@{500 + 300 * index}": 0.3}


# -- QC -----------------------------------------------------------------------------------------------

def _entry(cues: Sequence[Cue], marks: dict[int, list[str]] | None) -> SubtitlesLanguage:
    unsure = None if marks is None else tuple(
        UncertainCue(n, cues[n - 1].start_ms, cues[n - 1].end_ms, cues[n - 1].text,
                     tuple(UncertainWord(cues[n - 1].text.index(w), cues[n - 1].text.index(w) + len(w), w, 0.3,
                                         cues[n - 1].start_ms + 100) for w in words))
        for n, words in marks.items())
    return SubtitlesLanguage("generated", "transcript", False, False, len(cues), {}, uncertain_words=unsure)


CUES = [Cue(1, 1000, 3000, ("Chào mừng quý vị",)), Cue(2, 3200, 5000, ("đến với Trà Vinh",)),
        Cue(3, 12_000, 14_000, ("điểm hẹn", "của nhà đầu tư"))]


def _verdict(entry: SubtitlesLanguage, cues: Sequence[Cue]) -> tuple[CheckSpec, CheckResult]:
    spec = subtitles_plan("vi")[0]
    return spec, evaluate(spec, {spec.measure: uncertain_words(entry, cues, Fraction(25))})


def test_qc_warns_with_the_count_and_the_first_timecode() -> None:
    entry = _entry(CUES, {2: ["Vinh"], 3: ["hẹn", "đầu", "tư"]})
    measured = uncertain_words(entry, CUES, Fraction(25))
    assert measured is not None and (measured["words"], measured["cues"], measured["first_tc"]) == (4, 2, "00:00:03:07")
    _, result = _verdict(entry, CUES)
    assert result.status is Status.WARN and result.value == 4 and result.unit == "words"
    assert result.detail == ("4 uncertain recognised words in 2 cues nobody has reviewed (first at 00:00:03:07): "
                             "review them in the review room")
    assert result.spans_s == ((3.2, 5.0), (12.0, 14.0))


def test_qc_passes_when_none_are_left() -> None:
    _, result = _verdict(_entry(CUES, {}), CUES)
    assert result.status is Status.PASS and result.measured == "none"
    # a cue edited since the record was written is reviewed: only the other one counts
    edited = [*CUES[:2], dataclasses.replace(CUES[2], lines=("điểm hẹn", "của các nhà đầu tư"))]
    _, result = _verdict(_entry(CUES, {2: ["Vinh"], 3: ["hẹn"]}), edited)
    assert result.status is Status.WARN and result.value == 1
    assert "1 uncertain recognised word in 1 cue nobody" in result.detail
    _, result = _verdict(_entry(CUES, {3: ["hẹn"]}), edited)
    assert result.status is Status.PASS


def test_qc_of_an_old_record_says_not_recorded_and_english_has_no_such_check() -> None:
    _, result = _verdict(_entry(CUES, None), CUES)
    assert result.status is Status.INFO and result.measured == "not recorded"
    assert subtitles_plan("en") == []
    assert uncertain_words(None, CUES, Fraction(25)) is None


def test_qc_subtitle_checks_of_the_stage_output(setup: tuple[object, Workspace]) -> None:
    programme, ws = setup
    _make(programme, ws)
    from pipeline.timeline import load_timeline

    record = read_subtitles_record(ws)
    assert record is not None
    paths = {ext: ws.subtitle("vi", ext) for ext in ("srt", "vtt")}
    checks = check_language(paths, "vi", load_timeline(ws.timeline_json), None, record.languages["vi"])
    found = next(c for c in checks if c.id == "subtitles.vi.uncertain_words")
    assert found.status is Status.WARN and found.value == 5
    assert "5 uncertain recognised words in" in found.detail and "first at 00:00:" in found.detail
    en = check_language({ext: ws.subtitle("en", ext) for ext in ("srt", "vtt")}, "en",
                        load_timeline(ws.timeline_json), None, record.languages["en"])
    assert not any(c.id.endswith("uncertain_words") for c in en)


# -- the review room's cue list ------------------------------------------------------------------------

def test_review_board_marks_the_words_until_a_reviewer_saves_the_cue(setup: tuple[object, Workspace]) -> None:
    from pipeline.review import cues as cuelist
    from pipeline.timeline import load_timeline

    programme, ws = setup
    _make(programme, ws)
    ctx = cuelist.make_context(ws, load_timeline(ws.timeline_json))
    rows = cuelist.board(ws, ctx)["vi"]["cues"]
    marked = {r["no"]: [r["text"][u["start"]:u["end"]] for u in r["uncertain"]] for r in rows if r["uncertain"]}
    assert [w for words in marked.values() for w in words] == ["Vinh", "thắng", "hẹn", "Bok", "dừa"]
    assert all(r["origin"] == "recognised" for r in rows if r["uncertain"])
    first = next(r for r in rows if r["uncertain"])
    assert set(first["uncertain"][0]) == {"start", "end", "text", "probability", "at_ms"}
    # a reviewer fixes the cue with "hẹn" (Vietnamese) and an English cue: both files are theirs now
    no = next(n for n, words in marked.items() if "hẹn" in words)
    row = rows[no - 1]
    fixed = row["text"].replace("hẹn", "hẹn!")
    cuelist.save(ws, ctx, "vi", cuelist.edit_cue(ctx, "vi", no, row["version"], text=fixed))
    en = cuelist.board(ws, ctx)["en"]["cues"][0]
    cuelist.save(ws, ctx, "en", cuelist.edit_cue(ctx, "en", 1, en["version"], text="Welcome"))
    _make(programme, ws)  # the stage again, over two editor-owned files
    after = cuelist.board(ws, ctx)
    left = {r["no"]: [u["text"] for u in r["uncertain"]] for r in after["vi"]["cues"] if r["uncertain"]}
    assert no not in left and after["vi"]["cues"][no - 1]["origin"] == "reviewed"
    others = [w for n, words in marked.items() if n != no for w in words]
    assert [w for words in left.values() for w in words] == others and len(others) >= 3
    assert after["vi"]["uncertain"] == len(others)
    assert all(after["vi"]["cues"][n - 1]["origin"] == "recognised" for n in left)
