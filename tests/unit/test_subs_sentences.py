"""Machine English by sentence: recognised speech cut into sentences (punctuation, pauses, the edit),
each sentence translated whole with its neighbours as context, and its English laid over its cues
without "…" where it simply goes on into the next subtitle."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import pytest

from pipeline.fsutil import write_json
from pipeline.records.subtitles import RECORD_VERSION
from pipeline.stages.subtitles import subtitles_programme
from pipeline.subs import Cue, TimedWord, lint, load_style, read_subtitles
from pipeline.subs.english import EnglishSpan, english_cues
from pipeline.subs.sentences import cut_sentences, sentence_groups, without_added_ellipsis
from pipeline.timeline import Segment, Timeline
from pipeline.translate import SourceCue, TranslationContext
from pipeline.translate.cache import cue_keys
from pipeline.workspace import Workspace
from tests.asr_fixtures import make_programme, segment, transcript, write_silent_wav

RATE = Fraction(25)


def said(text: str, start_ms: int, *, step_ms: int = 300, clip: str = "a", clip_ms: int | None = None,
         ) -> list[TimedWord]:
    """Words of `text` back to back from `start_ms` (programme), heard in `clip` at `clip_ms`."""
    at = start_ms if clip_ms is None else clip_ms
    return [TimedWord(start_ms + k * step_ms, start_ms + (k + 1) * step_ms, token,
                      source_id=f"{clip}@{at + k * step_ms}") for k, token in enumerate(text.split())]


def texts(words: Sequence[TimedWord], pause_ms: int = 600) -> list[str]:
    return [" ".join(w.text for w in words[a:b]) for a, b in cut_sentences(words, pause_ms)]


# -- the sentence cutter -------------------------------------------------------------------------------

def test_sentence_final_punctuation_ends_a_sentence_an_abbreviation_does_not() -> None:
    words = said("Tôi sống ở TP. Hồ Chí Minh. Quê tôi ở Trà Vinh! Bạn biết không?", 0)
    assert texts(words) == ["Tôi sống ở TP. Hồ Chí Minh.", "Quê tôi ở Trà Vinh!", "Bạn biết không?"]


def test_an_ellipsis_ends_a_sentence_only_before_a_capital() -> None:
    words = said("Tôi... tôi nghĩ là được… Nhưng khó lắm.", 0)
    assert texts(words) == ["Tôi... tôi nghĩ là được…", "Nhưng khó lắm."]


def test_a_pause_ends_unpunctuated_speech() -> None:
    words = said("hồi trước nhà tôi nghèo lắm", 0) + said("bây giờ thì khác rồi", 2_500)  # 700 ms of silence
    assert texts(words) == ["hồi trước nhà tôi nghèo lắm", "bây giờ thì khác rồi"]
    short = said("hồi trước nhà tôi nghèo lắm", 0) + said("bây giờ thì khác rồi", 2_200)  # 400 ms
    assert texts(short) == ["hồi trước nhà tôi nghèo lắm bây giờ thì khác rồi"]


def test_punctuation_says_a_pause_is_not_the_end() -> None:
    comma = said("hồi trước nhà tôi nghèo lắm,", 0) + said("bây giờ thì khác rồi", 3_000)
    assert len(texts(comma)) == 1, "a comma before the pause: the sentence goes on"
    stop_ahead = said("Hồi trước nhà tôi", 0) + said("nghèo lắm.", 2_000) + said("Bây giờ khác rồi.", 3_000)
    assert texts(stop_ahead) == ["Hồi trước nhà tôi nghèo lắm.", "Bây giờ khác rồi."], \
        "punctuated speech: the sentence runs to its full stop across the hesitation"
    far = said("nhà tôi nghèo lắm", 0) + said("bây giờ khác rồi", 1_900) + said("Con tôi đi làm xa.", 18_000)
    assert texts(far) == ["nhà tôi nghèo lắm", "bây giờ khác rồi", "Con tôi đi làm xa."], \
        "a full stop 18 s on says nothing about these pauses"


def test_a_sentence_never_spans_two_clips() -> None:
    # Back to back in the programme, no punctuation, even a comma: the cut to another clip ends it.
    words = said("nhà tôi trồng dừa,", 0, clip="a") + said("dừa ở đây ngon lắm", 1_200, clip="b", clip_ms=40_000)
    assert texts(words) == ["nhà tôi trồng dừa,", "dừa ở đây ngon lắm"]


def test_a_jump_in_one_clip_is_a_pause_a_jump_back_is_a_cut() -> None:
    # The editor removed 3 s of the clip: no silence on screen, but the speaker stopped there.
    jump = said("nhà tôi trồng dừa", 0, clip_ms=10_000) + said("năm nay được mùa", 1_200, clip_ms=14_200)
    assert texts(jump) == ["nhà tôi trồng dừa", "năm nay được mùa"]
    # A few frames trimmed (an "ờ" cut out) is no pause.
    trim = said("nhà tôi trồng dừa", 0, clip_ms=10_000) + said("và nuôi gà", 1_200, clip_ms=11_400)
    assert len(texts(trim)) == 1
    back = said("nhà tôi trồng dừa", 0, clip_ms=10_000) + said("nhà tôi trồng dừa.", 1_200, clip_ms=10_000)
    assert len(texts(back)) == 2, "the same words again (another take) start another sentence"


def test_speech_without_a_stop_is_cut_at_its_longest_pause_when_it_runs_too_long() -> None:
    words = (said("một hai ba bốn năm sáu bảy tám chín mười,", 0)
             + said("mười một mười hai mười ba mười bốn,", 3_000) + said("hai mươi hai mươi mốt,", 6_500)
             + said("ba mươi ba mươi mốt ba mươi hai ba mươi ba,", 8_300)
             + said("bốn mươi bốn mươi mốt,", 14_000) + said("năm mươi năm mươi mốt năm mươi hai.", 15_900))
    pieces = cut_sentences(words)
    assert len(pieces) > 1 and pieces[0][0] == 0 and pieces[-1][1] == len(words)
    assert all(end == start for (_, end), (start, _) in itertools.pairwise(pieces)), "every word, in order"
    assert all(words[b - 1].end_ms - words[a].start_ms <= 15_000 for a, b in pieces)
    first_end = pieces[0][1]
    assert words[first_end].start_ms - words[first_end - 1].end_ms >= 1_000, "cut where the speaker paused longest"


def test_without_added_ellipsis() -> None:
    assert without_added_ellipsis("I sit by the window…", "tôi ngồi bên cửa sổ") == "I sit by the window"
    assert without_added_ellipsis("...to the wind blowing", "gió thổi") == "to the wind blowing"
    assert without_added_ellipsis("I don't know…", "tôi không biết…") == "I don't know…"


# -- sentences on cues ---------------------------------------------------------------------------------

def _cue(index: int, words: Sequence[TimedWord], lines: tuple[str, ...] | None = None, end_pad: int = 200) -> Cue:
    return Cue(index, words[0].start_ms, words[-1].end_ms + end_pad, lines or (" ".join(w.text for w in words),),
               source_ids=tuple(w.source_id for w in words))


def test_a_sentence_over_several_cues_makes_one_group_and_a_full_stop_inside_a_cue_joins_two() -> None:
    one = said("hồi trước nhà tôi nghèo lắm cả nhà sống nhờ", 0)
    two = said("mấy cây dừa sau vườn.", 3_000)
    three = said("Bây giờ khác rồi. Con tôi", 5_000)
    four = said("đi làm ở thành phố.", 6_800)
    five = said("Năm nay được mùa.", 20_000, clip="b", clip_ms=1_000)
    words = one + two + three + four + five
    cues = [_cue(k + 1, w) for k, w in enumerate((one, two, three, four, five))]
    groups = sentence_groups(cues, range(5), words, lambda ms: None)
    assert [g.cues for g in groups] == [(0, 1), (2, 3), (4,)]
    assert [[s.text for s in g.sentences] for g in groups] == [
        ["hồi trước nhà tôi nghèo lắm cả nhà sống nhờ mấy cây dừa sau vườn."],
        ["Bây giờ khác rồi.", "Con tôi đi làm ở thành phố."],
        ["Năm nay được mùa."]]
    assert groups[0].sentences[0].start_ms == 0 and groups[0].sentences[0].end_ms == two[-1].end_ms
    # A script sentence between cues 2 and 3 (position 2 not recognised): nothing runs across it.
    apart = sentence_groups(cues, [0, 1, 3, 4], words, lambda ms: None)
    assert [g.cues for g in apart] == [(0, 1), (3,), (4,)]


def test_cues_an_editor_changed_use_their_own_text_timed_across_the_cue() -> None:
    heard = said("nhà tôi trồng dừa", 0) + said("và nuôi gà.", 1_500)
    edited = [Cue(1, 0, 1_300, ("nhà tôi trồng dừa xiêm",)), Cue(2, 1_500, 2_600, ("và nuôi gà.",))]
    groups = sentence_groups(edited, [0, 1], heard, lambda ms: ("a", ms))
    assert [[s.text for s in g.sentences] for g in groups] == [["nhà tôi trồng dừa xiêm và nuôi gà."]]
    assert groups[0].cues == (0, 1)


def test_a_two_speaker_cue_splits_at_the_second_speakers_line() -> None:
    words = said("Anh trồng gì", 0) + said("Tôi trồng dừa", 1_000)
    cue = Cue(1, 0, 2_000, ("- Anh trồng gì", "- Tôi trồng dừa"), speaker_change=True,
              source_ids=tuple(w.source_id for w in words))
    groups = sentence_groups([cue], [0], words, lambda ms: None)
    assert [s.text for s in groups[0].sentences] == ["Anh trồng gì", "Tôi trồng dừa"]


# -- one sentence's English over several cues ---------------------------------------------------------

SENTENCE = ("In the old days my family was very poor, and we all lived off a few coconut trees in the garden "
            "and the chickens in the yard.")


def test_one_sentences_english_over_several_cues_has_no_ellipsis_and_loses_nothing() -> None:
    style = load_style("en")
    span = EnglishSpan((1, 2, 3), 1_000, 9_400, SENTENCE)
    cues, cue_map = english_cues([span], style, RATE)
    assert len(cues) >= 2 and cue_map[0]["en"] == [c.index for c in cues]
    assert all(c.flat_text for c in cues)
    assert " ".join(c.flat_text for c in cues) == SENTENCE
    assert "…" not in " ".join(c.flat_text for c in cues) and not cue_map[0].get("shortened")
    assert cues[0].start_ms == 1_000 and cues[-1].end_ms <= 9_400
    assert not lint(cues, style, RATE).errors


# -- the translator is asked for whole sentences, with context --------------------------------------------

A1 = "hồi trước nhà tôi nghèo lắm cả nhà sống nhờ mấy cây dừa sau vườn với mấy con gà ngoài sân"
A2 = "bây giờ thì khác rồi con cái đi làm ở thành phố gửi tiền về cho ông bà"
B1 = "Năm nay giá dừa cao nên bà con phấn khởi lắm."
ENGLISH = {
    A1: "We used to be very poor; the whole family lived off a few coconut trees in the garden and the "
        "chickens in the yard…",
    A2: "Things are different now: the children work in the city and send money home to their grandparents.",
    B1: "Coconut prices are high this year, so people are very happy.",
}


class RecordingTranslator:
    """Answers from ENGLISH (one answer ending in "…" as a model might) and remembers every request."""

    name = "recorder"
    is_machine_draft = True

    def __init__(self) -> None:
        self.asked: list[SourceCue] = []

    def translate(self, cues: Sequence[SourceCue], context: TranslationContext) -> list[str]:
        self.asked.extend(cues)
        return [ENGLISH[cue.text] for cue in cues]


@pytest.fixture()
def interview(tmp_path: Path) -> tuple[object, Workspace]:
    """Clip a (an answer, unpunctuated: a long sentence, a 900 ms pause, another) then clip b at 20 s."""
    programme = make_programme(tmp_path / "prog")
    ws = Workspace(tmp_path / "ws", programme.id)
    timeline = Timeline("demo", RATE, 320, 180, 48000,
                        (Segment("a", "a.mov", 0, 500, 0, True), Segment("b", "b.mov", 0, 250, 500, True)),
                        (20_000,))
    write_json(ws.timeline_json, timeline.to_dict())
    write_json(ws.transcript_json("a"), transcript("a", [segment(A1, 500, step_ms=300),
                                                         segment(A2, 500 + 21 * 300 + 900, step_ms=300)]).to_json())
    write_json(ws.transcript_json("b"), transcript("b", [segment(B1, 1_000, step_ms=300)]).to_json())
    for clip in ("a", "b"):
        write_silent_wav(ws.audio16k(clip), 20_000)
    return programme, ws


def test_each_request_is_one_whole_sentence_with_its_neighbours_as_context(
        interview: tuple[object, Workspace]) -> None:
    programme, ws = interview
    translator = RecordingTranslator()
    report = subtitles_programme(programme, ws, translator=translator)  # type: ignore[arg-type]
    vi = read_subtitles(ws.subtitle("vi", "srt")).cues
    assert len(vi) > 3, "the long sentence needs more than one Vietnamese cue"
    assert [c.text for c in translator.asked] == [A1, A2, B1]
    assert [(c.before, c.after) for c in translator.asked] == [("", A2), (A1, B1), (A2, "")]
    assert all(c.audio and {a.clip_id for a in c.audio} == {"a" if c.text != B1 else "b"} for c in translator.asked)

    en = read_subtitles(ws.subtitle("en", "srt")).cues
    record = json.loads((ws.subtitles_dir / "demo.subtitles.json").read_text(encoding="utf-8"))
    entry = record["languages"]["en"]
    assert entry["machine_draft"] is True and entry["reviewed"] is False and entry["backend"] == "recorder"
    groups = entry["cue_map"]
    assert [k for g in groups for k in g["vi"]] == [c.index for c in vi]
    assert record["version"] == RECORD_VERSION  # each language its own origin, and who drafted the English
    assert all(g["origins"] == {"vi": "recognised", "en": "machine"} and g["translated_by"] == "recorder"
               for g in groups)
    shown = [" ".join(en[k - 1].flat_text for k in g["en"]) for g in groups]
    assert shown == [ENGLISH[A1].removesuffix("…"), ENGLISH[A2], ENGLISH[B1]]
    assert all(c.flat_text for c in en) and not any("…" in c.flat_text for c in en)
    assert report.languages[1].lint["errors"] == 0, report.to_dict()
    assert report.languages[1].translated_now == 3

    # Asked again, nothing is translated; the cache key holds the context.
    again = RecordingTranslator()
    ws.subtitle("en", "srt").unlink()
    ws.subtitle("en", "vtt").unlink()
    assert subtitles_programme(programme, ws, translator=again).languages[1].translated_now == 0  # type: ignore[arg-type]
    assert again.asked == []


def test_the_cache_key_holds_the_context_and_a_cue_without_keeps_its_old_key() -> None:
    setup = {"backend": "llama"}
    plain = SourceCue(1, 0, 1000, "Bây giờ khác rồi.")
    with_context = SourceCue(1, 0, 1000, "Bây giờ khác rồi.", before="Hồi trước nghèo lắm.", after="")
    other_context = SourceCue(1, 0, 1000, "Bây giờ khác rồi.", before="Hồi trước giàu lắm.", after="")
    keys = cue_keys([plain, with_context, other_context], setup)
    assert len(set(keys)) == 3
    import hashlib

    base = json.dumps(setup, sort_keys=True, ensure_ascii=False)
    old = hashlib.sha256(json.dumps([base, plain.text, []], ensure_ascii=False).encode()).hexdigest()
    assert keys[0] == old
