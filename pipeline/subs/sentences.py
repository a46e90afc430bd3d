"""Recognised speech cut into sentences, and the Vietnamese cues each sentence lies on.

An interview answer reaches the subtitles as cues, and a cue is often half a sentence: translated on
its own, "Một buổi tiệc trà ở thành phố, tôi ngồi" comes back as "A tea party in a city, I sit…".
So the English for recognised speech is made sentence by sentence, and a sentence is found in the
words the cues were made from:

- a full stop, "?", "!" (or "…" before a capital) ends a sentence, an abbreviation's dot does not;
- a pause of `PAUSE_MS` or more between two words ends one, unless punctuation says otherwise: the
  word before the pause ends in a comma, semicolon, colon or dash, or the speech is punctuated and
  the sentence goes on to a full stop in the same stretch of one clip, within `MAX_SENTENCE_MS` of
  its start (a hesitation inside a punctuated sentence is no end);
- the edit ends one: a sentence never spans two clips (nor a jump back in one clip, nor two speakers);
- a "sentence" longer than `MAX_SENTENCE_MS` (speech with commas and no full stop) is cut at its
  longest pause, so nothing is sent to a translator as one endless line.

Words are `TimedWord`s in programme time whose `source_id` names their clip and their start in it
("clip@ms", as `speech.place_words` writes it). Cues read back from a file an editor changed carry no
source ids: their words are the recognised ones under the cue when those spell the cue's text, and
otherwise the cue's own tokens, timed across the cue and placed in the clip under them.

Cues whose sentences run into each other form a group that takes its English together: usually one
sentence on one or more cues; more than one when a sentence ends inside a cue.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace

from ..fsutil import nfc
from .cues import Cue, TimedWord

PAUSE_MS = 600
MAX_SENTENCE_MS = 15_000

_FINAL = (".", "!", "?", "…", "...")
_GOES_ON = (",", ";", ":", "-", "–", "—")
_CLOSERS = "\"'”’»)]}"
# Vietnamese abbreviations written with a dot that do not end a sentence ("TP. Hồ Chí Minh").
ABBREVIATIONS = frozenset({"tp.", "tx.", "tt.", "q.", "p.", "ts.", "ths.", "pgs.", "gs.", "bs.", "ks.", "ls.",
                           "nxb.", "st.", "mr.", "mrs.", "dr.", "v.v.", "vv."})
# Where a word sits: its clip and its start in the clip's own milliseconds (None when unknown).
ClipAt = Callable[[int], tuple[str, int] | None]


def clip_of(word: TimedWord) -> tuple[str, int | None]:
    """The clip a word was heard in and its start in that clip ("a@1200" → ("a", 1200)); ("", None)
    when its source id does not say (a script word's id ends with the heard word's)."""
    source = word.source_id.rsplit("|", 1)[-1]
    clip, at, ms = source.rpartition("@")
    if not at or not clip:
        return "", None
    try:
        return clip, int(ms)
    except ValueError:
        return clip, None


def ends_sentence(text: str, following: str = "") -> bool:
    """True when a word's own punctuation ends a sentence ("Vinh." "sao?"); not an abbreviation's
    dot, and an ellipsis only before a capital (otherwise it is a hesitation: "tôi... tôi nghĩ")."""
    core = text.rstrip(_CLOSERS)
    if not core.endswith(_FINAL):
        return False
    if core.endswith(("…", "...")) and not core.endswith(("?…", "!…")):
        return following[:1].isupper()
    return core.casefold().lstrip("(\"'“‘«") not in ABBREVIATIONS


def goes_on(text: str) -> bool:
    """True when a word's punctuation says the sentence continues after it (a comma, a dash …)."""
    return text.rstrip(_CLOSERS).endswith(_GOES_ON)


def _gap(before: TimedWord, after: TimedWord) -> int:
    """The silence between two words: in the programme, or in the clip where the edit removed some."""
    gap = after.start_ms - before.end_ms
    (clip_a, at_a), (clip_b, at_b) = clip_of(before), clip_of(after)
    if clip_a and clip_a == clip_b and at_a is not None and at_b is not None:
        gap = max(gap, at_b - (at_a + before.end_ms - before.start_ms))
    return gap


