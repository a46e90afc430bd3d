"""The translator interface, and the glossary work every machine translation needs around it.

Machine translation mangles names: "Trà Vinh" comes back as "Tea Vinh" or "Tra Vinh", "Ao Bà Om" as
"Pond Mrs Om". So before a cue goes to a model its glossary terms become numbered placeholders
(⟦0⟧, ⟦1⟧ ...), and after it comes back they become the glossary's official English ("Trà Vinh",
"Ba Om Pond", "Provincial People's Committee"). A final pass fixes what slipped through: an English
rendering written without its diacritics or in the wrong case is respelled exactly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..asr.glossary import Glossary, Term
from ..errors import SubtitleError
from ..fsutil import nfc
from ..text import fold


@dataclass(frozen=True)
class AudioSpan:
    """A stretch of one clip's audio, in the clip's own milliseconds (for audio-based backends)."""

    clip_id: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class SourceCue:
    """One Vietnamese text to translate (a cue, or a whole sentence): its position (1-based),
    programme times, flat text, audio.

    `before` and `after` are the sentences said just before and after it, for understanding only:
    never translated, never part of the English ("" where there is none). None (the default) means
    the caller gave no context; a backend that reads context then takes the texts beside it in the
    list it was given.
    """

    index: int
    start_ms: int
    end_ms: int
    text: str
    audio: tuple[AudioSpan, ...] = ()
    before: str | None = None
    after: str | None = None


@dataclass(frozen=True)
class TranslationContext:
    """What a backend may need besides the cues: the glossary and the programme's identity."""

    glossary: Glossary = field(default_factory=Glossary)
    programme_id: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class Translator(Protocol):
    """Anything that turns Vietnamese cues into English lines, exactly one per cue, in order.

    A cue may carry the sentences around it (`SourceCue.before`/`after`): a backend that can use
    context reads them; one that cannot (an audio or a sentence-at-a-time model) ignores them.
    """

    name: str
    is_machine_draft: bool

    def translate(self, cues: Sequence[SourceCue], context: TranslationContext) -> list[str]:
        """One English text per cue (no line breaks needed: the stage lays lines out)."""
        ...


# -- glossary protection ---------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"[⟦\[]\s*(\d{1,3})\s*[⟧\]]")


def placeholder(n: int) -> str:
    """The n-th placeholder as sent to a model."""
    return f"⟦{n}⟧"


def _term_pattern(term: Term) -> re.Pattern[str]:
    words = [re.escape(w) for w in term.vi.split()]
    body = r"\s+".join(words)
    flags = re.IGNORECASE if term.match == "fold" else 0
    return re.compile(rf"(?<!\w){body}(?!\w)", flags)


@dataclass(frozen=True)
class Protected:
    """A text with its glossary terms replaced by placeholders, and the terms in placeholder order."""

    text: str
    terms: tuple[Term, ...]


def protect(text: str, glossary: Glossary) -> Protected:
    """Replace every glossary term in `text` by a placeholder, longest terms first.

    Longest first so "huyện Duyên Hải" becomes one "Duyên Hải District" rather than "huyện" plus the
    bare name. Terms matched case-sensitively (`match: case|none`) only match as written, so the
    everyday "duyên hải" (coastal) is left for the model to translate.
    """
    text = nfc(text)
    used: list[Term] = []
    for term in sorted(glossary.terms, key=lambda t: -len(t.vi)):
        pattern = _term_pattern(term)

        def sub(_: re.Match[str], term: Term = term) -> str:
            if term not in used:
                used.append(term)
            return placeholder(used.index(term))

        text = pattern.sub(sub, text)
    return Protected(text, tuple(used))


def restore(text: str, protected: Protected) -> str:
    """Put the official English back where the placeholders came back (in any bracket style)."""

    def sub(match: re.Match[str]) -> str:
        n = int(match.group(1))
        return protected.terms[n].en if n < len(protected.terms) else ""

    return " ".join(_PLACEHOLDER.sub(sub, nfc(text)).split())


def enforce_spellings(text: str, glossary: Glossary) -> str:
    """Respell glossary English (and Vietnamese names) that came back without diacritics or capitals.

    Only whole phrases of two or more words, or single words with diacritics, are matched folded,
    so "long" never turns into "Long"; the exact spelling of the term replaces the match.
    """
    text = nfc(text)
    forms: dict[str, str] = {}
    for term in glossary.terms:
        candidates = [term.en] + ([term.vi] if term.match == "fold" else [])
        for form in candidates:
            if len(form.split()) >= 2 or fold(form) != form.casefold():
                forms.setdefault(fold(form), term.en)
    if not forms:
        return text
    for key, spelling in sorted(forms.items(), key=lambda kv: -len(kv[0])):
        words = [re.escape(w) for w in key.split()]
        joined = r"\s+".join(words)
        pattern = re.compile(rf"(?<!\w){joined}(?!\w)")
        folded = fold(text)
        if len(folded) != len(text):  # folding changed the length (rare ligatures): give up safely
            continue
        pieces: list[str] = []
        last = 0
        for match in pattern.finditer(folded):
            pieces.append(text[last : match.start()])
            pieces.append(spelling)
            last = match.end()
        if pieces:
            text = "".join(pieces) + text[last:]
    return text


def translate_protected(
    cues: Sequence[SourceCue],
    glossary: Glossary,
    run: Any,
    *,
    placeholders: bool = True,
) -> list[str]:
    """Protect each cue's terms, call `run(list_of_texts) -> list_of_texts`, restore and enforce.

    Shared by the text backends (ct2, argos, llm) so every one of them handles names the same way.
    `placeholders=False` sends the text as is (a language model given the glossary as instructions
    translates better seeing the names than seeing ⟦0⟧); the spelling pass still runs.
    """
    empty = Glossary()
    protected = [protect(cue.text, glossary if placeholders else empty) for cue in cues]
    raw = run([p.text for p in protected])
    outputs = check_outputs(cues, raw, "the translator")
    return [enforce_spellings(restore(text, p), glossary) for text, p in zip(outputs, protected, strict=True)]


def check_outputs(cues: Sequence[SourceCue], outputs: Sequence[Any], who: str) -> list[str]:
    """Exactly one non-empty string per cue, NFC and on one line, or a SubtitleError that says what."""
    if len(outputs) != len(cues):
        raise SubtitleError(f"{who} returned {len(outputs)} lines for {len(cues)} cues")
    clean: list[str] = []
    for cue, text in zip(cues, outputs, strict=True):
        if not isinstance(text, str):
            raise SubtitleError(f"{who} returned a non-text value for cue {cue.index}")
        clean.append(" ".join(nfc(text).split()))
    return clean
