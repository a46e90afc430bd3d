"""Glossary loading, recognition bias and spelling correction (diacritics, capitals, timings)."""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import pytest

from pipeline.asr.glossary import (
    LOOSE_CORRECTION,
    CorrectionSettings,
    Corrector,
    Glossary,
    Term,
    bias_text,
    correct_transcript,
    default_glossary_path,
    edit_distance,
    estimate_tokens,
    is_vietnamese_syllable,
    load_glossary,
    natural_list,
    parse_terms,
    similarity,
)
from pipeline.asr.transcript import WORD_CORRECTED, TranscriptWord
from pipeline.errors import SubtitleError
from tests.asr_fixtures import segment, transcript, words_from


@pytest.fixture(scope="module")
def house() -> Glossary:
    return load_glossary()


def test_house_glossary_loads_and_is_nfc(house: Glossary) -> None:
    assert default_glossary_path().is_file()
    names = {t.vi for t in house.terms}
    for name in ("Trà Vinh", "Ao Bà Om", "chùa Âng", "Cầu Kè", "Ok Om Bok", "Chôl Chnăm Thmây", "kẹo dừa"):
        assert name in names
    assert all(unicodedata.is_normalized("NFC", t.vi) for t in house.terms)
    assert house.english("Sở Thông tin và Truyền thông") == "Department of Information and Communications"
    assert house.english("ủy ban nhân dân tỉnh") == "Provincial People's Committee"


@pytest.fixture(scope="module")
def sample() -> Glossary:
    """The house glossary with the sample programmes' own (programme terms first), as they run."""
    return load_glossary(programme=default_glossary_path().parents[1] / "examples" / "glossary.yaml")


def fix(glossary: Glossary, text: str, settings: CorrectionSettings | None = None) -> str:
    return Corrector(glossary, settings).correct_text(text)[0]


@pytest.mark.parametrize(
    ("heard", "expected"),
    [
        ("đến với tỉnh Tra Vinh hôm nay", "đến với tỉnh Trà Vinh hôm nay"),  # written as a name: marks fixed
        ("đến với tỉnh trà Vinh.", "đến với tỉnh Trà Vinh."),  # one capital where the name has one is enough
        ("đến với tỉnh Chà Vinh.", "đến với tỉnh Trà Vinh."),  # a listed mishearing, written as a name
        ("đến với tỉnh Trà Vin", "đến với tỉnh Trà Vinh"),  # a listed mishearing, as written
        ("thăm Khu kinh tế Định Anh", "thăm Khu kinh tế Định An"),  # one slip in twenty: close enough
        ("TRÀ VINH", "Trà Vinh"),
        ("thăm chùa Ăng", "thăm chùa Âng"),
        ("lễ hội ok om bok", "lễ hội Ok Om Bok"),  # no Vietnamese syllables: it can only be the name
        ("thăm ao bà ôm vào sáng sớm", "thăm Ao Bà Om vào sáng sớm"),  # three syllables spelling a term
        ("uỷ ban nhân dân tỉnh", "Ủy ban nhân dân tỉnh"),  # old-style tone placement folds too
        ("kênh quan chánh bố", "kênh Quan Chánh Bố"),
        ("huyện duyên hải", "huyện Duyên Hải"),
        ("(Cầu Ngang),", "(Cầu Ngang),"),
        # Left alone: lower-case ordinary syllables, however close to a name
        ("đến với tỉnh tra vinh hôm nay", "đến với tỉnh tra vinh hôm nay"),
        ("Chùa âng rất đẹp", "Chùa âng rất đẹp"),  # the capital is the sentence's, not the name's
        ("Cây cầu ngang qua con kênh nhỏ.", "Cây cầu ngang qua con kênh nhỏ."),
        ("Cầu ngang qua con kênh nhỏ.", "Cầu ngang qua con kênh nhỏ."),
        ("Đôi mắt em càng long lanh.", "Đôi mắt em càng long lanh."),
        ("vùng duyên hải phía nam", "vùng duyên hải phía nam"),
        ("Tra, Vinh", "Tra, Vinh"),  # punctuation inside means it is not the name
        ("cha vinh", "cha vinh"),  # "father Vinh"
        ("Cảnh Phó Ba Đông La Thánh Cảnh", "Cảnh Phó Ba Đông La Thánh Cảnh"),  # capitals everywhere prove nothing
        ("Thà Cú chẳng chua ơn tần", "Thà Cú chẳng chua ơn tần"),  # one slip in a short name is too many
    ],
)
def test_strict_correction_respells_only_what_was_written_as_a_name(house: Glossary, heard: str,
                                                                     expected: str) -> None:
    assert fix(house, heard) == expected


