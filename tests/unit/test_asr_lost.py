"""Speech the decoder skipped is found (voice detector regions no word covers) and decoded again."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from pipeline.asr.engine import FLAG_LOST_SPEECH, TranscribeSettings, redecode_lost_speech
from pipeline.asr.lost import bounds, uncovered
from pipeline.asr.transcript import TranscriptSegment, TranscriptWord


def w(start: int, end: int, text: str = "xin") -> TranscriptWord:
    return TranscriptWord(start, end, text, 0.9)


def test_stretches_of_speech_without_words_are_found() -> None:
    words = [w(800, 1100), w(1100, 1400), w(6400, 6700, "phùy"), w(6700, 16190, "th")]
    speech = [(792, 7912), (8312, 13256), (14072, 20104)]
    # the 9.5 s "th" covers nothing: everything after 6.95 s is lost, in three stretches
    assert uncovered(speech, words) == [(1650, 6150), (6950, 7912), (8312, 13256), (14072, 20104)]
    assert uncovered([(0, 3000)], [w(100, 400), w(400, 1500), w(1500, 2900)]) == []
    assert uncovered([(0, 3000)], [w(100, 400), w(2200, 2900)]) == [(650, 1950)]
    assert uncovered([(0, 3000)], [w(100, 400), w(1100, 2000), w(2000, 2900)]) == [], "a 450 ms gap is a breath"


def test_a_lost_stretch_is_decoded_between_its_neighbours() -> None:
    words = [w(800, 1400), w(6400, 6700)]
    assert bounds((6950, 7912), words, 21000) == (6750, 8112)
    assert bounds((1650, 6150), words, 21000) == (1450, 6350)
    assert bounds((100, 500), [], 400) == (0, 400)


class Model:
    """Stands in for WhisperModel: answers each re-decode with the context it was given (a word
    before the stretch, heard already) and two new words at the end of the clip."""

    def __init__(self) -> None:
        self.calls: list[dict[str, object]] = []

    def transcribe(self, audio: str, **options: object) -> tuple[list[SimpleNamespace], None]:
        self.calls.append(options)
        clip = options["clip_timestamps"]
        assert isinstance(clip, list)
        low, high = float(clip[0]), float(clip[1])
        words = [SimpleNamespace(word=" Cách", start=low + 0.8, end=low + 1.2, probability=0.9),
                 SimpleNamespace(word=" Ngay", start=high - 1.0, end=high - 0.7, probability=0.9),
                 SimpleNamespace(word=" bên", start=high - 0.7, end=high - 0.4, probability=0.9)]
        seg = SimpleNamespace(start=low + 0.8, end=high - 0.4, text=" Cách Ngay bên", avg_logprob=-0.3,
                              no_speech_prob=0.1, compression_ratio=1.0, temperature=0.0, words=words)
        return [seg], None


def test_lost_speech_comes_back_flagged_and_the_stretched_word_goes() -> None:
    heard = (w(800, 1200, "Cách"), w(1200, 1500, "trung"), w(1500, 9500, "th"))
    kept = (TranscriptSegment(800, 9500, "Cách trung th", -0.5, 0.0, 1.2, heard),)
    model = Model()
    settings = TranscribeSettings(initial_prompt="Phóng sự về Trà Vinh.")
    out = redecode_lost_speech(model, Path("a.wav"), settings, kept, 10000, [(790, 1500), (2500, 9000)])
    assert [s.text for s in out] == ["Cách trung", "Ngay bên"]
    assert FLAG_LOST_SPEECH in out[1].flags and (out[1].start_ms, out[1].end_ms) == (8200, 8800)
    call = model.calls[0]
    # decoded from 3 s before the stretch (2.3 s), not into the next words (none: 9.2 s)
    assert call["clip_timestamps"] == [0.0, 9.2] and call["initial_prompt"] is None
    assert call["temperature"] == [0.0, 0.2, 0.4] and call["vad_filter"] is False
    assert len(model.calls) == 1
    assert redecode_lost_speech(model, Path("a.wav"), settings, out, 10000, [(790, 1500)]) == out
