"""The glossary: names that must be spelled right (places, landmarks, agencies, festivals, products).

It is used twice. Before decoding, a few of its terms go into Whisper's initial prompt as a short
sentence (`bias_text`; the stage decides how, see `TranscribeSettings.glossary_bias`). After
decoding, it corrects spellings, diacritics and capitals of whole words and phrases — "Chà Vinh",
"trà Vinh" → "Trà Vinh"; "lễ hội ok om bok" → "Ok Om Bok" — keeping word timings consistent when a
correction merges or splits words.

Correction must not put a term into speech that did not contain it. Vietnamese is full of everyday
phrases a letter or a tone away from a name ("cây cầu ngang qua", "giá ba đồng", "nước sông hầu như
cạn", "kẹo dứa"), so by default (`CorrectionSettings`) a span is only respelled when it is close to
a form of the term (similarity ≥ 0.9) *and* the recogniser wrote it as a name or as something no
Vietnamese syllable looks like; three or more syllables spelling a term exactly need no more.
Measured in benchmarks/asr_glossary.py: the old, loose correction put 8 terms into 12 everyday
sentences recognised perfectly; this one none.

Which forms of a term are compared, per term (`match`):
  fold  (default for names of 2+ syllables): any case, any or no diacritics;
  case  only the capitals are fixed, diacritics must already be right;
  none  the name itself is never matched (its lower-case form is an everyday word, e.g.
        "duyên hải" = coastal); only its listed `mishearings` are.
A mishearing written without diacritics matches folded; one written with them must match them.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..errors import SubtitleError
from ..fsutil import nfc, sha256_text
from ..shipped import shipped
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
    return shipped("subtitles", "glossary.yaml")


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


@dataclass(frozen=True)
class CorrectionSettings:
    """How sure correction must be before it rewrites what the recogniser wrote.

    `min_similarity`: a heard span is compared with the term's spelling as `similarity` measures
    it; below this nothing is rewritten (a listed mishearing must match exactly). 0.9 lets one
    slip through in ten letters and marks or more ("Khu kinh tế Định Anh"), none in a short name:
    "Thà Cú" (0.875 from Trà Cú) is what a prompt naming Trà Cú makes Whisper write for "Các sư",
    and on the benchmark no threshold from 0.8 to 1.0 spelled one more name right than another.

    `need_evidence`: a span of ordinary Vietnamese syllables in lower case is left alone, however
    close to a term it is — "cây cầu ngang qua", "giá ba đồng", "nước sông hầu như cạn", "kẹo dứa"
    are everyday words before they are Cầu Ngang, Ba Động, sông Hậu or a misheard kẹo dừa. A span is
    respelled only where the recogniser itself wrote a name (the capitals the name has) or wrote
    something that is no Vietnamese syllable ("khmer", "ok om bok"). Measured with
    benchmarks/asr_glossary.py (its docstring has the numbers).
    """

    min_similarity: float = 0.9
    need_evidence: bool = True
    phrase_syllables: int = 3
    """An exact match (marks aside) this long needs no other evidence: three or more ordinary
    syllables that happen to spell a glossary phrase ("ủy ban nhân dân tỉnh", "huyện duyên hải")
    are that phrase."""


LOOSE_CORRECTION = CorrectionSettings(min_similarity=1.0, need_evidence=False)
"""The correction used before the glossary benchmark: any exact folded match or listed mishearing,
whatever its case. Kept for the benchmark's comparison and for editors who want it."""


_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng


def _letters(text: str) -> str:
    """Case-free letters, vowel marks and tone as separate characters, the tone last in its syllable
    ("Động" → "đ o ̂ n g ̣"): in edit distances a wrong tone costs one edit, as a wrong letter does."""
    syllables = []
    for syllable in unicodedata.normalize("NFD", nfc(text).casefold()).split():
        tones = "".join(ch for ch in syllable if ch in _TONES)
        syllables.append("".join(ch for ch in syllable if ch not in _TONES) + tones)
    return " ".join(syllables)


def edit_distance(a: str, b: str, limit: int | None = None) -> int:
    """Levenshtein distance (insert, delete, substitute: one each); with `limit`, any distance over
    it is reported as limit + 1 as soon as that is certain."""
    if len(a) < len(b):
        a, b = b, a
    if limit is not None and len(a) - len(b) > limit:
        return limit + 1
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
        if limit is not None and min(row) > limit:
            return limit + 1
    return row[-1]


