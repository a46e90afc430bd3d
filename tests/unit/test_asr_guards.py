"""Guards against invented text, judged on hand-made segments."""

from __future__ import annotations

from pipeline.asr import guards
from pipeline.asr.guards import (
    DROP_PROMPT_ECHO,
    GuardSettings,
    Loop,
    apply_guards,
    find_echoes,
    find_loops,
    judge_segment,
)
from pipeline.asr.transcript import WORD_LOW_PROBABILITY, TranscriptSegment, TranscriptWord
from tests.asr_fixtures import segment


def kept(seg: TranscriptSegment, **kwargs: object) -> TranscriptSegment:
    verdict, removed = judge_segment(seg, **kwargs)  # type: ignore[arg-type]
    assert verdict is not None, f"dropped: {removed}"
    return verdict


def test_clean_speech_passes_untouched() -> None:
    seg = segment("Chào mừng quý vị đến với tỉnh Trà Vinh.")
    result = apply_guards([seg])
    assert result.kept == (seg,) and result.dropped == ()


def test_silence_needs_both_no_speech_and_low_logprob() -> None:
    silent = segment("Cảm ơn.", no_speech_prob=0.8, avg_logprob=-1.2)
    result = apply_guards([silent])
    assert result.kept == () and result.dropped[0].reasons == (guards.DROP_SILENCE,)
    # Confident words despite a high no-speech score: kept, but an editor is told to look.
    # Whisper keeps such windows itself (measured: espeak speech over music scores 0.62 and -0.76).
    confident = kept(segment("Chào mừng quý vị.", no_speech_prob=0.8, avg_logprob=-0.76))
    assert guards.FLAG_MAYBE_NO_SPEECH in confident.flags


def test_a_repetition_loop_is_dropped() -> None:
    loop = segment("cục cục cục cục cục cục cục cục", compression_ratio=3.1)
    result = apply_guards([loop])
    assert result.kept == () and guards.DROP_LOOP in result.dropped[0].reasons


def test_a_short_loop_inside_real_speech_is_trimmed_keeping_timings() -> None:
    seg = segment("Người dân ở đây trồng lúa và nuôi tôm sú tôm sú tôm sú tôm sú trên đất ven biển")
    out = kept(seg)
    assert out.text == "Người dân ở đây trồng lúa và nuôi tôm sú trên đất ven biển"
    assert guards.FLAG_REPETITION_TRIMMED in out.flags
    starts = [w.start_ms for w in out.words]
    assert starts == sorted(starts) and out.words[10].text == "trên"
    assert out.words[10].start_ms == seg.words[16].start_ms, "kept words keep their own times"


def test_vietnamese_reduplication_is_not_a_loop() -> None:
    assert find_loops(["xa", "xa", "là", "cánh", "đồng", "lúa", "xanh", "xanh"]) == []
    assert find_loops(["từ", "từ", "từ"]) == []


def test_loops_of_phrases_are_found() -> None:
    tokens = ["Bà", "Om,", "chùa", "Âng,"] * 3 + ["Bà", "Om,", "chùa", "Âng"]
    loops = find_loops(tokens)
    assert len(loops) == 1 and loops[0].size == 4 and loops[0].repeats == 4


def test_high_compression_without_a_loop_is_only_flagged() -> None:
    out = kept(segment("một hai ba bốn năm sáu", compression_ratio=2.9))
    assert guards.FLAG_HIGH_COMPRESSION in out.flags


def test_known_hallucinations_over_music() -> None:
    subscribe = segment("Hãy subscribe cho kênh Ghiền Mì Gõ để không bỏ lỡ những video hấp dẫn")
    assert apply_guards([subscribe]).dropped[0].reasons == (guards.DROP_HALLUCINATION,)
    weak_thanks = segment("Cảm ơn các bạn đã theo dõi", no_speech_prob=0.4, avg_logprob=-0.6)
    assert apply_guards([weak_thanks]).kept == ()
    said_thanks = kept(segment("Cảm ơn các bạn đã theo dõi", no_speech_prob=0.01, avg_logprob=-0.2))
    assert guards.FLAG_SUSPECT_PHRASE in said_thanks.flags


def test_low_confidence_is_flagged_on_segment_and_words() -> None:
    seg = segment("ao bà om", avg_logprob=-1.3, probability=0.2)
    out = kept(seg)
    assert guards.FLAG_LOW_LOGPROB in out.flags
    assert all(WORD_LOW_PROBABILITY in w.flags for w in out.words)
    sure = kept(segment("ao bà om", probability=0.95))
    assert not any(w.flags for w in sure.words)


def test_words_far_too_fast_are_flagged() -> None:
    out = kept(segment(" ".join(["lúa"] * 3 + ["tôm", "cá", "dừa"] * 2 + ["muối"]), step_ms=50))
    assert guards.FLAG_TOO_FAST in out.flags


