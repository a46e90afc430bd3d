"""Transcript JSON round trip, plain text with timecodes, and the engine's pure parts."""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import pytest

from pipeline.asr.engine import FasterWhisperTranscriber, TranscribeSettings, VadSettings, convert_segment
from pipeline.asr.transcript import (
    SCHEMA_VERSION,
    WORD_LOW_PROBABILITY,
    DroppedSegment,
    Transcript,
    TranscriptSegment,
    TranscriptWord,
    bare,
    plain_text,
    split_punctuation,
)
from pipeline.errors import MediaError, WorkspaceError
from tests.asr_fixtures import FAKE_MODEL, segment, transcript


def sample() -> Transcript:
    first = segment("Chào mừng quý vị", 1000)
    unsure = TranscriptWord(2500, 2900, "Om", 0.2, (WORD_LOW_PROBABILITY,), heard="ôm")
    words = (TranscriptWord(2000, 2300, "Ao", 0.9), unsure)
    second = TranscriptSegment(2000, 2900, "Ao Bà Om", -1.2, 0.1, 1.3, words, ("low_logprob",))
    base = transcript("clip-01", [first, second], duration_ms=3_600_000)
    return Transcript(
        **{
            **base.__dict__,
            "dropped": (DroppedSegment(3000, 3500, "cục cục cục cục", ("repetition_loop",)),),
            "glossary_sha256": "b" * 64,
            "cache_key": "c" * 64,
        }
    )


def test_json_round_trip_is_exact() -> None:
    original = sample()
    data = json.loads(json.dumps(original.to_json(), ensure_ascii=False))
    assert data["schema_version"] == SCHEMA_VERSION
    assert Transcript.from_json(data) == original
    assert all(isinstance(w["start_ms"], int) for s in data["segments"] for w in s["words"])


def test_unknown_schema_or_malformed_is_refused() -> None:
    data = sample().to_json()
    with pytest.raises(WorkspaceError, match="schema version 99"):
        Transcript.from_json({**data, "schema_version": 99}, source="t.json")
    with pytest.raises(WorkspaceError, match="malformed"):
        Transcript.from_json({**data, "segments": [{"start_ms": 1}]}, source="t.json")


def test_plain_text_has_timecodes_and_notes() -> None:
    text = plain_text(sample(), Fraction(25))
    lines = text.splitlines()
    assert lines[1] == "00:00:01:00 - 00:00:02:05  Chào mừng quý vị"
    assert lines[2].startswith("00:00:02:00 - 00:00:02:22  Ao Bà Om  [check: low_logprob; unsure: Om]")
    assert lines[3].startswith("# dropped 00:00:03:00 (repetition_loop)")


def test_text_keys() -> None:
    assert bare("(Vinh).") == "Vinh"
    assert split_punctuation("“Trà,") == ("“", "Trà", ",")
    assert split_punctuation("...") == ("...", "", "")


def raw_word(word: str, start: float, end: float, probability: float = 0.9) -> SimpleNamespace:
    return SimpleNamespace(word=word, start=start, end=end, probability=probability)


def test_convert_segment_makes_monotonic_ms_inside_the_audio() -> None:
    raw = SimpleNamespace(
        start=0.98,
        end=3.2,
        text=" Trà Vinh đẹp",
        avg_logprob=-0.4,
        no_speech_prob=0.02,
        compression_ratio=1.1,
        temperature=0.0,
        words=[raw_word(" Trà", 1.0, 1.3), raw_word(" Vinh", 1.25, 1.6), raw_word(" ", 1.6, 1.6),
               raw_word(" đẹp", 1.7, 3.4)],
    )
    seg = convert_segment(raw, duration_ms=3000)
    assert [w.text for w in seg.words] == ["Trà", "Vinh", "đẹp"]
    assert [(w.start_ms, w.end_ms) for w in seg.words] == [(1000, 1300), (1300, 1600), (1700, 3000)]
    assert (seg.start_ms, seg.end_ms, seg.text) == (980, 3000, "Trà Vinh đẹp")


def test_settings_map_to_engine_options_with_units() -> None:
    settings = TranscribeSettings(initial_prompt="Phóng sự về Trà Vinh.")
    options = settings.engine_options()
    assert options["language"] == "vi" and options["beam_size"] == 5 and options["word_timestamps"]
    assert options["condition_on_previous_text"] is False
    assert options["vad_parameters"]["min_silence_duration_ms"] == 500
    assert math.isinf(options["vad_parameters"]["max_speech_duration_s"])
    assert options["temperature"] == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert settings.resolved_compute_type() == "int8"
    assert TranscribeSettings(device="cuda").resolved_compute_type() == "float16"
    no_vad = TranscribeSettings(vad_filter=False, vad=VadSettings(threshold=0.9))
    assert no_vad.engine_options()["vad_parameters"] is None


def test_cache_fields_ignore_threads_but_not_what_changes_output() -> None:
    base = TranscribeSettings()
    assert base.cache_fields() == TranscribeSettings(cpu_threads=7).cache_fields()
    assert base.cache_fields() != TranscribeSettings(beam_size=1).cache_fields()
    assert base.cache_fields() != TranscribeSettings(compute_type="float32").cache_fields()


def test_missing_audio_is_a_media_error_before_any_model_loads(tmp_path: Path) -> None:
    engine = FasterWhisperTranscriber(FAKE_MODEL)
    with pytest.raises(MediaError, match="audio for transcription is missing"):
        engine.transcribe(tmp_path / "none.wav", TranscribeSettings())
    assert engine.model_info() is FAKE_MODEL


class EchoFreeModel:
    """Stands in for WhisperModel: answers a re-decode request with one segment, records the call."""

    def __init__(self) -> None:
        self.calls: list[dict[str, object]] = []

    def transcribe(self, audio: str, **options: object) -> tuple[list[SimpleNamespace], None]:
        self.calls.append(options)
        words = [raw_word(" Chào", 0.1, 0.5), raw_word(" mừng", 0.5, 1.2)]
        seg = SimpleNamespace(start=0.1, end=1.2, text=" Chào mừng", avg_logprob=-0.3, no_speech_prob=0.1,
                              compression_ratio=1.0, temperature=0.0, words=words)
        return [seg], None


def test_echoed_stretch_is_decoded_again_without_the_prompt() -> None:
    from pipeline.asr.engine import FLAG_REDECODED, redecode_echoes
    from pipeline.asr.guards import apply_guards

    prompt = "Phóng sự về Trà Vinh, Ao Bà Om."
    echo = (TranscriptWord(0, 400, "Trà", 0.1), TranscriptWord(400, 900, "Vinh,", 0.05))
    real = (TranscriptWord(1000, 1300, "quý", 0.9), TranscriptWord(1300, 1600, "vị", 0.9))
    guarded = apply_guards([TranscriptSegment(0, 1600, "x", -0.5, 0.1, 1.0, (*echo, *real))], bias_text=prompt)
    model = EchoFreeModel()
    settings = TranscribeSettings(initial_prompt=prompt)
    kept = redecode_echoes(model, Path("a.wav"), settings, guarded, duration_ms=5000)
    assert [s.text for s in kept] == ["Chào mừng", "quý vị"]
    assert FLAG_REDECODED in kept[0].flags
    assert kept[0].words[-1].end_ms <= 1000, "held before the next kept word"
    call = model.calls[0]
    assert call["initial_prompt"] is None and call["clip_timestamps"] == [0.0, 1.0]
    assert redecode_echoes(model, Path("a.wav"), settings, apply_guards([]), 5000) == ()