@pytest.mark.parametrize(
    "said",
    [
        "Mùa khô năm nay nước sông hầu như cạn kiệt.",  # "sông hầu" is listed as a mishearing of sông Hậu
        "Hồi đó mỗi ổ bánh mì chỉ có giá ba đồng.",  # … "ba đồng" of Ba Động
        "Người dân trồng dứa rồi làm kẹo dứa bán cho khách.",  # … "kẹo dứa" of kẹo dừa
        "Bà ngoại bưng ra một đĩa thạch dứa mát lạnh.",  # … "thạch dứa" of thạch dừa
        "Các sư trong chùa ân cần đón tiếp khách thập phương.",  # … "chùa ân" of chùa Âng
        "Sáng sớm chiếc ghe ngô cập bến chợ nổi.",  # … "ghe ngô" of ghe ngo
        "Cây cầu ngang qua con kênh nhỏ trước nhà.",  # Cầu Ngang, folded
        "Chiếc áo dài duyên dáng được may bằng lụa tơ tằm.",
    ],
)
def test_everyday_speech_is_not_respelled_as_a_term(sample: Glossary, said: str) -> None:
    assert fix(sample, said) == said
    assert fix(sample, said, LOOSE_CORRECTION) != said or "duyên dáng" in said, \
        "the loose correction (before) did put a term here; the strict one must not"


@pytest.mark.parametrize(
    ("heard", "expected"),
    [
        ("đến với tỉnh tra vinh hôm nay", "đến với tỉnh Trà Vinh hôm nay"),
        ("đến với tỉnh chà vinh.", "đến với tỉnh Trà Vinh."),
        ("Chùa âng rất đẹp", "Chùa Âng rất đẹp"),
        ("vùng duyên hải phía nam", "vùng duyên hải phía nam"),  # `match: none` holds in loose mode too
        ("cha vinh", "cha vinh"),
    ],
)
def test_loose_correction_is_what_it_was(house: Glossary, heard: str, expected: str) -> None:
    assert fix(house, heard, LOOSE_CORRECTION) == expected


def test_similarity_counts_letters_and_marks() -> None:
    assert similarity("Trà Vinh", "trà vinh") == 1.0
    assert similarity("ba đồng", "Ba Động") == pytest.approx(1 - 1 / 9)  # one tone in nine characters
    assert similarity("ba đồng", "Ba Động", folded=True) == 1.0
    assert similarity("Trà Vin", "Trà Vinh", folded=True) == pytest.approx(1 - 1 / 8)
    assert similarity("", "") == 1.0 and similarity("a", "") == 0.0
    assert edit_distance("kitten", "sitting") == 3
    assert [is_vietnamese_syllable(w) for w in ("nghiêng", "Vinh.", "ôm", "khmer", "Bok", "okombok", "xyz")] == \
        [True, True, True, False, False, False, False]


def test_the_threshold_decides_a_near_name() -> None:
    glossary = Glossary((Term("Trà Vinh", "Tra Vinh"),))
    assert fix(glossary, "tỉnh Trà Vin", CorrectionSettings(min_similarity=0.85)) == "tỉnh Trà Vinh"
    assert fix(glossary, "tỉnh Trà Vin", CorrectionSettings(min_similarity=0.9)) == "tỉnh Trà Vin"


_SLIPS = "aàáảãạăâeêioôơuưyđdnghtkcbvmlrsx"


