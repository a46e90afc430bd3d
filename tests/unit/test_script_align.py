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


# dautu's coconut narration as Whisper heard it (clip ms): the second sentence's "Chuỗi giá trị" came
# back as four syllables, "cho nên là chỉ", so the alignment pairs "Chuỗi" with "nên" and leaves "cho"
# outside both sentences, a one-word cue of 200 ms between them.
COCONUT_1 = "Với khoảng 27 nghìn héc-ta dừa, Trà Vinh là một trong những vùng trồng dừa lớn nhất cả nước."
COCONUT_2 = ("Chuỗi giá trị từ trái dừa đến thạch dừa, than hoạt tính và hàng xuất khẩu đang thu hút nhiều "
             "doanh nghiệp.")
COCONUT_HEARD = [
    (860, 1240, "Với"), (1240, 1560, "khoảng"), (1560, 1840, "hai"), (1840, 2100, "mươi"), (2100, 2340, "thành"),
    (2340, 2720, "hết"), (2720, 2920, "tà"), (2920, 3260, "giữa,"), (3540, 3760, "Trà"), (3760, 3980, "Vinh"),
    (3980, 4160, "là"), (4160, 4360, "một"), (4360, 4740, "chẳng"), (4740, 4960, "nhúng"), (4960, 5200, "vùng"),
    (5200, 5480, "chồng"), (5480, 5780, "giữa"), (5780, 5980, "lớn"), (5980, 6300, "nhớt"), (6300, 6460, "cả"),
    (6460, 6700, "nước,"), (7570, 7750, "cho"), (7750, 7930, "nên"), (7930, 8110, "là"), (8110, 8370, "chỉ"),
    (8370, 8610, "từ"), (8610, 8990, "cháy"), (8990, 9250, "giữa"), (9250, 9390, "bên"), (9390, 9710, "tạch"),
    (9710, 10050, "giữa,"), (10310, 10490, "tan"), (10490, 10750, "quạt"), (10750, 10950, "tính"),
    (10950, 11190, "và"), (11190, 11510, "hàng"), (11510, 11870, "sớt"), (11870, 12150, "khẩu"),
    (12150, 12350, "đăng"), (12350, 12650, "phố"), (12650, 12810, "của"), (12810, 13130, "tìu"),
    (13130, 13390, "xanh"), (13390, 13830, "nghiệp."),
]


def coconut_words() -> list[TimedWord]:
    return [TimedWord(a, b, t, 0.6, None, f"coco@{a}") for a, b, t in COCONUT_HEARD]


def test_a_stray_word_at_a_sentence_start_that_was_not_heard_as_it_is_taken_in() -> None:
    words = coconut_words()
    result = align([Line("row 11", COCONUT_1), Line("row 12", COCONUT_2)], words)
    assert [p.sentence.id for p in result.placements] == ["1", "2"]
    second = result.placements[1]
    assert [w.text for w in second.words] == COCONUT_2.split()
    assert second.first_word == 21 and second.start_ms == 7570  # from "cho", where the voice starts
    assert [w.text for w in result.words if w.block is None] == []  # no recognised word left between them
    assert [n for n in result.notes if "“cho”" in n and n.startswith("row 12")]  # and the record says so
    cues = segment(list(result.words), load_style("vi"))
    assert next(" ".join(c.lines) for c in cues if c.lines[0].startswith(("cho", "Chuỗi"))).startswith("Chuỗi")
    assert not [c for c in cues if c.duration_ms < 833]


def test_a_word_said_next_to_a_sentence_heard_as_itself_keeps_its_recognised_words() -> None:
    """"vâng" before "Đây là…", joined and in the same clip: the sentence's start was heard as itself,
    so the word is speech of its own (an ad-lib), not the sentence misheard."""
    words = [*heard(S1, 0), TimedWord(7500, 7760, "vâng", 0.8, None, "c1@7500"), *heard(S2, 7800)]
    result = align([Line("p1", S1), Line("p2", S2)], words)
    assert [w.text for w in result.words if w.block is None] == ["vâng"]
    assert result.placements[1].start_ms == 7800
    assert not result.notes