def _edit_between(before: TimedWord, after: TimedWord) -> bool:
    """True when the edit (or the speaker) changes between two words: another clip, a jump back in
    the same clip, another diarised speaker."""
    (clip_a, at_a), (clip_b, at_b) = clip_of(before), clip_of(after)
    if clip_a and clip_b and clip_a != clip_b:
        return True
    if clip_a and clip_a == clip_b and at_a is not None and at_b is not None and at_b < at_a:
        return True
    return before.speaker is not None and after.speaker is not None and before.speaker != after.speaker


def _longest_pause(words: Sequence[TimedWord], first: int, end: int) -> int:
    """Where to cut words[first:end] that run too long: the longest pause (after a comma a little
    longer), the middle one of equals."""
    middle = (first + end) / 2
    return max(range(first + 1, end),
               key=lambda k: (_gap(words[k - 1], words[k]) + (300 if goes_on(words[k - 1].text) else 0),
                              -abs(k - middle)))


def _too_long(words: Sequence[TimedWord], first: int, end: int, max_ms: int) -> list[tuple[int, int]]:
    if end - first < 2 or words[end - 1].end_ms - words[first].start_ms <= max_ms:
        return [(first, end)]
    cut = _longest_pause(words, first, end)
    return _too_long(words, first, cut, max_ms) + _too_long(words, cut, end, max_ms)


def cut_sentences(words: Sequence[TimedWord], pause_ms: int = PAUSE_MS, max_ms: int = MAX_SENTENCE_MS,
                  starts: Collection[int] = ()) -> list[tuple[int, int]]:
    """`words` (in programme order) as sentences: (first, end) index ranges, end exclusive, covering
    every word in order. `starts`: indexes where a sentence must begin (a speaker's dash)."""
    if not words:
        return []
    # Stretches the edit cannot join: a sentence never runs across one of these boundaries.
    hard = [k for k in range(1, len(words)) if k in starts or _edit_between(words[k - 1], words[k])]
    sentences: list[tuple[int, int]] = []
    for first, end in itertools.pairwise([0, *hard, len(words)]):
        # For each word, the end of the first word at or after it in this stretch that ends a sentence.
        stop_ahead: list[int | None] = [None] * (end - first + 1)
        for k in range(end - 1, first - 1, -1):
            following = words[k + 1].text if k + 1 < end else ""
            stop_ahead[k - first] = words[k].end_ms if ends_sentence(words[k].text, following) \
                else stop_ahead[k - first + 1]
        begin = first
        for k in range(first + 1, end):
            before, after = words[k - 1], words[k]
            stop = stop_ahead[k - first]
            if ends_sentence(before.text, after.text):
                boundary = True
            elif goes_on(before.text) or (stop is not None and stop - words[begin].start_ms <= max_ms):
                boundary = False  # the punctuation says the sentence goes on (to a full stop not far off)
            else:
                boundary = _gap(before, after) >= pause_ms
            if boundary:
                sentences.extend(_too_long(words, begin, k, max_ms))
                begin = k
        sentences.extend(_too_long(words, begin, end, max_ms))
    return sentences


# -- sentences on cues -------------------------------------------------------------------------------

@dataclass(frozen=True)
class SpokenSentence:
    """One sentence of recognised speech: its Vietnamese as the cues show it, its time, its cues
    (positions in the cue list)."""

    text: str
    start_ms: int
    end_ms: int
    cues: tuple[int, ...]


@dataclass(frozen=True)
class SentenceGroup:
    """Consecutive cues (positions) that take their English together, and the sentences on them
    (none for a cue without text)."""

    cues: tuple[int, ...]
    sentences: tuple[SpokenSentence, ...]


def strip_dash(line: str) -> str:
    """A speaker's line without the "- " a two-speaker cue gives it."""
    return line[2:] if line.startswith("- ") else line


def cue_text(cue: Cue) -> str:
    """The Vietnamese a cue shows, flat, without speaker dashes."""
    return " ".join(" ".join(strip_dash(line) for line in cue.lines).split())


def _joined(words: Sequence[TimedWord]) -> list[TimedWord]:
    """Words with clean text; punctuation written as a word of its own joins the word before."""
    out: list[TimedWord] = []
    for word in words:
        text = " ".join(nfc(word.text).split())
        if not text:
            continue
        if out and not any(ch.isalnum() for ch in text):
            last = out[-1]
            out[-1] = replace(last, text=last.text + text, end_ms=max(last.end_ms, word.end_ms))
            continue
        out.append(replace(word, text=text))
    return out


