"""Segmentation: literal expectations for small streams, and a property test over random speech."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from pipeline.subs.cues import Cue, TimedWord
from pipeline.subs.lint import lint
from pipeline.subs.segment import normalise_words, segment
from pipeline.subs.style import Style, load_style

VI = load_style("vi")
EN = load_style("en")


def words_at(
    text: str,
    start_ms: int = 1000,
    syllable_ms: int = 300,
    gap_ms: int = 20,
    pause_ms: int = 600,
    speaker: str | None = None,
) -> list[TimedWord]:
    """Evenly timed words; a pause after each word ending in . , ? !"""
    out = []
    at = start_ms
    for token in text.split():
        out.append(TimedWord(at, at + syllable_ms, token, speaker=speaker))
        at += syllable_ms + gap_ms
        if token[-1] in ".,?!":
            at += pause_ms
    return out


def spans(words: list[TimedWord]) -> list[tuple[int, int]]:
    return [(w.start_ms, w.end_ms) for w in words]


def test_short_sentence_is_one_cue_on_frame_boundaries() -> None:
    cues = segment(words_at("Xin chào quý vị."), VI)
    assert cues == [Cue(1, 1000, 2280, ("Xin chào quý vị.",))]


def test_a_long_pause_separates_sentences() -> None:
    cues = segment(words_at("Xin chào quý vị. Hôm nay chúng ta đi Trà Vinh.", pause_ms=2000), VI)
    assert cues == [
        Cue(1, 1000, 2280, ("Xin chào quý vị.",)),
        Cue(2, 4280, 6520, ("Hôm nay chúng ta đi Trà Vinh.",)),
    ]


def test_small_gaps_close_to_exactly_the_minimum_gap() -> None:
    one_line = load_style("vi", {"lines_per_cue": 1})
    words = words_at("Xin chào quý vị. Hôm nay chúng ta về thăm Trà Vinh.", pause_ms=250)
    cues = segment(words, one_line)
    assert [c.lines for c in cues] == [("Xin chào quý vị.",), ("Hôm nay chúng ta về thăm Trà Vinh.",)]
    assert cues[1].start_ms - cues[0].end_ms == 80


def test_short_words_stay_up_for_the_minimum_duration() -> None:
    assert segment([TimedWord(1000, 1200, "Vâng.")], VI) == [Cue(1, 1000, 1840, ("Vâng.",))]


def test_fast_speech_borrows_the_following_silence_to_be_readable() -> None:
    words = words_at("Nhà máy nhiệt điện Duyên Hải có tổng công suất bốn nghìn megawatt.", syllable_ms=180, gap_ms=0)
    [cue] = segment(words, VI)
    assert cue.end_ms > words[-1].end_ms + 480  # beyond the 12-frame hang-on: an error would be worse
    assert cue.cps <= 17
    assert cue.lines == ("Nhà máy nhiệt điện Duyên Hải có", "tổng công suất bốn nghìn megawatt.")


def test_two_speakers_share_a_cue_with_dashes() -> None:
    words = words_at("Anh đi đâu?", start_ms=1000, speaker="A") + words_at("Tôi ra chợ.", start_ms=2300, speaker="B")
    assert segment(words, VI) == [Cue(1, 1000, 3240, ("- Anh đi đâu?", "- Tôi ra chợ."), speaker_change=True)]


def test_an_out_goes_onto_a_nearby_cut() -> None:
    words = words_at("Xin chào quý vị.")
    assert segment(words, VI, shot_changes_ms=[2600])[0].end_ms == 2600  # 8 frames later
    assert segment(words, VI, shot_changes_ms=[2900])[0].end_ms == 2280  # 15 frames: too far
    # Gap closing would run on to 2520; the cut at 2400 comes first and the speech is over by then.
    words += words_at("Hôm nay trời đẹp.", start_ms=2600)
    narrow = load_style("vi", {"lines_per_cue": 1, "chars_per_line": 20})
    cues = segment(words, narrow, shot_changes_ms=[2400])
    assert [(c.start_ms, c.end_ms) for c in cues] == [(1000, 2400), (2600, 3880)]
    assert lint(cues, narrow, shot_changes_ms=[2400]).issues == ()


def test_a_start_within_the_lead_in_of_a_cut_goes_on_the_cut() -> None:
    assert segment(words_at("Xin chào quý vị."), VI, shot_changes_ms=[1080])[0].start_ms == 1080
    assert segment(words_at("Xin chào quý vị."), VI, shot_changes_ms=[1160])[0].start_ms == 1000


def test_protected_names_and_numbers_are_never_split_across_cues() -> None:
    narrow = load_style("vi", {"chars_per_line": 12, "lines_per_cue": 1, "max_cps": 30})
    words = words_at("Ngày mai Ao Bà Om mở cửa", syllable_ms=400)
    assert [c.lines for c in segment(words, narrow)] == [("Ngày mai Ao",), ("Bà Om mở cửa",)]
    assert [c.lines for c in segment(words, narrow, protected=["Ao Bà Om"])] == [
        ("Ngày mai",),
        ("Ao Bà Om mở",),
        ("cửa",),
    ]
    words = words_at("Sản lượng đạt 2,5 triệu tấn mỗi năm", syllable_ms=400)
    narrow = load_style("vi", {"chars_per_line": 14, "lines_per_cue": 1, "max_cps": 30})
    assert ("2,5 triệu tấn",) in [c.lines for c in segment(words, narrow)]


def test_long_speech_is_split_within_the_maximum_duration() -> None:
    text = " ".join(["một hai ba bốn năm sáu bảy tám chín mười"] * 4) + "."
    cues = segment(words_at(text, syllable_ms=380), VI)
    assert len(cues) >= 3
    assert all(c.duration_ms <= 7000 for c in cues)
    assert lint(cues, VI).errors == ()


def test_words_are_cleaned_before_segmenting() -> None:
    words = [
        TimedWord(900, 1200, "Tra\u0300"),
        TimedWord(0, 300, " Xin"),
        TimedWord(300, 600, "chào"),
        TimedWord(600, 620, ","),
        TimedWord(700, 900, "  "),
    ]
    expected = [TimedWord(0, 300, "Xin"), TimedWord(300, 620, "chào,"), TimedWord(900, 1200, "Trà")]
    assert normalise_words(words) == expected
    assert segment([], VI) == []


def test_cues_carry_source_ids_and_land_on_ntsc_frames() -> None:
    rate = Fraction(30000, 1001)
    words = [
        TimedWord(w.start_ms + 7, w.end_ms + 7, w.text, source_id="clip-1/seg-3") for w in words_at("Xin chào quý vị.")
    ]
    [cue] = segment(words, VI, frame_rate=rate)
    assert cue.source_ids == ("clip-1/seg-3",)
    assert cue.start_ms == 1001  # frame 30 at 29.97 fps, the last boundary before 1007 ms


# -- property: random realistic speech always lints clean ------------------------------------------

_SYLLABLE_TEXT = (
    "và của người dân không được trong những các là có một đã này cho với để nhiều năm tỉnh huyện xã "
    "nước lúa tôm cá rừng biển sông đất nhà máy điện gió mặn ngọt mùa vụ làm việc sống nghề trồng nuôi "
    "chợ đường cầu cảng chùa lễ hội văn hóa kinh tế phát triển đầu tư hôm nay bà con nông dân ngư ông "
    "bà anh chị em thu nhập tăng giảm mới cũ xanh sạch đẹp lớn nhỏ xa gần rất cũng vẫn còn đang sẽ"
)
SYLLABLES = _SYLLABLE_TEXT.split()
NAMES = ("Trà Vinh", "Ao Bà Om", "Khu kinh tế Định An", "Duyên Hải", "Cầu Ngang")
NUMBERS = ("1.200 ha", "4.000 MW", "2,5 tỷ đồng", "30 %", "năm 2015", "50 km")


def random_speech(rng: random.Random) -> tuple[list[TimedWord], list[int]]:
    """A few minutes of narration: 2.5–4 syllables a second, phrases, pauses, names, numbers, cuts."""
    rate = rng.uniform(2.5, 4.0)
    two_speakers = rng.random() < 0.3
    speaker = "A"
    words: list[TimedWord] = []
    at = rng.randint(0, 3000)
    for _ in range(rng.randint(3, 25)):
        phrase: list[str] = []
        for _ in range(rng.randint(2, 14)):
            roll = rng.random()
            if roll < 0.06:
                phrase.extend(rng.choice(NAMES).split())
            elif roll < 0.10:
                phrase.extend(rng.choice(NUMBERS).split())
            else:
                phrase.append(rng.choice(SYLLABLES))
        phrase[0] = phrase[0][:1].upper() + phrase[0][1:]
        phrase[-1] += rng.choice(".,?") if rng.random() < 0.8 else ""
        for token in phrase:
            duration = round(1000 / rate * rng.uniform(0.75, 1.25))
            words.append(TimedWord(at, at + duration, token, rng.uniform(0.5, 1.0), speaker if two_speakers else None))
            at += duration + rng.choice((0, 0, 10, 30, 60))
        at += rng.choice((150, 250, 400, 700, 1200, 2500))
        if two_speakers and rng.random() < 0.4:
            speaker = "B" if speaker == "A" else "A"
    cuts = sorted(rng.sample(range(0, at), k=max(1, at // 4000)))
    return words, cuts


def assert_covers_every_word(cues: list[Cue], words: list[TimedWord], style: Style) -> None:
    """Every word is in exactly one cue's text, and that cue is on screen while it is spoken."""
    tolerance = 40 * (style.lead_in_frames + 1)  # frames are shorter at 29.97, so this covers both
    texts = [" ".join(line.removeprefix(style.speaker_dash) for line in cue.lines) for cue in cues]
    clean = normalise_words(words)
    assert " ".join(texts).split() == [w.text for w in clean]
    position = 0
    for cue, text in zip(cues, texts, strict=True):
        for _ in text.split():
            word = clean[position]
            position += 1
            assert cue.start_ms <= word.start_ms + tolerance
            assert word.end_ms <= cue.end_ms + tolerance
            middle = (word.start_ms + word.end_ms) // 2
            assert [c for c in cues if c.start_ms <= middle < c.end_ms] in ([cue], [])