@pytest.mark.parametrize("threshold", [0.85, 0.9, 0.95])
def test_correction_never_rewrites_below_the_threshold(house: Glossary, threshold: float) -> None:
    """Every glossary name, misheard by one to three random letter or mark slips and written as a
    name: every word the corrector rewrites lies in a span at least `threshold` similar (measured
    here again) to the form of the term it was matched with; every other word is left as heard."""
    rng = random.Random(20240611)
    corrector = Corrector(house, CorrectionSettings(min_similarity=threshold))
    rewritten = kept = 0
    for term in house.terms:
        for _ in range(25):
            letters = list(term.vi)
            for _ in range(rng.randint(1, 3)):
                at = rng.randrange(len(letters))
                if letters[at] != " ":
                    letters[at] = rng.choice(_SLIPS)
            heard = " ".join(w[:1].upper() + w[1:] for w in "".join(letters).split())
            words = words_from(f"thăm {heard} hôm nay")
            fixed, _ = corrector.correct_words(words)
            covered: set[int] = set()
            for match in corrector.matches(words):
                span = " ".join(w.text for w in words[match.start : match.start + match.size])
                assert similarity(span, match.form, folded=match.folded) >= threshold, (span, match)
                covered |= set(range(match.start, match.start + match.size))
            if len(fixed) == len(words):
                for index, (before, after) in enumerate(zip(words, fixed, strict=True)):
                    assert before.text == after.text or index in covered, (heard, before.text, after.text)
            if [w.text for w in fixed] != [w.text for w in words]:
                rewritten += 1
            else:
                kept += 1
    assert rewritten > 10 and kept > 10, "the slips must give near and far misses, or the test proves nothing"


def test_correction_keeps_word_timings_one_for_one(house: Glossary) -> None:
    words = words_from("tỉnh Tra Vinh.", 1000)
    fixed, changes = Corrector(house).correct_words(words)
    assert changes == 1
    assert [w.text for w in fixed] == ["tỉnh", "Trà", "Vinh."]
    assert [(w.start_ms, w.end_ms) for w in fixed] == [(w.start_ms, w.end_ms) for w in words]
    assert fixed[1].heard == "Tra" and WORD_CORRECTED in fixed[1].flags
    assert fixed[2].heard is None and not fixed[2].flags, "a word already right is not marked corrected"
    assert fixed[0].heard is None and not fixed[0].flags


def test_a_merged_mishearing_is_split_with_consistent_timings(house: Glossary) -> None:
    words = (
        TranscriptWord(0, 400, "lễ", 0.9),
        TranscriptWord(400, 1300, "okombok,", 0.6),
        TranscriptWord(1300, 1600, "năm", 0.9),
    )
    fixed, _ = Corrector(house).correct_words(words)
    assert [w.text for w in fixed] == ["lễ", "Ok", "Om", "Bok,", "năm"]
    assert [(w.start_ms, w.end_ms) for w in fixed[1:4]] == [(400, 700), (700, 1000), (1000, 1300)]
    starts = [w.start_ms for w in fixed]
    assert starts == sorted(starts)


def test_split_words_are_merged_into_a_shorter_name() -> None:
    glossary = Glossary((Term("Okom", "Okom", mishearings=("ô côm",)),))
    words = (TranscriptWord(0, 300, "Ô", 0.9), TranscriptWord(300, 700, "côm.", 0.4))
    fixed, _ = Corrector(glossary).correct_words(words)
    assert fixed == list(words), "at a sentence's start, a capital is no sign of a name"
    later = (TranscriptWord(0, 300, "thăm", 0.9), TranscriptWord(300, 600, "Ô", 0.9),
             TranscriptWord(600, 1000, "côm.", 0.4))
    fixed, _ = Corrector(glossary).correct_words(later)
    assert [(w.text, w.start_ms, w.end_ms, w.probability) for w in fixed[1:]] == [("Okom.", 300, 1000, 0.4)]
    assert fixed[1].heard == "Ô côm."


def test_ambiguous_folded_forms_are_not_corrected() -> None:
    glossary = Glossary((Term("Bà Rá", "Ba Ra"), Term("Bá Ra", "Ba Ra 2")))
    assert fix(glossary, "núi Ba Ra") == "núi Ba Ra"
    assert fix(glossary, "núi bà Rá") == "núi Bà Rá", "an exact match still fixes capitals"
    assert fix(glossary, "ba ra", LOOSE_CORRECTION) == "ba ra"
    assert fix(glossary, "bà rá", LOOSE_CORRECTION) == "Bà Rá"


