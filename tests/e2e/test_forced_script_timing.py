"""Script sentences timed by the acoustic model (forced alignment on the CTC posteriors): on real
human speech, a sentence whose recognised words are wrong keeps the times it gets when they are right."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest

from pipeline.asr.engine import TranscribeSettings
from pipeline.asr.vietctc import VietCtcTranscriber
from pipeline.script.align import align
from pipeline.script.model import ScriptLine
from pipeline.script.timing import force_times
from pipeline.subs.cues import TimedWord
from tests.speechset import load_set, to_wav16k

pytestmark = [pytest.mark.model, pytest.mark.slow]

CLIPS = ("cv-u-02", "cv-u-05", "cv-u-09")


@pytest.fixture(scope="module")
def narration(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], list[TimedWord]]:
    """Three real sentences one after another in one clip, its recognised words, and the script."""
    folder = tmp_path_factory.mktemp("narration")
    clips = {c.id: c for c in load_set()}
    wavs = [to_wav16k(clips[i], folder) for i in CLIPS]
    joined = folder / "narration.wav"
    inputs = [arg for wav in wavs for arg in ("-i", str(wav))]
    graph = "".join(f"[{n}:a]apad=pad_dur=0.8[a{n}];" for n in range(len(wavs)))
    graph += "".join(f"[a{n}]" for n in range(len(wavs))) + f"concat=n={len(wavs)}:v=0:a=1"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", *inputs, "-filter_complex", graph, "-ar", "16000",
                    "-ac", "1", "-c:a", "pcm_s16le", str(joined)], check=True)
    transcript = VietCtcTranscriber().transcribe(joined, TranscribeSettings(engine="vietctc", cpu_threads=2))
    words = [TimedWord(w.start_ms, w.end_ms, w.text, w.probability, None, f"narration@{w.start_ms}")
             for w in transcript.words()]
    return joined, [clips[i].text for i in CLIPS], words


def _placed(lines: list[str], words: list[TimedWord], audio: Path) -> dict[str, list[TimedWord]]:
    script = [ScriptLine(f"row {n + 1}", text, None, None, None) for n, text in enumerate(lines)]
    alignment = align(script, words)
    forced, count = force_times(alignment, words, lambda _clip: audio, VietCtcTranscriber().loaded(2))
    assert count == len(alignment.placements) == len(lines)
    return {p.sentence.vi: list(p.words) for p in forced.placements}


def test_a_misheard_stretch_keeps_its_times(narration: tuple[Path, list[str], list[TimedWord]]) -> None:
    audio, lines, words = narration
    clean = _placed(lines, words, audio)
    # The middle sentence's first half lost by recognition, its next syllable misheard: timed from
    # the words alone, its start would be guessed 1.3 s late (measured).
    middle = [w for w in words if w.start_ms >= clean[lines[1]][0].start_ms - 100
              and w.end_ms <= clean[lines[1]][-1].end_ms + 100]
    lost = {id(w) for w in middle[: len(middle) // 2]}
    wrong = id(middle[len(middle) // 2])
    misheard = [dataclasses.replace(w, text="xoong") if id(w) == wrong else w for w in words if id(w) not in lost]
    damaged = _placed(lines, misheard, audio)
    for line in lines:
        assert [w.text for w in damaged[line]] == [w.text for w in clean[line]]  # the script's own words
        starts = [(a.start_ms, b.start_ms) for a, b in zip(clean[line], damaged[line], strict=True)]
        assert all(abs(a - b) <= 60 for a, b in starts), (line, starts)  # a frame and a half


def test_forced_times_sit_on_the_recognised_syllables(narration: tuple[Path, list[str], list[TimedWord]]) -> None:
    """Where recognition heard a syllable right, the forced start is within 100 ms of the heard one."""
    audio, lines, words = narration
    placed = _placed(lines, words, audio)
    heard = {(w.text.lower().strip(".,"), w.start_ms // 1000): w.start_ms for w in words}
    near = []
    for line in lines:
        for word in placed[line]:
            key = (word.text.lower().strip(".,"), word.start_ms // 1000)
            if key in heard:
                near.append(abs(heard[key] - word.start_ms))
    assert len(near) >= 10 and max(near) <= 100, near
