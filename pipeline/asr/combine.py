"""Two recognisers, one transcript: the CTC model's syllables and times, Whisper's writing.

The CTC model hears Vietnamese syllables far better than Whisper base but writes them bare; Whisper
writes capitals and punctuation. Within each CTC sentence, the two syllable sequences (Whisper's
words in the same stretch of time) are aligned by edit distance; where both heard the same syllable
(marks included, case aside), the CTC syllable takes Whisper's capitals and the punctuation Whisper
attached to it. Where they disagree the CTC syllable stands as heard. Punctuation from pauses
(`written.punctuate`) is added where Whisper put none. Numbers stay as the CTC model says them ("bảy", not "7"),
which is how a Vietnamese subtitle reads a small number and how a transcript is scored.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from ..fsutil import sha256_text
from .engine import AudioProgress, TranscribeSettings
from .model import ModelInfo
from .transcript import ModelRef, Transcript, TranscriptWord, bare, split_punctuation
from .written import WrittenSettings, punctuate

WINDOW_MS = 600
_MATCH, _MISMATCH, _GAP = 2, -1, -1


def _key(text: str) -> str:
    return unicodedata.normalize("NFC", bare(text)).casefold()


def align_pairs(left: Sequence[str], right: Sequence[str]) -> list[tuple[int, int]]:
    """Index pairs (i, j) where `left[i] == right[j]` on the best global alignment (Needleman–Wunsch,
    ties to the diagonal)."""
    n, m = len(left), len(right)
    score = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        score[i][0] = i * _GAP
    for j in range(1, m + 1):
        score[0][j] = j * _GAP
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            diagonal = score[i - 1][j - 1] + (_MATCH if left[i - 1] == right[j - 1] else _MISMATCH)
            score[i][j] = max(diagonal, score[i - 1][j] + _GAP, score[i][j - 1] + _GAP)
    pairs: list[tuple[int, int]] = []
    i, j = n, m
    while i > 0 and j > 0:
        same = left[i - 1] == right[j - 1]
        if score[i][j] == score[i - 1][j - 1] + (_MATCH if same else _MISMATCH):
            if same:
                pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif score[i][j] == score[i - 1][j] + _GAP:
            i -= 1
        else:
            j -= 1
    return pairs[::-1]


def _whisper_syllables(words: Sequence[TranscriptWord]) -> list[tuple[str, str, str]]:
    """(key, written core, trailing punctuation) of each syllable of Whisper's words (a Whisper
    word may hold several syllables: "Trà Vinh," as one token)."""
    out: list[tuple[str, str, str]] = []
    for word in words:
        parts = word.text.split()
        for index, part in enumerate(parts):
            _lead, core, tail = split_punctuation(part)
            if core:
                out.append((_key(core), core, tail if index == len(parts) - 1 else ""))
    return out


def combine(ctc: Transcript, whisper: Transcript, written: WrittenSettings | None = None) -> list[
        list[TranscriptWord]]:
    """The CTC transcript's sentences, written as Whisper writes them where the two agree. Returns
    each speech stretch's words (to be cut into sentences again)."""
    whisper_words = sorted(whisper.words(), key=lambda w: w.start_ms)
    out: list[list[TranscriptWord]] = []
    for segment in ctc.segments:
        low, high = segment.start_ms - WINDOW_MS, segment.end_ms + WINDOW_MS
        nearby = _whisper_syllables([w for w in whisper_words if w.end_ms > low and w.start_ms < high])
        plain = [dataclasses.replace(w, text=split_punctuation(w.text)[1]) for w in segment.words]
        keys = [_key(w.text) for w in plain]
        pairs = align_pairs(keys, [k for k, _c, _t in nearby])
        written_words = list(plain)
        for i, j in pairs:
            _key_j, core, tail = nearby[j]
            written_words[i] = dataclasses.replace(plain[i], text=core + tail.strip())
        # Pause punctuation where Whisper put none; capitals after every sentence end.
        out.append(punctuate(written_words, written or WrittenSettings()))
    return out


class CombinedTranscriber:
    """The CTC model's syllables with Whisper's writing (`combine`); Whisper decodes with
    `whisper_beam` (1 by default: only its capitals and punctuation are used, and beam 1 halves its
    cost)."""

    def __init__(self, whisper_beam: int = 1) -> None:
        from .engine import FasterWhisperTranscriber
        from .vietctc import VietCtcTranscriber

        self.ctc = VietCtcTranscriber()
        self.whisper = FasterWhisperTranscriber()
        self.whisper_beam = whisper_beam

    def model_info(self) -> ModelInfo:
        ctc_info, whisper_info = self.ctc.model_info(), self.whisper.model_info()
        digest = sha256_text(f"{ctc_info.sha256}+{whisper_info.sha256}")
        return ModelInfo(ctc_info.path, f"{ctc_info.name}+{whisper_info.name}", digest,
                         ctc_info.size_bytes + whisper_info.size_bytes, bundled=True)

    def transcribe(self, audio_path: Path, settings: TranscribeSettings, *, clip_id: str = "",
                   on_progress: AudioProgress | None = None) -> Transcript:
        from .vietctc import sentences

        heard = self.ctc.transcribe(audio_path, settings, clip_id=clip_id)
        whisper_settings = dataclasses.replace(settings, engine="whisper", beam_size=self.whisper_beam,
                                               best_of=self.whisper_beam, redecode_lost_speech=False)
        writing = self.whisper.transcribe(audio_path, whisper_settings, clip_id=clip_id, on_progress=on_progress)
        segments = tuple(s for words in combine(heard, writing, self.ctc.written) for s in sentences(words))
        options = {**heard.options, "combined_with": {"model": writing.model.to_json(), "beam_size": self.whisper_beam}}
        timings = {"load_ms": heard.timings_ms.get("load_ms", 0) + writing.timings_ms.get("load_ms", 0),
                   "decode_ms": heard.timings_ms.get("decode_ms", 0) + writing.timings_ms.get("decode_ms", 0)}
        info = self.model_info()
        return dataclasses.replace(heard, segments=segments, options=options, timings_ms=timings,
                                   model=ModelRef(info.name, info.sha256))
