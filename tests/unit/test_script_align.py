"""The script laid on the speech: exact words, times from the heard syllables, and what the edit did."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.script.align import align, sentences_of, split_text, syllable_keys
from pipeline.script.english import share_out
from pipeline.script.units import cue_blocks, english_units
from pipeline.subs import load_style, segment
from pipeline.subs.cues import Cue, TimedWord


@dataclass(frozen=True)
class Line:
    ref: str
    vi: str
    en: str | None = None
    speaker: str | None = None
    clip: str | None = None


S1 = "Nằm ở cửa sông Hậu, Khu kinh tế Định An rộng hơn 39 nghìn héc-ta."
S2 = "Đây là vùng động lực của tỉnh Trà Vinh, nơi hội tụ cảng biển và năng lượng."
S3 = "Luồng cho tàu biển trọng tải lớn vào sông Hậu đã mở ra con đường ngắn nhất."
S4 = "Ven biển, nghề nuôi tôm nước lợ ứng dụng công nghệ cao đang phát triển mạnh."
ADLIB = "ờ thì bây giờ chúng ta đi xem một chút nhé các bạn"

# What a weak recogniser makes of the script: initials and tones wrong, words merged or lost.
MISHEARD = {"trà": "chà", "vinh": "bình", "luồng": "lồn", "hậu": "phở", "trọng": "chẳng", "biển": "viên",
            "tải": "tài", "động": "đông", "héc-ta": "hét ta", "cảng": "càng", "tôm": "tom", "lợ": "lớ"}


def heard(text: str, start_ms: int, clip: str = "c1", drop_every: int = 0) -> list[TimedWord]:
    """`text` as a recogniser might return it: 300 ms a syllable, some misheard, some lost."""
    words: list[TimedWord] = []
    at = start_ms
    for n, token in enumerate(text.split()):
        bare = token.strip(",.").lower()
        said = MISHEARD.get(bare, bare)
        if drop_every and n % drop_every == drop_every - 1:
            at += 300
            continue
        for part in said.split():
            words.append(TimedWord(at, at + 260, part, 0.8, None, f"{clip}@{at - start_ms}"))
            at += 300
    return words


def test_keys_ignore_case_marks_and_punctuation() -> None:
    assert syllable_keys("Hậu,") == ("hau",)
    assert syllable_keys("héc-ta") == ("hec", "ta")
    assert syllable_keys("ĐƯỜNG") == ("duong",)
    assert syllable_keys("–") == ()


def test_sentences_split_with_their_english_when_counts_agree() -> None:
    line = Line("row 1", f"{S1} {S2}", "This is the first. This is the second.")
    sentences = sentences_of([line])
    assert [s.id for s in sentences] == ["1.1", "1.2"]
    assert sentences[1].en == "This is the second."
    # English with another number of sentences: the row stays one unit
    assert len(sentences_of([Line("row 1", f"{S1} {S2}", "All in one.")])) == 1
    assert split_text("TP. Hồ Chí Minh đẹp.") == ["TP. Hồ Chí Minh đẹp."]


def test_script_words_replace_misheard_ones_with_the_heard_timing() -> None:
    words = heard(S1, 1000) + heard(S2, 8000)
    result = align([Line("row 1", S1), Line("row 2", S2)], words)
    assert [p.sentence.id for p in result.placements] == ["1", "2"]
    first = result.placements[0]
    assert " ".join(w.text for w in first.words) == S1
    assert abs(first.start_ms - 1000) <= 1  # the first syllable was heard (as itself)
    second = result.placements[1]
    assert second.start_ms == 8000  # "Đây" heard right
    assert [w.text for w in result.words][: len(S1.split())] == S1.split()
    assert all(w.block == "script:1#1" for w in first.words)
    assert not result.missing and not result.unscripted


def test_a_sentence_the_edit_dropped_is_reported_not_invented() -> None:
    words = heard(S1, 0) + heard(S3, 9000)
    result = align([Line("p1", S1), Line("p2", S2), Line("p3", S3)], words)
    assert [p.sentence.id for p in result.placements] == ["1", "3"]
    assert [s.ref for s in result.missing] == ["p2"]
    assert result.report()["not_in_edit"][0]["vi"] == S2
    assert "Đây" not in " ".join(w.text for w in result.words)


def test_a_sentence_recorded_twice_is_placed_twice() -> None:
    words = heard(S1, 0) + heard(S2, 8000) + heard(S2, 16000)
    result = align([Line("p1", S1), Line("p2", S2)], words)
    placed = [(p.sentence.id, p.occurrence) for p in result.placements]
    assert placed == [("1", 1), ("2", 1), ("2", 2)]
    assert [s.id for s in result.repeated] == ["2"]
    assert result.report()["spoken_twice"][0]["at_ms"] == [8000, 16000]


def test_a_reordered_paragraph_is_found_where_it_was_spoken() -> None:
    words = heard(S3, 0) + heard(S1, 9000) + heard(S2, 18000)
    result = align([Line("p1", S1), Line("p2", S2), Line("p3", S3)], words)
    assert [p.sentence.id for p in result.placements] == ["3", "1", "2"]
    assert result.out_of_order == ("3",)


def test_adlibbed_speech_keeps_its_recognised_words() -> None:
    words = heard(S1, 0) + heard(ADLIB, 8000, clip="c2") + heard(S2, 14000)
    result = align([Line("p1", S1), Line("p2", S2)], words)
    assert [p.sentence.id for p in result.placements] == ["1", "2"]
    kept = [w.text for w in result.words if w.block is None]
    assert kept == ADLIB.split()
    assert result.unscripted and result.unscripted[0][2] == ADLIB


def test_unrelated_speech_places_nothing() -> None:
    words = heard(ADLIB + " " + ADLIB, 0)
    result = align([Line("p1", S1), Line("p2", S4)], words)
    assert result.placements == ()
    assert len(result.missing) == 2


def test_lost_syllables_are_interpolated_inside_the_sentence() -> None:
    words = heard(S4, 2000, drop_every=4)
    result = align([Line("p1", S4)], words)
    placed = result.placements[0]
    assert [w.text for w in placed.words] == S4.split()
    starts = [w.start_ms for w in placed.words]
    assert starts == sorted(starts)
    assert placed.words[-1].end_ms <= 2000 + 300 * len(S4.split()) + 300


def test_a_clip_named_in_the_script_limits_where_its_sentence_is_looked_for() -> None:
    words = heard(S1, 0, clip="a") + heard(S1, 9000, clip="b")
    result = align([Line("p1", S1, clip="b")], words)
    assert [p.start_ms for p in result.placements] == [9000]


def test_segmented_cues_never_mix_a_script_sentence_with_other_words() -> None:
    words = heard(S1, 0) + heard("vâng ạ", 7400, clip="c2") + heard(S2, 8200)
    result = align([Line("p1", S1, "Lying at the mouth of the Hậu River."), Line("p2", S2)], words)
    cues = segment(list(result.words), load_style("vi"))
    blocks = cue_blocks(cues, result)
    texts = {b.block if b else None: [] for b in blocks}  # type: ignore[var-annotated]
    for cue, block in zip(cues, blocks, strict=True):
        texts[block.block if block else None].append(" ".join(cue.lines))
    assert " ".join(texts["script:1#1"]) == S1
    assert " ".join(texts["script:2#1"]) == S2
    assert " ".join(texts[None]) == "vâng ạ"
    units = english_units(blocks)
    assert [u.origin for u in units] == ["script", "recognised", "script"][: len(units)] or len(units) > 3


def test_an_edited_cue_without_source_ids_is_matched_by_time() -> None:
    words = heard(S1, 0)
    result = align([Line("p1", S1)], words)
    cue = Cue(1, 100, 2500, ("Nằm ở cửa sông Hậu",))
    assert cue_blocks([cue], result)[0] is result.placements[0]
    assert cue_blocks([Cue(1, 60_000, 62_000, ("khác",))], result) == [None]


def test_english_is_shared_at_clause_boundaries_and_never_inside_a_term() -> None:
    english = ("Lying at the mouth of the Hậu River, the Định An Economic Zone covers more than "
               "39 thousand hectares.")
    two = share_out(english, [30, 30], ["Định An Economic Zone"])
    assert two[0].endswith("River,") and two[1].startswith("the Định An")
    three = share_out(english, [20, 20, 20], ["Định An Economic Zone"])
    assert " ".join(three) == english and all(three)
    assert not any(p.endswith("Định") or p.endswith("Economic") for p in three)
    assert share_out("Yes.", [5, 5]) == ["Yes.", ""]