@pytest.mark.parametrize("seed", range(60))
def test_random_speech_lints_without_errors(seed: int) -> None:
    rng = random.Random(seed)
    words, cuts = random_speech(rng)
    style = VI if seed % 3 else load_style("social")
    rate = Fraction(30000, 1001) if seed % 4 == 1 else Fraction(25)
    cues = segment(words, style, shot_changes_ms=cuts, protected=NAMES, frame_rate=rate)
    report = lint(cues, style, rate, shot_changes_ms=cuts, speech_spans_ms=spans(words))
    assert report.errors == (), report.format_text(f"seed {seed}")
    assert_covers_every_word(cues, words, style)


# dulich's interview answer as the script laid it on Whisper's words (programme ms), then the sound
# break where the edit cuts to the next clip and the next script sentence after it.
_ANSWER = [(44970, 45170, "Chúng"), (45170, 45430, "tôi"), (45430, 45690, "phát"), (45690, 45950, "triển"),
           (45950, 46230, "du"), (46230, 46450, "lịch"), (46450, 46690, "cộng"), (46690, 46890, "đồng"),
           (46890, 47070, "để"), (47070, 47270, "đồng"), (47270, 47510, "bào"), (47730, 47830, "Khmer"),
           (47990, 48070, "cùng"), (48070, 48350, "hưởng"), (48350, 48630, "lợi"), (48630, 48890, "và"),
           (48890, 49210, "giữ"), (49210, 49470, "gìn"), (49470, 49650, "bản"), (49650, 49910, "sắc"),
           (49910, 50130, "của"), (50130, 50370, "mình.")]