def test_prompt_echo_is_removed_and_recorded() -> None:
    prompt = "Phóng sự về Trà Vinh, Ao Bà Om, chùa Âng."
    echo = [TranscriptWord(0, 200, "Trà", 0.2), TranscriptWord(200, 480, "Vinh,", 0.01)]
    real = [TranscriptWord(700, 1000, "Chào", 0.8), TranscriptWord(1000, 1300, "mừng", 0.9)]
    seg = TranscriptSegment(0, 1300, "Trà Vinh, Chào mừng", -0.5, 0.1, 1.1, (*echo, *real))
    result = apply_guards([seg], bias_text=prompt)
    assert result.kept[0].text == "Chào mừng" and result.kept[0].start_ms == 700
    assert result.dropped[0].text == "Trà Vinh," and result.dropped[0].reasons == (guards.DROP_PROMPT_ECHO,)


def test_names_actually_heard_are_not_taken_for_echo() -> None:
    prompt = "Phóng sự về Trà Vinh, Ao Bà Om."
    heard = (
        TranscriptWord(0, 300, "Ao", 0.4),
        TranscriptWord(300, 600, "Bà", 0.7),
        TranscriptWord(600, 900, "Om", 0.5),
    )
    assert find_echoes(heard, prompt) == []
    single = (TranscriptWord(0, 300, "Vinh", 0.2),)
    assert find_echoes(single, prompt) == [], "one word heard with some confidence is not an echo"


def test_the_prompt_read_on_at_a_segment_start_is_an_echo() -> None:
    """Measured: "Tôi đang đứng tại …" came out "Phóng tài …" under "Phóng sự về …", Phóng at 0.015."""
    prompt = "Phóng sự về Trà Vinh và Trà Cú."
    leak = (TranscriptWord(0, 300, "Phóng", 0.015), TranscriptWord(300, 600, "tài", 0.24),
            TranscriptWord(600, 900, "chung", 0.72))
    assert find_echoes(leak, prompt) == [Loop(0, 1, 1)]
    seg = TranscriptSegment(0, 900, "Phóng tài chung", -0.7, 0.1, 1.0, leak)
    result = apply_guards([seg], bias_text=prompt)
    assert result.kept[0].text == "tài chung" and result.dropped[0].reasons == (DROP_PROMPT_ECHO,)
    heard = (TranscriptWord(0, 300, "Phóng", 0.4), *leak[1:])
    assert find_echoes(heard, prompt) == [], "heard with some confidence, it may have been said"
    later = (leak[1], leak[0], leak[2])
    assert find_echoes(later, prompt) == [], "only where a segment starts"
    off = GuardSettings(echo_lone_word_probability=0.0)
    assert find_echoes(leak, prompt, off) == []


def test_a_segment_that_is_only_a_piece_of_the_prompt_is_an_echo() -> None:
    """Measured: "Cú." at 0.013–0.044, "Trà Cú." after everyday sentences under "… Trà Vinh và Trà Cú."."""
    prompt = "Phóng sự về Trà Vinh và Trà Cú."
    assert find_echoes((TranscriptWord(3300, 3760, "Cú.", 0.0198),), prompt) == [Loop(0, 1, 1)]
    tail = (TranscriptWord(3720, 3720, "Trà", 0.39), TranscriptWord(3720, 3720, "Cú.", 0.013))
    assert find_echoes(tail, prompt) == [Loop(0, 2, 1)]
    said = (TranscriptWord(0, 300, "Trà", 0.39), TranscriptWord(300, 600, "Cú.", 0.4))
    assert find_echoes(said, prompt) == [], "said with confidence: speech"
    other = (TranscriptWord(0, 300, "Cú", 0.01), TranscriptWord(300, 600, "Trà", 0.01))
    assert find_echoes(other, prompt) == [], "not in the prompt's order: not read from it"
    mixed = (TranscriptWord(0, 300, "uống", 0.3), TranscriptWord(300, 600, "Cú.", 0.01))
    assert find_echoes(mixed, prompt) == [], "a prompt word inside speech is judged as speech"


def test_words_after_the_end_of_the_audio_are_dropped() -> None:
    words = (TranscriptWord(0, 900, "một", 0.9), TranscriptWord(2000, 2000, "hai", 0.9))
    seg = TranscriptSegment(0, 2000, "một hai", -0.3, 0.1, 1.0, words)
    result = apply_guards([seg], duration_ms=2000)
    assert result.kept[0].text == "một"
    assert result.dropped[0].reasons == (guards.DROP_PAST_END,)


def test_text_only_segments_are_judged_on_text() -> None:
    loop = segment("cục cục cục cục cục", with_words=False)
    assert apply_guards([loop]).kept == ()
    empty = segment("...", with_words=False)
    assert apply_guards([empty]).dropped[0].reasons == (guards.DROP_EMPTY,)


def test_thresholds_are_settings() -> None:
    strict = GuardSettings(low_word_probability=0.95)
    out = kept(segment("ao bà om", probability=0.9), settings=strict)
    assert all(WORD_LOW_PROBABILITY in w.flags for w in out.words)