def test_programme_glossary_wins(tmp_path: Path) -> None:
    main = tmp_path / "main.yaml"
    main.write_text('terms:\n  - {vi: "Ao Bà Om", en: "Ba Om Pond"}\n', encoding="utf-8")
    mine = tmp_path / "mine.yaml"
    mine.write_text('terms:\n  - {vi: "ao Bà Om", en: "Ao Ba Om lake", kind: landmark}\n', encoding="utf-8")
    glossary = load_glossary(main, mine)
    assert len(glossary.terms) == 1 and glossary.terms[0].en == "Ao Ba Om lake"
    assert glossary.sources == (str(main), str(mine))


def test_glossary_text_is_nfc(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    decomposed = unicodedata.normalize("NFD", "Tiểu Cần")
    path.write_text(f'terms:\n  - {{vi: "{decomposed}", en: "Tieu Can"}}\n', encoding="utf-8")
    assert load_glossary(path, use_default=False).terms[0].vi == "Tiểu Cần"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"terms": [{"en": "x"}]}, r"terms\[0\]\.vi is required"),
        ({"terms": [{"vi": " ", "en": "x"}]}, r"terms\[0\]\.vi must be non-empty text"),
        ({"terms": [{"vi": "a b", "colour": "red"}]}, r"terms\[0\]\.colour is not a known field"),
        ({"terms": [{"vi": "a b", "match": "fuzzy"}]}, r"match must be one of"),
        ({"terms": [{"vi": "a b", "mishearings": "ab"}]}, r"mishearings must be a list"),
        ({"terms": [{"vi": "a b", "mishearings": ["ab", ""]}]}, r"terms\[0\]\.mishearings must list non-empty"),
        ({"terms": "Trà Vinh"}, r"^g\.yaml: terms "),
        (["vi"], r"must be a YAML mapping \(a `terms:` list"),
    ],
)
def test_bad_glossaries_name_the_entry(data: object, message: str) -> None:
    with pytest.raises(SubtitleError, match=message):
        parse_terms(data, "g.yaml")


def test_missing_or_broken_file(tmp_path: Path) -> None:
    with pytest.raises(SubtitleError, match="glossary not found"):
        load_glossary(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("terms: [", encoding="utf-8")
    with pytest.raises(SubtitleError, match="not valid YAML"):
        load_glossary(bad)


def test_bias_text_fits_the_budget_in_priority_order(house: Glossary) -> None:
    text = bias_text(house, 40)
    assert text is not None and text.startswith("Trà Vinh, Ao Bà Om")
    assert estimate_tokens(text) <= 40
    assert "Ủy ban nhân dân tỉnh" not in text, "terms marked prompt: false stay out"
    longer = bias_text(house, 200)
    assert longer is not None and len(longer) > len(text)
    assert bias_text(Glossary(), 40) is None


def test_bias_reads_as_a_sentence(house: Glossary) -> None:
    assert natural_list(["A", "B", "C"]) == "A, B và C" and natural_list(["A"]) == "A"
    text = bias_text(house, 28, "Phóng sự về {terms}.")
    assert text == "Phóng sự về Trà Vinh, Ao Bà Om và chùa Âng."
    assert estimate_tokens(text) <= 28, "the template counts against the budget"


def test_estimate_never_undercounts_whisper_tokens() -> None:
    # Counted with the bundled model's tokenizer: 124 tokens for these 292 UTF-8 bytes.
    text = (
        "Trà Vinh, Châu Thành, Cầu Ngang, Duyên Hải, Trà Cú, Cầu Kè, Tiểu Cần, Càng Long, Ao Bà Om, chùa Âng, "
        "biển Ba Động, Khu kinh tế Định An, Trung tâm Điện lực Duyên Hải, kênh Quan Chánh Bố, Ok Om Bok, "
        "Chôl Chnăm Thmây, ghe ngo, kẹo dừa, tôm sú"
    )
    assert estimate_tokens(text) >= 124


def test_correct_transcript_rebuilds_segment_text(house: Glossary) -> None:
    t = transcript("c1", [segment("chào mừng đến Tra Vinh"), segment("không có tên riêng", 5000)])
    fixed, changes = correct_transcript(t, house)
    assert changes == 1
    assert fixed.segments[0].text == "chào mừng đến Trà Vinh"
    assert fixed.segments[1] == t.segments[1]
    assert fixed.glossary_sha256 == house.sha256
