"""The real-speech development set (`tests/data/speech/`): human Vietnamese speech with human
transcripts, for tests and benchmarks that judge words. See its SOURCES.md for where every clip comes
from and what was deliberately left out. Never judge recognition on espeak-ng alone: on synthetic
voices the recognisers rank in the opposite order.
"""

from __future__ import annotations

import csv
import re
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).parent / "data" / "speech"


@dataclass(frozen=True)
class SpeechClip:
    id: str
    path: Path
    text: str
    region: str
    style: str
    condition: str
    gender: str
    duration_s: float
    english: str


def load_set(root: Path = ROOT) -> list[SpeechClip]:
    """Every row of `set.tsv`, texts NFC."""
    with open(root / "set.tsv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [SpeechClip(r["id"], root / r["file"], unicodedata.normalize("NFC", r["text"]), r["region"], r["style"],
                       r["condition"], r["gender"], float(r["duration_s"] or 0), r.get("english") or "")
            for r in rows]


def to_wav16k(clip: SpeechClip, folder: Path) -> Path:
    """The clip as ingest would leave it for recognition: 16 kHz mono 16-bit PCM."""
    out = folder / f"{clip.id}.wav"
    if not out.is_file():
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(clip.path), "-ac", "1",
                        "-ar", "16000", "-c:a", "pcm_s16le", str(out)], check=True)
    return out


def words_of(text: str) -> list[str]:
    """Words for WER: NFC, lower case, punctuation removed."""
    return re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text).casefold())


def edits(reference: list[str], hypothesis: list[str]) -> int:
    """Edit distance between two token lists."""
    row = list(range(len(hypothesis) + 1))
    for i, r in enumerate(reference, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hypothesis, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[-1]


def corpus_wer(pairs: list[tuple[str, str]]) -> float:
    """Word error rate over a set: all edits over all reference words."""
    errors = sum(edits(words_of(ref), words_of(hyp)) for ref, hyp in pairs)
    return errors / max(1, sum(len(words_of(ref)) for ref, _ in pairs))


def corpus_cer(pairs: list[tuple[str, str]]) -> float:
    """Character error rate on the same normalised words joined by single spaces."""
    errors = sum(edits(list(" ".join(words_of(ref))), list(" ".join(words_of(hyp)))) for ref, hyp in pairs)
    return errors / max(1, sum(len(" ".join(words_of(ref))) for ref, _ in pairs))