_NEXT = [(51560, 51770, "Đến"), (51770, 52090, "Trà"), (52090, 52330, "Vinh,"), (52590, 52830, "du"),
         (52830, 53050, "khách")]


def test_a_sentence_cue_too_fast_to_read_borrows_from_the_next_cue_of_the_same_sentence() -> None:
    """The first half of a fast sentence cannot be read by the next cue's lead-in; the second half
    has time to spare before the cut after it, so it starts a few frames after its first word (speech
    continued from the cue before) and the first half is read at 17 cps or less."""
    words = [TimedWord(a, b, t, 1.0, None, "b@0", "script:8#1") for a, b, t in _ANSWER]
    words += [TimedWord(a, b, t, 1.0, None, "c@0", "script:4#1") for a, b, t in _NEXT]
    cuts = [46800, 51120]
    cues = segment(words, VI, cuts, sound_breaks_ms=[51120])
    assert [" ".join(c.lines) for c in cues[:2]] == ["Chúng tôi phát triển du lịch cộng đồng để đồng bào",
                                                      "Khmer cùng hưởng lợi và giữ gìn bản sắc của mình."]
    assert cues[0].cps <= 17 and cues[1].cps <= 17
    assert cues[1].start_ms - cues[0].end_ms == 80
    assert cues[1].end_ms <= 51120  # the second half still ends on the sound break
    report = lint(cues, VI, VI.frame_rate, shot_changes_ms=cuts, speech_spans_ms=spans(words))
    assert not report.errors
    assert not [i for i in report.issues if i.rule == "speech-sync" and i.cue == 2]