def similarity(heard: str, form: str, *, folded: bool = False, at_least: float = 0.0) -> float:
    """1 − edits / length of the longer, case ignored: 1.0 is the same words. `folded` compares
    without diacritics (a form written without marks, or a name whose marks may be heard wrong);
    otherwise marks count as letters and a wrong tone is one edit ("ba đồng" vs "ba động": one in
    nine characters). Below `at_least` the value is only certain to be below it (the count stops early)."""
    a, b = (fold(heard), fold(form)) if folded else (_letters(heard), _letters(form))
    longest = max(len(a), len(b))
    if not longest:
        return 1.0
    limit = math.floor((1.0 - at_least) * longest + 1e-9) if at_least > 0 else None
    return 1.0 - edit_distance(a, b, limit) / longest


_SYLLABLE = re.compile(r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(ch|nh|ng|[cmnpt])?$")


def is_vietnamese_syllable(word: str) -> bool:
    """Whether `word` is shaped like a Vietnamese syllable (onset, one to three vowels, a final from
    c ch m n ng nh p t). "khmer", "bok", "okombok" are not; "vinh", "ôm", "đồng" are."""
    return bool(_SYLLABLE.match(fold(bare(word))))


@dataclass(frozen=True)
class Match:
    """A span of heard words found to be a term: where, which form of the term, how similar."""

    start: int
    size: int
    term: Term
    form: str
    folded: bool
    similarity: float

    @property
    def rank(self) -> tuple[float, bool]:
        """Closer first; at equal closeness, a form whose marks matched over a folded one."""
        return (self.similarity, not self.folded)


@dataclass(frozen=True)
class _Form:
    """One written form of a term, as matched: its syllables, and whether marks are ignored."""

    term: Term
    written: str
    folded: bool
    keys: tuple[str, ...]  # folded syllables, for finding candidates
    mishearing: bool  # a listed mishearing matches as written, never approximately


class Corrector:
    """Whole-word glossary correction over word sequences; build once per glossary.

    A span of heard words is compared with the forms that have as many syllables and share at
    least one of them, in the same place (a span whose every syllable was misheard is not taken
    for the name). A listed mishearing, and a `match: case` term, only match as written; the
    term's spelling also approximately. The closest form at or above the threshold wins; two terms
    equally close are ambiguous and nothing is rewritten; with `need_evidence`, so is a span that
    reads as ordinary lower-case Vietnamese (see `CorrectionSettings`)."""

    def __init__(self, glossary: Glossary, settings: CorrectionSettings | None = None) -> None:
        self.settings = settings or CorrectionSettings()
        self._by_syllable: dict[tuple[int, int, str], list[_Form]] = {}
        sizes: set[int] = set()
        for term in glossary.terms:
            forms: list[tuple[str, bool, bool]] = []  # (written form, match folded?, a mishearing?)
            if term.match != "none":
                forms.append((term.vi, False, False))  # exact marks: fixes capitals where the fold is ambiguous
            if term.match == "fold":
                forms.append((term.vi, True, False))
            for heard in term.mishearings:
                forms.append((heard, fold(heard) == heard.casefold(), True))
            for written, folded, mishearing in forms:
                keys = tuple(fold(bare(s)) for s in written.split())
                form = _Form(term, written, folded, keys, mishearing)
                sizes.add(len(keys))
                for place, key in enumerate(keys):
                    self._by_syllable.setdefault((len(keys), place, key), []).append(form)
        self._longest = max(sizes, default=0)

    def _candidates(self, heard: _Heard, start: int, size: int) -> list[_Form]:
        seen: dict[int, _Form] = {}
        for place in range(size):
            for form in self._by_syllable.get((size, place, heard.keys[start + place]), ()):
                seen.setdefault(id(form), form)
        return list(seen.values())

    def _match_at(self, heard: _Heard, start: int, size: int) -> Match | None:
        """The term `heard`'s words [start, start + size) are to be respelled as, if any."""
        for offset in range(size):
            lead, trail = heard.lead[start + offset], heard.trail[start + offset]
            if not heard.cores[start + offset] or (lead and offset > 0) or (trail and offset < size - 1):
                return None  # punctuation inside a phrase means it is not one name
        text = " ".join(heard.cores[start : start + size])
        best: Match | None = None
        winners: set[str] = set()
        for form in self._candidates(heard, start, size):
            needed = 1.0 if form.mishearing or form.term.match == "case" else self.settings.min_similarity
            score = similarity(text, form.written, folded=form.folded, at_least=needed)
            if score < needed:
                continue
            found = Match(start, size, form.term, form.written, form.folded, score)
            if best is None or found.rank > best.rank:
                best, winners = found, set()
            if found.rank == best.rank:
                winners.add(form.term.vi)
        if best is None or len(winners) > 1:
            return None  # nothing close enough, or two terms equally close: not safe to correct
        long_phrase = best.similarity == 1.0 and size >= self.settings.phrase_syllables
        if self.settings.need_evidence and not long_phrase and not heard.as_name(start, size, best.term):
            return None
        return best

    def matches(self, words: Sequence[TranscriptWord]) -> list[Match]:
        """Every span of `words` (one segment) to respell, left to right, the longest first at each place."""
        heard = _Heard(words)
        found: list[Match] = []
        i = 0
        while i < len(words):
            for size in range(min(self._longest, len(words) - i), 0, -1):
                match = self._match_at(heard, i, size)
                if match is not None:
                    found.append(match)
                    i += size
                    break
            else:
                i += 1
        return found

    def correct_words(self, words: Sequence[TranscriptWord]) -> tuple[list[TranscriptWord], int]:
        """The words with every glossary match respelled; and how many matches changed text."""
        out: list[TranscriptWord] = []
        changes = 0
        i = 0
        for match in self.matches(words):
            out.extend(words[i : match.start])
            heard = words[match.start : match.start + match.size]
            replaced = _respell(heard, match.term.vi)
            if [w.text for w in replaced] != [w.text for w in heard]:
                changes += 1
                out.extend(replaced)
            else:
                out.extend(heard)
            i = match.start + match.size
        out.extend(words[i:])
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


_SENTENCE_END = (".", "!", "?", "…", ":")
_CLOSING = "\"'”’)»"
_TITLE_CASE_SHARE = 0.6
_TITLE_CASE_MIN_WORDS = 5


class _Heard:
    """One segment's words as the corrector looks at them, worked out once."""

    def __init__(self, words: Sequence[TranscriptWord]) -> None:
        parts = [split_punctuation(w.text) for w in words]
        self.lead = [p[0] for p in parts]
        self.cores = [p[1] for p in parts]
        self.trail = [p[2] for p in parts]
        self.keys = [fold(core) for core in self.cores]
        self.sentence_start = [i == 0 or words[i - 1].text.rstrip(_CLOSING).endswith(_SENTENCE_END)
                               for i in range(len(words))]
        # Words that would be lower case in ordinary writing: not a sentence's first, not empty.
        self.inner = [bool(core) and not first for core, first in zip(self.cores, self.sentence_start, strict=True)]
        self.capital = [core[:1].isupper() for core in self.cores]
        self._inner_total = sum(self.inner)
        self._inner_capitals = sum(i and c for i, c in zip(self.inner, self.capital, strict=True))

    def title_cased(self, start: int, size: int) -> bool:
        """Whether most of the other words start with a capital (a sentence's first aside)."""
        span = range(start, start + size)
        total = self._inner_total - sum(self.inner[i] for i in span)
        capitals = self._inner_capitals - sum(self.inner[i] and self.capital[i] for i in span)
        return total >= _TITLE_CASE_MIN_WORDS and capitals / total >= _TITLE_CASE_SHARE

    def as_name(self, start: int, size: int, term: Term) -> bool:
        """Whether the recogniser wrote words [start, start + size) as something other than everyday
        lower-case Vietnamese: with a word that is no Vietnamese syllable ("khmer", "bok"), or with a
        capital where the name has one ("trà Vinh") — not counting the capital every sentence starts
        with, nor capitals in a stretch where the recogniser capitalised nearly every word (what a
        prompt of names can make it do: "Cảnh Phó … A Ba Bông La Thánh Cảnh")."""
        cores = self.cores[start : start + size]
        if not all(is_vietnamese_syllable(core) for core in cores):
            return True
        target = term.vi.split()
        if not any(t[:1].isupper() for t in target):
            return False  # a lower-case term (kẹo dừa) said in ordinary syllables is an ordinary phrase
        if self.title_cased(start, size):
            return False
        # Where the name has its capitals; in a span merged or split from the name's syllables, anywhere.
        named = [t[:1].isupper() for t in target] if len(target) == size else [True] * size
        return any(self.capital[start + i] and needed and not (i == 0 and self.sentence_start[start])
                   for i, needed in enumerate(named))


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


def correct_transcript(transcript: Transcript, glossary: Glossary,
                       settings: CorrectionSettings | None = None) -> tuple[Transcript, int]:
    """The transcript with glossary spellings enforced in every kept segment (as sure as `settings`
    demands: `CorrectionSettings()` unless given); and the change count."""
    corrector = Corrector(glossary, settings)
    segments: list[TranscriptSegment] = []
    total = 0
    for segment in transcript.segments:
        fixed, changes = corrector.correct_segment(segment)
        segments.append(fixed)
        total += changes
    return replace(transcript, segments=tuple(segments), glossary_sha256=glossary.sha256), total
