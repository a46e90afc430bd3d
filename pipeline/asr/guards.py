"""Guards against what Whisper invents: text over silence or music, and repetition loops.

Whisper, given B-roll music or room tone, will happily write a sentence ("Hãy subscribe cho kênh…")
or get stuck repeating a syllable ("cục cục cục cục…"). No single score catches all of it, so each
segment is judged on several: `no_speech_prob` together with `avg_logprob` (the model thinks there is
no speech AND is unsure of its words), `compression_ratio` (repetitive text compresses well), and a
count of consecutively repeated n-grams. A segment is dropped (with its reasons kept) or flagged for
an editor; words below a probability threshold are flagged so editors know where to listen.

Everything here is a pure function over `TranscriptSegment` data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..intervals import overlaps
from ..text import fold
from .transcript import WORD_LOW_PROBABILITY, DroppedSegment, TranscriptSegment, TranscriptWord, bare

# Reasons a segment is dropped, and flags a kept one can carry.
DROP_SILENCE = "no_speech"
DROP_LOOP = "repetition_loop"
DROP_HALLUCINATION = "known_hallucination"
DROP_EMPTY = "empty"
DROP_PROMPT_ECHO = "prompt_echo"
DROP_PAST_END = "past_end_of_audio"
FLAG_MAYBE_NO_SPEECH = "maybe_no_speech"
FLAG_LOW_LOGPROB = "low_logprob"
FLAG_HIGH_COMPRESSION = "high_compression"
FLAG_REPETITION_TRIMMED = "repetition_trimmed"
FLAG_SUSPECT_PHRASE = "suspect_phrase"
FLAG_TOO_FAST = "too_fast"

# Phrases Whisper is known to produce for Vietnamese over silence or music (folded, see `pipeline.text.fold`).
# The first list never belongs in a programme; the second might, so it is only dropped when the
# scores also look weak.
_ALWAYS_HALLUCINATED = (
    "subscribe cho kenh",
    "ghien mi go",
    "dang ky kenh",
    "amara.org",
    "phu de boi",
    "like va subscribe",
    "nhan nut dang ky",
)
_SUSPECT_PHRASES = (
    "cam on cac ban da theo doi",
    "hen gap lai cac ban",
    "cam on cac ban da xem",
    "video tiep theo",
)


@dataclass(frozen=True)
class GuardSettings:
    """Thresholds of the guards. Defaults follow Whisper's own fallback rule (no_speech 0.6 with
    logprob -1.0), made a little stricter because our audio is mostly interviews over music."""

    silence_no_speech_prob: float = 0.6
    silence_avg_logprob: float = -1.0
    low_avg_logprob: float = -1.0
    high_compression_ratio: float = 2.4
    loop_max_ngram: int = 4
    loop_min_repeats_word: int = 4
    loop_min_repeats_phrase: int = 3
    loop_drop_fraction: float = 0.5
    low_word_probability: float = 0.5
    max_words_per_s: float = 9.0
    suspect_no_speech_prob: float = 0.2
    suspect_avg_logprob: float = -0.5
    echo_min_words: int = 2
    echo_max_word_probability: float = 0.3
    echo_lone_word_probability: float = 0.05
    """The prompt read out again in pieces too short for `echo_min_words`: its first word opening a
    segment, or a segment that is nothing but a run of the prompt ("Cú.", "Trà Cú." after the
    speech), with a word at this confidence or less. Measured under "Phóng sự về Trà Vinh và Trà
    Cú.": "Tôi đang đứng tại …" decoded "Phóng tài …" with "Phóng" at 0.015, and tails "Cú." at
    0.013–0.044 after everyday sentences; names from the prompt that were said opened segments at
    0.21–0.29. 0 turns it off."""


@dataclass(frozen=True)
class GuardResult:
    """Segments that survived (possibly flagged or trimmed) and those dropped, with reasons."""

    kept: tuple[TranscriptSegment, ...]
    dropped: tuple[DroppedSegment, ...]


@dataclass(frozen=True)
class Loop:
    """A run of `repeats` consecutive copies of an `size`-token n-gram starting at token `start`."""

    start: int
    size: int
    repeats: int

    @property
    def end(self) -> int:
        return self.start + self.size * self.repeats


def find_loops(tokens: Sequence[str], settings: GuardSettings = GuardSettings()) -> list[Loop]:
    """Runs of an n-gram (n = 1..loop_max_ngram) repeated back to back often enough to be a decoding
    loop: 4× for one word (Vietnamese reduplication stops at 2–3: "xa xa"), 3× for longer n-grams.
    Overlapping runs keep the one covering most tokens."""
    keys = [fold(bare(t)) for t in tokens]
    found: list[Loop] = []
    for size in range(1, settings.loop_max_ngram + 1):
        needed = settings.loop_min_repeats_word if size == 1 else settings.loop_min_repeats_phrase
        i = 0
        while i + size <= len(keys):
            gram = keys[i : i + size]
            repeats = 1
            while keys[i + repeats * size : i + (repeats + 1) * size] == gram:
                repeats += 1
            if repeats >= needed and any(gram):
                found.append(Loop(i, size, repeats))
                i += size * repeats
            else:
                i += 1
    found.sort(key=lambda lp: (-(lp.size * lp.repeats), lp.start))
    chosen: list[Loop] = []
    for loop in found:
        if not any(overlaps((loop.start, loop.end), (other.start, other.end)) for other in chosen):
            chosen.append(loop)
    return sorted(chosen, key=lambda lp: lp.start)


def loop_fraction(token_count: int, loops: Sequence[Loop]) -> float:
    """Share of tokens taken by the repeated copies (the first copy of each loop is fair text)."""
    if token_count == 0:
        return 0.0
    repeated = sum(lp.size * (lp.repeats - 1) for lp in loops)
    return repeated / token_count


def trim_loops(items: Sequence[TranscriptWord], loops: Sequence[Loop]) -> list[TranscriptWord]:
    """The items with each loop cut back to its first copy."""
    out: list[TranscriptWord] = []
    index = 0
    for loop in loops:
        out.extend(items[index : loop.start + loop.size])
        index = loop.end
    out.extend(items[index:])
    return out


def _matches(folded_text: str, phrases: Sequence[str]) -> bool:
    return any(phrase in folded_text for phrase in phrases)


def flag_words(words: Sequence[TranscriptWord], settings: GuardSettings) -> tuple[TranscriptWord, ...]:
    """Words with `low_probability` added to their flags where the model was unsure."""
    out = []
    for word in words:
        if word.probability < settings.low_word_probability and WORD_LOW_PROBABILITY not in word.flags:
            word = replace(word, flags=(*word.flags, WORD_LOW_PROBABILITY))
        out.append(word)
    return tuple(out)


def find_echoes(
    words: Sequence[TranscriptWord], bias_text: str, settings: GuardSettings = GuardSettings()
) -> list[Loop]:
    """Runs of words that copy the glossary prompt word for word while the model is unsure of every
    one of them: Whisper "reads out" its prompt over music or at a window start (faster-whisper
    #731, #853); and, where the model all but did not hear them, the prompt's first word opening
    `words` (one segment) or `words` being nothing but a run of the prompt. Returned as Loops with
    repeats=1 (start, size)."""
    bias_keys = [fold(bare(t)) for t in bias_text.split()]
    where: dict[str, list[int]] = {}
    for index, key in enumerate(bias_keys):
        where.setdefault(key, []).append(index)
    keys = [fold(bare(w.text)) for w in words]
    found: list[Loop] = []
    i = 0
    while i < len(words):
        best = 0
        for p in where.get(keys[i], ()):
            size = 0
            while (
                i + size < len(words)
                and p + size < len(bias_keys)
                and keys[i + size] == bias_keys[p + size]
                and words[i + size].probability < settings.echo_max_word_probability
            ):
                size += 1
            best = max(best, size)
        if best >= settings.echo_min_words:
            found.append(Loop(i, best, 1))
            i += best
        elif i == 0 and keys[0] == bias_keys[0] and words[0].probability <= settings.echo_lone_word_probability:
            found.append(Loop(0, 1, 1))
            i += 1
        else:
            i += 1
    if not found and words and _is_run_of(keys, bias_keys) and \
            min(w.probability for w in words) <= settings.echo_lone_word_probability:
        found.append(Loop(0, len(words), 1))  # a segment that is nothing but a piece of the prompt
    return found


def _is_run_of(keys: Sequence[str], within: Sequence[str]) -> bool:
    """Whether `keys` occur in `within` one after another, in order."""
    size = len(keys)
    return any(list(within[p : p + size]) == list(keys) for p in range(len(within) - size + 1))


def _drop_words(
    words: Sequence[TranscriptWord], spans: Sequence[Loop], reason: str
) -> tuple[list[TranscriptWord], list[DroppedSegment]]:
    removed = {i for span in spans for i in range(span.start, span.end)}
    dropped = [
        DroppedSegment(
            words[span.start].start_ms,
            words[span.end - 1].end_ms,
            " ".join(w.text for w in words[span.start : span.end]),
            (reason,),
        )
        for span in spans
    ]
    return [w for i, w in enumerate(words) if i not in removed], dropped


def judge_segment(
    segment: TranscriptSegment,
    settings: GuardSettings = GuardSettings(),
    *,
    bias_text: str = "",
    duration_ms: int | None = None,
) -> tuple[TranscriptSegment | None, tuple[DroppedSegment, ...]]:
    """Keep (with flags, loops trimmed, echoed prompt words removed, unsure words flagged) or drop
    one segment; everything removed comes back as DroppedSegment with its reasons."""
    removed: list[DroppedSegment] = []
    words: list[TranscriptWord] = list(segment.words)
    if words and duration_ms is not None:
        past = [i for i, w in enumerate(words) if w.start_ms >= duration_ms]
        words, gone = _drop_words(words, [Loop(i, 1, 1) for i in past], DROP_PAST_END)
        removed += gone
    if words and bias_text:
        words, gone = _drop_words(words, find_echoes(words, bias_text, settings), DROP_PROMPT_ECHO)
        removed += gone
    if segment.words and not words:
        return None, tuple(removed)
    if len(words) != len(segment.words):
        segment = replace(
            segment,
            words=tuple(words),
            text=" ".join(w.text for w in words),
            start_ms=words[0].start_ms,
            end_ms=words[-1].end_ms,
        )
    verdict = _judge_scores(segment, settings)
    if isinstance(verdict, DroppedSegment):
        return None, (*removed, verdict)
    return verdict, tuple(removed)


def _judge_scores(segment: TranscriptSegment, settings: GuardSettings) -> TranscriptSegment | DroppedSegment:
    """The segment-level verdict from its scores, text and repetitions."""
    drop: list[str] = []
    flags = list(segment.flags)
    text = segment.text.strip()
    folded_text = fold(text)

    if not bare(text):
        drop.append(DROP_EMPTY)
    if segment.no_speech_prob >= settings.silence_no_speech_prob:
        if segment.avg_logprob <= settings.silence_avg_logprob:
            drop.append(DROP_SILENCE)
        else:
            flags.append(FLAG_MAYBE_NO_SPEECH)
    if _matches(folded_text, _ALWAYS_HALLUCINATED):
        drop.append(DROP_HALLUCINATION)
    elif _matches(folded_text, _SUSPECT_PHRASES):
        weak = (
            segment.no_speech_prob >= settings.suspect_no_speech_prob
            or segment.avg_logprob < settings.suspect_avg_logprob
        )
        if weak:
            drop.append(DROP_HALLUCINATION)
        else:
            flags.append(FLAG_SUSPECT_PHRASE)

    # Loops are counted on words when there are any (so trimming keeps timings), else on the text.
    words: list[TranscriptWord] = list(segment.words) or [TranscriptWord(0, 0, t, 1.0) for t in text.split()]
    loops = find_loops([w.text for w in words], settings)
    if loops:
        if loop_fraction(len(words), loops) >= settings.loop_drop_fraction:
            drop.append(DROP_LOOP)
        else:
            words = trim_loops(words, loops)
            flags.append(FLAG_REPETITION_TRIMMED)
            text = " ".join(w.text for w in words)
    elif segment.compression_ratio > settings.high_compression_ratio:
        flags.append(FLAG_HIGH_COMPRESSION)

    if drop:
        return DroppedSegment(segment.start_ms, segment.end_ms, segment.text.strip(), tuple(dict.fromkeys(drop)))

    if segment.avg_logprob < settings.low_avg_logprob:
        flags.append(FLAG_LOW_LOGPROB)
    duration_ms = segment.end_ms - segment.start_ms
    if duration_ms >= 500 and len(words) * 1000 / duration_ms > settings.max_words_per_s:
        flags.append(FLAG_TOO_FAST)
    kept_words = flag_words(words, settings) if segment.words else ()
    return replace(segment, text=text, words=kept_words, flags=tuple(dict.fromkeys(flags)))


def apply_guards(
    segments: Sequence[TranscriptSegment],
    settings: GuardSettings = GuardSettings(),
    *,
    bias_text: str = "",
    duration_ms: int | None = None,
) -> GuardResult:
    """Judge every segment (see `judge_segment`); `bias_text` is the prompt/hotwords given to the
    model, `duration_ms` the audio's length (words after it are invented)."""
    kept: list[TranscriptSegment] = []
    dropped: list[DroppedSegment] = []
    for segment in segments:
        verdict, removed = judge_segment(segment, settings, bias_text=bias_text, duration_ms=duration_ms)
        dropped.extend(removed)
        if verdict is not None:
            kept.append(verdict)
    return GuardResult(tuple(kept), tuple(sorted(dropped, key=lambda d: d.start_ms)))
