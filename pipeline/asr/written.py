"""Written form for a recogniser that gives bare lowercase syllables: sentence capitals, names from
the glossary, and punctuation at pauses.

The CTC model writes "trà vinh là một tỉnh ven biển" with no capital and no stop. A subtitle needs
"Trà Vinh là một tỉnh ven biển." Three sources, each cheap and each measured by benchmarks/asr.py on
the real-speech development set:
- a pause between two syllables at least `sentence_pause_ms` long ends a sentence (full stop, next
  syllable capitalised), one at least `comma_pause_ms` long gets a comma;
- the first syllable of a stretch of speech and of a sentence is capitalised;
- a glossary name of two or more syllables recognised with exactly its marks is written with its
  capitals ("trà vinh" → "Trà Vinh"); a one-syllable name is left alone, since most are also everyday
  words ("vinh", "hậu").
Case and punctuation never change which syllables were heard: WER counts lowercase bare syllables.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .glossary import Glossary
from .transcript import TranscriptWord, bare, split_punctuation

SENTENCE_END = ".?!…"


@dataclass(frozen=True)
class WrittenSettings:
    """Pause lengths (ms) that become punctuation."""

    sentence_pause_ms: int = 700
    comma_pause_ms: int = 350


def _capitalised(word: str) -> str:
    lead, core, tail = split_punctuation(word)
    if not core:
        return word
    return lead + core[0].upper() + core[1:] + tail


def _key(word: str) -> str:
    return unicodedata.normalize("NFC", bare(word)).lower()


def name_forms(glossary: Glossary | None) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Lowercase syllables → written syllables of every glossary form of two or more syllables that
    carries a capital."""
    forms: dict[tuple[str, ...], tuple[str, ...]] = {}
    if glossary is None:
        return forms
    for term in glossary.terms:
        written = tuple(unicodedata.normalize("NFC", term.vi).split())
        if len(written) >= 2 and any(ch.isupper() for ch in term.vi):
            forms.setdefault(tuple(w.lower() for w in written), written)
    return forms


def capitalise_names(words: Sequence[TranscriptWord], glossary: Glossary | None) -> list[TranscriptWord]:
    """Glossary names recognised with exactly their marks, written with their capitals (longest first)."""
    forms = name_forms(glossary)
    out = list(words)
    if not forms:
        return out
    longest = max(len(key) for key in forms)
    index = 0
    while index < len(out):
        for size in range(min(longest, len(out) - index), 1, -1):
            key = tuple(_key(w.text) for w in out[index:index + size])
            written = forms.get(key)
            if written is None:
                continue
            for offset, syllable in enumerate(written):
                word = out[index + offset]
                lead, _core, tail = split_punctuation(word.text)
                out[index + offset] = replace(word, text=lead + syllable + tail)
            index += size - 1
            break
        index += 1
    return out


def punctuate(words: Sequence[TranscriptWord], settings: WrittenSettings = WrittenSettings(),
              *, ends_sentence: bool = True) -> list[TranscriptWord]:
    """Stops and commas at pauses, capitals at sentence starts. The first word is capitalised; the
    last gets a full stop when `ends_sentence` (a stretch of speech that ends in silence). A word
    that already carries a mark (one another recogniser wrote) keeps it."""
    out: list[TranscriptWord] = []
    capital_next = True
    for index, word in enumerate(words):
        text = word.text
        if capital_next:
            text = _capitalised(text)
        capital_next = False
        gap = words[index + 1].start_ms - word.end_ms if index + 1 < len(words) else None
        if text and text[-1] not in SENTENCE_END + ",;:":
            if gap is None:
                if ends_sentence:
                    text += "."
                    capital_next = True
            elif gap >= settings.sentence_pause_ms:
                text += "."
                capital_next = True
            elif gap >= settings.comma_pause_ms:
                text += ","
        elif text and text[-1] in SENTENCE_END:
            capital_next = True
        elif text and gap is None and ends_sentence:  # a comma at the end of the speech becomes a stop
            text = text.rstrip(",;:") + "."
        out.append(replace(word, text=text))
    return out
