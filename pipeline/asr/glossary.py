"""The glossary: names that must be spelled right (places, landmarks, agencies, festivals, products).

It is used twice. Before decoding, its terms bias Whisper (as `hotwords`, which faster-whisper puts
in front of every 30 s window, kept well inside the 223-token prompt limit). After decoding, it
corrects spellings, diacritics and capitals of whole words and phrases: "tra vinh", "chà vinh" →
"Trà Vinh"; "ao bà ôm" → "Ao Bà Om" — keeping word timings consistent when a correction merges or
splits words.

Matching is case- and diacritic-insensitive only where that is safe. Each term says how (`match`):
  fold  (default for names of 2+ syllables): any case, any or no diacritics;
  case  only the capitals are fixed, diacritics must already be right;
  none  the name itself is never matched (its lower-case form is an everyday word, e.g.
        "duyên hải" = coastal); only its listed `mishearings` are.
A mishearing written without diacritics matches folded; one written with them must match them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..errors import SubtitleError
from ..fsutil import nfc, sha256_text
from ..text import fold
from ..yamlmodel import read_yaml, validate
from .transcript import WORD_CORRECTED, Transcript, TranscriptSegment, TranscriptWord, bare, split_punctuation

MATCH_MODES = ("fold", "case", "none")


@dataclass(frozen=True)
class Term:
    """One glossary entry: the Vietnamese spelling to enforce and its English rendering."""

    vi: str
    en: str
    kind: str = "term"
    mishearings: tuple[str, ...] = ()
    match: str = "fold"
    prompt: bool = True
    note: str | None = None


@dataclass(frozen=True)
class Glossary:
    """Terms in priority order (programme glossary first), and the files they came from."""

    terms: tuple[Term, ...] = ()
    sources: tuple[str, ...] = ()

    @property
    def sha256(self) -> str:
        """Hash of the content (not the files), for cache keys: same terms, same hash."""
        canonical = json.dumps([asdict(t) for t in self.terms], ensure_ascii=False, sort_keys=True)
        return sha256_text(canonical)

    def english(self, vi: str) -> str | None:
        """The English rendering of a Vietnamese term, if the glossary has it."""
        key = nfc(vi).casefold()
        return next((t.en for t in self.terms if t.vi.casefold() == key), None)


def default_glossary_path() -> Path:
    """The house glossary shipped with the repository: `subtitles/glossary.yaml`."""
    return Path(__file__).resolve().parents[2] / "subtitles" / "glossary.yaml"


def _clean(value: str) -> str:
    return nfc(" ".join(value.split()))


class _Entry(BaseModel):
    """One `terms:` entry as written; `Term` is what the rest of the pipeline uses."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    vi: str
    en: str | None = None
    kind: str = "term"
    mishearings: list[str] = Field(default_factory=list)
    match: str | None = None
    prompt: Any = True
    note: Any = None

    @field_validator("vi", "en", "kind", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be non-empty text")
        return _clean(value)

    @field_validator("mishearings", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        if value is None:
            return []
        if not isinstance(value, list):
            raise ValueError("must be a list")
        if not all(isinstance(item, str) and item.strip() for item in value):
            raise ValueError("must list non-empty text")
        return [_clean(item) for item in value]

    @field_validator("match")
    @classmethod
    def _mode(cls, value: str | None) -> str | None:
        if value is not None and value not in MATCH_MODES:
            raise ValueError(f"must be one of {', '.join(MATCH_MODES)}")
        return value

    def term(self) -> Term:
        default_mode = "fold" if len(self.vi.split()) >= 2 else "none"
        return Term(
            vi=self.vi,
            en=self.en if self.en is not None else self.vi,
            kind=self.kind,
            mishearings=tuple(self.mishearings),
            match=self.match or default_mode,
            prompt=bool(self.prompt),
            note=self.note,
        )


class _GlossaryFile(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)  # other top-level keys were always ignored

    terms: list[_Entry] = Field(default_factory=list)

    @field_validator("terms", mode="before")
    @classmethod
    def _none(cls, value: Any) -> Any:
        return [] if value is None else value


_SHAPE = "a `terms:` list of {vi:, en:} entries"


def parse_terms(data: Any, source: str) -> list[Term]:
    """Terms from a parsed YAML document `{terms: [...]}`; SubtitleError names file and entry."""
    if data is None:
        return []
    if not isinstance(data, Mapping):
        raise SubtitleError(f"must be a YAML mapping ({_SHAPE})", path=source)
    parsed = validate(dict(data), _GlossaryFile, path=source, error=SubtitleError)
    return [entry.term() for entry in parsed.terms]


def read_glossary_file(path: Path) -> list[Term]:
    """Terms of one glossary YAML file."""
    data = read_yaml(path, what="glossary", error=SubtitleError, missing_hint="check the `glossary:` path")
    return parse_terms(data, str(path))


def merge_terms(main: Iterable[Term], programme: Iterable[Term]) -> tuple[Term, ...]:
    """Programme terms first (they bias decoding first), then main terms it does not redefine."""
    merged = list(programme)
    seen = {t.vi.casefold() for t in merged}
    merged.extend(t for t in main if t.vi.casefold() not in seen)
    return tuple(merged)


def load_glossary(
    main: Path | None = None, programme: Path | None = None, *, use_default: bool = True
) -> Glossary:
    """The house glossary (default `subtitles/glossary.yaml`, skipped quietly if absent) merged with
    an optional per-programme one, whose entries win."""
    sources: list[str] = []
    main_terms: list[Term] = []
    main_path = main if main is not None else (default_glossary_path() if use_default else None)
    if main_path is not None and (main is not None or main_path.is_file()):
        main_terms = read_glossary_file(main_path)
        sources.append(str(main_path))
    programme_terms: list[Term] = []
    if programme is not None:
        programme_terms = read_glossary_file(programme)
        sources.append(str(programme))
    return Glossary(merge_terms(main_terms, programme_terms), tuple(sources))


def estimate_tokens(text: str) -> int:
    """A safe over-estimate of Whisper tokens for Vietnamese text (measured: ~2.35 UTF-8 bytes per
    token on place names; we assume 2)."""
    return math.ceil(len(text.encode("utf-8")) / 2) + 1


def natural_list(items: Sequence[str]) -> str:
    """'A', 'A và B', 'A, B và C': a list as a Vietnamese sentence says it."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " và " + items[-1]


def bias_text(
    glossary: Glossary,
    budget_tokens: int = 40,
    template: str = "{terms}",
    count_tokens: Callable[[str], int] = estimate_tokens,
) -> str | None:
    """A prompt naming the glossary's terms in priority order, as many as fit `budget_tokens`.

    Whisper takes a prompt as the text said just before, so it reads best as a sentence
    ("Phóng sự về Trà Vinh, Ao Bà Om và chùa Âng.") — a long list of names makes it answer with a
    list of names. The budget also keeps well under Whisper's 223-token prompt limit."""
    chosen: list[str] = []
    for term in glossary.terms:
        if not term.prompt or term.vi in chosen:
            continue
        if count_tokens(template.format(terms=natural_list([*chosen, term.vi]))) <= budget_tokens:
            chosen.append(term.vi)
    return template.format(terms=natural_list(chosen)) if chosen else None


def _case_key(text: str) -> str:
    return nfc(bare(text)).casefold()


def _fold_key(text: str) -> str:
    return fold(bare(text))


@dataclass(frozen=True)
class _Pattern:
    term: Term
    size: int


class Corrector:
    """Whole-word glossary correction over word sequences; build once per glossary."""

    def __init__(self, glossary: Glossary) -> None:
        self._case: dict[tuple[str, ...], Term] = {}
        fold_candidates: dict[tuple[str, ...], set[str]] = {}
        fold_terms: dict[tuple[str, ...], Term] = {}
        for term in glossary.terms:
            forms: list[tuple[str, bool]] = []  # (written form, match folded?)
            if term.match != "none":
                forms.append((term.vi, False))  # exact marks: fixes capitals even if the fold is ambiguous
            if term.match == "fold":
                forms.append((term.vi, True))
            for heard in term.mishearings:
                forms.append((heard, fold(heard) == heard.casefold()))
            for form, folded in forms:
                syllables = form.split()
                if folded:
                    key = tuple(_fold_key(s) for s in syllables)
                    fold_candidates.setdefault(key, set()).add(term.vi)
                    fold_terms.setdefault(key, term)
                else:
                    self._case.setdefault(tuple(_case_key(s) for s in syllables), term)
        # A folded form shared by two different terms is ambiguous: not safe to correct.
        self._fold = {k: t for k, t in fold_terms.items() if len(fold_candidates[k]) == 1}
        sizes = [len(k) for k in (*self._case, *self._fold)]
        self._longest = max(sizes, default=0)

    def _lookup(self, words: Sequence[TranscriptWord], start: int, size: int) -> Term | None:
        span = words[start : start + size]
        for offset, word in enumerate(span):
            lead, core, trail = split_punctuation(word.text)
            if not core or (lead and offset > 0) or (trail and offset < size - 1):
                return None  # punctuation inside a phrase means it is not one name
        term = self._case.get(tuple(_case_key(w.text) for w in span))
        if term is None:
            term = self._fold.get(tuple(_fold_key(w.text) for w in span))
        return term

    def correct_words(self, words: Sequence[TranscriptWord]) -> tuple[list[TranscriptWord], int]:
        """The words with every glossary match respelled; and how many matches changed text."""
        out: list[TranscriptWord] = []
        changes = 0
        i = 0
        while i < len(words):
            for size in range(min(self._longest, len(words) - i), 0, -1):
                term = self._lookup(words, i, size)
                if term is not None:
                    replaced = _respell(words[i : i + size], term.vi)
                    if [w.text for w in replaced] != [w.text for w in words[i : i + size]]:
                        changes += 1
                        out.extend(replaced)
                    else:
                        out.extend(words[i : i + size])
                    i += size
                    break
            else:
                out.append(words[i])
                i += 1
        return out, changes

    def correct_text(self, text: str) -> tuple[str, int]:
        """Plain text corrected the same way (for segments without word timings)."""
        words, changes = self.correct_words([TranscriptWord(0, 0, token, 1.0) for token in text.split()])
        return (" ".join(w.text for w in words), changes) if changes else (text, 0)

    def correct_segment(self, segment: TranscriptSegment) -> tuple[TranscriptSegment, int]:
        """One segment corrected; its text rebuilt from its words when it has them."""
        if not segment.words:
            text, changes = self.correct_text(segment.text)
            return (replace(segment, text=text) if changes else segment), changes
        words, changes = self.correct_words(segment.words)
        if not changes:
            return segment, 0
        return replace(segment, words=tuple(words), text=" ".join(w.text for w in words)), changes


def _respell(heard: Sequence[TranscriptWord], spelling: str) -> list[TranscriptWord]:
    """`heard` words replaced by the words of `spelling`, timings kept consistent.

    Same count: one for one. Fewer: the last new word spans the leftover heard words. More: the last
    heard word's time is shared evenly among the extra new words. Punctuation before the first and
    after the last heard word is kept; a capital at the start of a sentence is kept.
    """
    targets = spelling.split()
    lead, first_core, _ = split_punctuation(heard[0].text)
    trail = split_punctuation(heard[-1].text)[2]
    if first_core[:1].isupper() and targets[0][:1].islower():
        targets[0] = targets[0][:1].upper() + targets[0][1:]
    m, k = len(targets), len(heard)
    groups: list[list[TranscriptWord]] = [[w] for w in heard[: min(m, k) - 1]]
    if m <= k:
        groups.append(list(heard[m - 1 :]))
    pieces: list[tuple[int, int, float, str]] = [
        (g[0].start_ms, g[-1].end_ms, min(w.probability for w in g), " ".join(w.text for w in g)) for g in groups
    ]
    if m > k:
        last = heard[-1]
        extra = m - k + 1
        span = last.end_ms - last.start_ms
        for j in range(extra):
            start = last.start_ms + span * j // extra
            end = last.start_ms + span * (j + 1) // extra
            pieces.append((start, end, last.probability, last.text))
    out: list[TranscriptWord] = []
    for index, (target, (start, end, probability, was)) in enumerate(zip(targets, pieces, strict=True)):
        text = (lead if index == 0 else "") + target + (trail if index == m - 1 else "")
        source_flags = heard[min(index, k - 1)].flags
        flags = source_flags if text == was else (*[f for f in source_flags if f != WORD_CORRECTED], WORD_CORRECTED)
        out.append(TranscriptWord(start, end, text, probability, tuple(flags), None if text == was else was))
    return out


def correct_transcript(transcript: Transcript, glossary: Glossary) -> tuple[Transcript, int]:
    """The transcript with glossary spellings enforced in every kept segment; and the change count."""
    corrector = Corrector(glossary)
    segments: list[TranscriptSegment] = []
    total = 0
    for segment in transcript.segments:
        fixed, changes = corrector.correct_segment(segment)
        segments.append(fixed)
        total += changes
    return replace(transcript, segments=tuple(segments), glossary_sha256=glossary.sha256), total