def _heard_under(cue: Cue, words: Sequence[TimedWord]) -> list[TimedWord] | None:
    """The recognised words a cue shows (by its source ids, or by time for a cue read from a file),
    or None when they do not spell its text (an editor changed it)."""
    ids = set(cue.source_ids)
    mine = [w for w in words if w.block is None and (w.source_id in ids if ids else True)
            and cue.start_ms - 50 <= (w.start_ms + w.end_ms) // 2 < cue.end_ms + (50 if ids else 0)]
    joined = _joined(mine)
    return joined if joined and " ".join(w.text for w in joined) == nfc(cue_text(cue)) else None


def _tokens_of(cue: Cue, clip_at: ClipAt) -> list[TimedWord]:
    """The cue's own tokens, timed across the cue by their place in its text, in the clip under them."""
    tokens = nfc(cue_text(cue)).split()
    total = sum(len(t) + 1 for t in tokens) or 1
    out: list[TimedWord] = []
    offset = 0
    for token in tokens:
        start = cue.start_ms + (cue.end_ms - cue.start_ms) * offset // total
        offset += len(token) + 1
        end = cue.start_ms + (cue.end_ms - cue.start_ms) * (offset - 1) // total
        where = clip_at(start)
        source = f"{where[0]}@{where[1]}" if where is not None else ""
        out.append(TimedWord(start, max(start, end), token, source_id=source))
    return out


def _line_starts(cue: Cue, pieces: Sequence[TimedWord]) -> list[int]:
    """Which of a two-speaker cue's pieces begin a speaker's line after the first."""
    if not cue.speaker_change or len(cue.lines) < 2:
        return []
    offsets: set[int] = set()
    at = 0
    for line in cue.lines[:-1]:
        at += len(" ".join(strip_dash(line).split())) + 1
        offsets.add(at)
    found: list[int] = []
    at = 0
    for k, piece in enumerate(pieces):
        if at in offsets:
            found.append(k)
        at += len(piece.text) + 1
    return found


def sentence_groups(cues: Sequence[Cue], positions: Sequence[int], words: Sequence[TimedWord],
                    clip_at: ClipAt, pause_ms: int = PAUSE_MS) -> list[SentenceGroup]:
    """The recognised cues at `positions` (in order) as groups of whole sentences. Sentences never
    run from one cue to another across a cue not in `positions` (a script sentence between them)."""
    groups: list[SentenceGroup] = []
    runs: list[list[int]] = []
    for position in positions:
        if runs and runs[-1][-1] == position - 1:
            runs[-1].append(position)
        else:
            runs.append([position])
    for run in runs:
        pieces: list[TimedWord] = []
        owner: list[int] = []
        starts: set[int] = set()
        for position in run:
            cue = cues[position]
            mine = _heard_under(cue, words) or _tokens_of(cue, clip_at)
            starts.update(len(pieces) + k for k in _line_starts(cue, mine))
            pieces.extend(mine)
            owner.extend([position] * len(mine))
        sentences = [SpokenSentence(" ".join(p.text for p in pieces[first:end]), pieces[first].start_ms,
                                    pieces[end - 1].end_ms, tuple(range(owner[first], owner[end - 1] + 1)))
                     for first, end in cut_sentences(pieces, pause_ms, starts=starts)]
        # Cues joined by a sentence that runs across them; a cue with no words stands alone.
        members: list[list[int]] = []
        said: list[list[SpokenSentence]] = []
        for sentence in sentences:
            if members and members[-1][-1] >= sentence.cues[0]:
                members[-1].extend(c for c in sentence.cues if c > members[-1][-1])
                said[-1].append(sentence)
            else:
                members.append(list(sentence.cues))
                said.append([sentence])
        covered = {c for group in members for c in group}
        for position in run:
            if position not in covered:
                members.append([position])
                said.append([])
        for group, spoken in sorted(zip(members, said, strict=True), key=lambda item: item[0][0]):
            groups.append(SentenceGroup(tuple(group), tuple(spoken)))
    return groups


def without_added_ellipsis(english: str, vietnamese: str) -> str:
    """A whole sentence's English without a "…" at either end that its Vietnamese does not have: a
    model still ends a sentence it takes for cut off with one, and a sentence that simply goes on
    into the next subtitle gets none."""
    text = english.strip()
    if not vietnamese.rstrip().rstrip(_CLOSERS).endswith(("…", "...")):
        text = text.removesuffix("...").removesuffix("…").rstrip()
    if not vietnamese.lstrip().startswith(("…", "...")):
        text = text.removeprefix("...").removeprefix("…").lstrip()
    return text or english.strip()
