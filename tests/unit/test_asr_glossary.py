"""Glossary loading, recognition bias and spelling correction (diacritics, capitals, timings)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from pipeline.asr.glossary import (
    Corrector,
    Glossary,
    Term,
    bias_text,
    correct_transcript,
    default_glossary_path,
    estimate_tokens,
    load_glossary,
    natural_list,
    parse_terms,
)
from pipeline.asr.transcript import WORD_CORRECTED, TranscriptWord
from pipeline.errors import SubtitleError
from tests.asr_fixtures import segment, transcript, words_from


@pytest.fixture(scope="module")
def house() -> Glossary:
    return load_glossary()


def fix(glossary: Glossary, text: str) -> str:
    return Corrector(glossary).correct_text(text)[0]


def test_house_glossary_loads_and_is_nfc(house: Glossary) -> None:
    assert default_glossary_path().is_file()
    names = {t.vi for t in house.terms}
    for name in ("Trà Vinh", "Ao Bà Om", "chùa Âng", "Cầu Kè", "Ok Om Bok", "Chôl Chnăm Thmây", "kẹo dừa"):
        assert name in names
    assert all(unicodedata.is_normalized("NFC", t.vi) for t in house.terms)
    assert house.english("Sở Thông tin và Truyền thông") == "Department of Information and Communications"
    assert house.english("ủy ban nhân dân tỉnh") == "Provincial People's Committee"


@pytest.mark.parametrize(
    ("heard", "expected"),
    [
        ("đến với tỉnh tra vinh hôm nay", "đến với tỉnh Trà Vinh hôm nay"),
        ("đến với tỉnh chà vinh.", "đến với tỉnh Trà Vinh."),
        ("TRÀ VINH", "Trà Vinh"),
        ("thăm ao bà ôm vào sáng sớm", "thăm Ao Bà Om vào sáng sớm"),
        ("lễ hội ok om bok", "lễ hội Ok Om Bok"),
        ("Chùa âng rất đẹp", "Chùa Âng rất đẹp"),  # a capital at the start of a sentence stays
        ("uỷ ban nhân dân tỉnh", "Ủy ban nhân dân tỉnh"),  # old-style tone placement folds too
        ("kênh quan chánh bố", "kênh Quan Chánh Bố"),
        ("(Cầu Ngang),", "(Cầu Ngang),"),
        ("vùng duyên hải phía nam", "vùng duyên hải phía nam"),  # an everyday word: left alone
        ("huyện duyên hải", "huyện Duyên Hải"),
        ("Tra, Vinh", "Tra, Vinh"),  # punctuation inside means it is not the name
        ("cha vinh", "cha vinh"),  # "father Vinh": only listed mishearings are matched loosely
    ],
)
def test_spellings_are_corrected_where_safe(house: Glossary, heard: str, expected: str) -> None:
    assert fix(house, heard) == expected


def test_correction_keeps_word_timings_one_for_one(house: Glossary) -> None:
    words = words_from("tỉnh tra vinh.", 1000)
    fixed, changes = Corrector(house).correct_words(words)
    assert changes == 1
    assert [w.text for w in fixed] == ["tỉnh", "Trà", "Vinh."]
    assert [(w.start_ms, w.end_ms) for w in fixed] == [(w.start_ms, w.end_ms) for w in words]
    assert fixed[1].heard == "tra" and WORD_CORRECTED in fixed[1].flags
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
    words = (TranscriptWord(0, 300, "ô", 0.9), TranscriptWord(300, 700, "côm.", 0.4))
    fixed, _ = Corrector(glossary).correct_words(words)
    assert [(w.text, w.start_ms, w.end_ms, w.probability) for w in fixed] == [("Okom.", 0, 700, 0.4)]
    assert fixed[0].heard == "ô côm."


def test_ambiguous_folded_forms_are_not_corrected() -> None:
    glossary = Glossary((Term("Bà Rá", "Ba Ra"), Term("Bá Ra", "Ba Ra 2")))
    assert fix(glossary, "ba ra") == "ba ra"
    assert fix(glossary, "bà rá") == "Bà Rá", "an exact match still fixes capitals"


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
    t = transcript("c1", [segment("chào mừng đến tra vinh"), segment("không có tên riêng", 5000)])
    fixed, changes = correct_transcript(t, house)
    assert changes == 1
    assert fixed.segments[0].text == "chào mừng đến Trà Vinh"
    assert fixed.segments[1] == t.segments[1]
    assert fixed.glossary_sha256 == house.sha256
