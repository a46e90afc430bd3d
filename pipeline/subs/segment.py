"""Segmentation: timed words in, cues out, following the profile's rules.

Where cues break is chosen by dynamic programming over the gaps between words, so one bad early
choice cannot force a cascade of bad ones: each candidate cue (words i..j) is priced by how well its
text lays out in lines, whether the time it can be on screen meets the reading speed and the minimum
duration (known from the next cue's first word), and where it ends (a full stop or a pause is cheap,
inside a name or between a number and its unit is forbidden). Timing is then fixed per cue in
frames: start on the first word's frame, end after the speech plus what reading needs, close small
gaps, keep the minimum gap, and move outs onto nearby shot changes.

A sound break (a cut where the speech on either side comes from different clips, or from parts of
one clip that do not run on) is a hard boundary: the words before it and after it never share a cue,
and a cue of the speech before it ends on it at the latest, whatever reading time, gap closing or a
shot change nearby would want, so no speaker's words are shown over the next shot's speaker.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from ..fsutil import nfc
from .cues import Cue, TimedWord, frame_at, frame_ceil, frame_floor, frame_ms
from .linebreak import FORBIDDEN, LineBreak, break_tokens, gap_costs, glue_mask, token_key
from .style import Style

_HUGE = 1e6
_CUE_COST = 6.0
_BREATH_MS = 400


def normalise_words(words: Sequence[TimedWord], sound_breaks_ms: Sequence[int] = ()) -> list[TimedWord]:
    """Words in time order, NFC, trimmed; a word that is only punctuation joins the word before
    (of the same block, and on the same side of every sound break).

    Recognisers emit ' Trà' with a leading space, or ',' as a word of its own; neither should reach
    a cue as its own token.
    """
    breaks = sorted(sound_breaks_ms)
    out: list[TimedWord] = []
    for word in sorted(words, key=lambda w: (w.start_ms, w.end_ms)):
        text = " ".join(nfc(word.text).split())
        if not text:
            continue
        end = max(word.end_ms, word.start_ms)
        if (out and not token_key(text) and not text[:1].isalnum() and out[-1].block == word.block
                and bisect_right(breaks, out[-1].start_ms) == bisect_right(breaks, word.start_ms)):
            last = out[-1]
            out[-1] = TimedWord(last.start_ms, max(last.end_ms, end), last.text + text, last.probability,
                                last.speaker, last.source_id, last.block)
            continue
        out.append(TimedWord(word.start_ms, end, text, word.probability, word.speaker, word.source_id, word.block))
    return out


def hold_to_sound(words: Sequence[TimedWord], sound_breaks_ms: Sequence[int]) -> list[TimedWord]:
    """`words` in time order, with each block's words that were not heard (probability 0: a script
    word the alignment timed by interpolation) before its first heard word or after its last kept
    on that heard word's side of every sound break.

    Such a word's time is an estimate from its neighbours: run on past the last heard syllable it can
    land in the next clip's speech, and the sentence's tail would then be shown over another speaker.
    It is moved to the edge of its sentence's side instead (the sentence's cue ends on the cut).
    """
    ordered = sorted(words, key=lambda w: (w.start_ms, w.end_ms))
    breaks = sorted(set(sound_breaks_ms))
    if not breaks:
        return ordered
    members: dict[str, list[int]] = {}
    for k, word in enumerate(ordered):
        if word.block is not None:
            members.setdefault(word.block, []).append(k)
    out = list(ordered)
    for indexes in members.values():
        heard = [k for k in indexes if ordered[k].probability > 0.0]
        if not heard:
            continue
        edges = [(k, heard[0]) for k in indexes if k < heard[0]] + [(k, heard[-1]) for k in indexes if k > heard[-1]]
        for k, anchor in edges:
            word, side = ordered[k], bisect_right(breaks, ordered[anchor].start_ms)
            if bisect_right(breaks, word.start_ms) == side:
                continue
            low = breaks[side - 1] if side > 0 else word.start_ms
            high = breaks[side] if side < len(breaks) else word.end_ms + 1
            start = min(max(word.start_ms, low), high - 1)
            out[k] = replace(word, start_ms=start, end_ms=min(max(word.end_ms, start), high))
    return sorted(out, key=lambda w: (w.start_ms, w.end_ms))


@dataclass(frozen=True)
class _Frames:
    """The profile's frame-based rules as frame counts at the timeline's rate."""

    rate: Fraction
    gap: int
    close_gap: int
    lead_in: int
    hang_on: int
    shot: int

    def ms(self, frame: int) -> int:
        return frame_ms(frame, self.rate)

    def length_for(self, start: int, duration_ms: float) -> int:
        """Frames from `start` until at least `duration_ms` have passed, measured in whole ms."""
        frames = max(0, frame_floor(int(duration_ms), self.rate) - 1)
        while self.ms(start + frames) - self.ms(start) < duration_ms:
            frames += 1
        return frames

    def most_within(self, start: int, duration_ms: int) -> int:
        """The most frames from `start` that stay within `duration_ms`."""
        frames = frame_floor(duration_ms, self.rate) + 1
        while frames > 0 and self.ms(start + frames) - self.ms(start) > duration_ms:
            frames -= 1
        return frames


class _Segmenter:
    """State shared by the cue-break search and the timing pass over one word stream."""

    def __init__(
        self,
        words: list[TimedWord],
        style: Style,
        cuts_ms: Sequence[int],
        protected: Collection[str],
        rate: Fraction,
        sound_breaks_ms: Sequence[int] = (),
    ) -> None:
        self.words = words
        self.style = style
        self.f = _Frames(
            rate,
            style.min_gap_frames,
            style.close_gap_frames,
            style.lead_in_frames,
            style.hang_on_frames,
            style.shot_change_frames,
        )
        self.tokens = [word.text for word in words]
        self.glued = glue_mask(self.tokens, style, protected)
        self.costs = gap_costs(self.tokens, self.glued, style)
        self.cuts = sorted({frame_at(ms, rate) for ms in cuts_ms})
        # Sound breaks: word k lies on side `side[k]`, between walls[side - 1] and walls[side] (frames).
        breaks_ms = sorted(set(sound_breaks_ms))
        self.walls = [frame_at(ms, rate) for ms in breaks_ms]
        self.side = [bisect_right(breaks_ms, word.start_ms) for word in words]
        self.speech_end = [frame_ceil(word.end_ms, rate) for word in words]
        self.starts = [self._start_frame(word, side) for word, side in zip(words, self.side, strict=True)]
        self.speakers = [word.speaker for word in words]
        # The first word of each word's run of one block (None counts as a block of its own) on one
        # side of every sound break: a cue never holds words of two runs.
        self.run_start: list[int] = []
        for k, word in enumerate(words):
            same = k > 0 and words[k - 1].block == word.block and self.side[k - 1] == self.side[k]
            self.run_start.append(self.run_start[-1] if same else k)
        self.speed_is_error = style.severity("reading-speed") == "error"
        self.prefix = [0]
        for token in self.tokens:
            self.prefix.append(self.prefix[-1] + len(token) + 1)
        # Silence inside a cue shows words before they are spoken: price each pause by its length
        # beyond a breath, cumulatively so any span of words is priced in O(1).
        self.silence = [0.0]
        for before, after in itertools.pairwise(words):
            pause = after.start_ms - before.end_ms
            self.silence.append(self.silence[-1] + max(0, pause - _BREATH_MS) / 50)

    def _start_frame(self, word: TimedWord, side: int) -> int:
        """The first word's frame, or a shot change within the lead-in of the word's start; never
        before the sound break the word follows, nor on or after the one it precedes."""
        floor, wall = self._bounds(side)
        frame = frame_floor(word.start_ms, self.f.rate)
        near = self._nearest_cut(frame, self.f.lead_in + 1)
        lead_in_ms = self.f.ms(self.f.lead_in)
        if near is not None and abs(self.f.ms(near) - word.start_ms) <= lead_in_ms:
            frame = near
        if wall is not None:
            frame = min(frame, wall - 1)
        return frame if floor is None else max(frame, floor)

    def _bounds(self, side: int) -> tuple[int | None, int | None]:
        """The sound breaks (frames) before and after side `side`; None where there is none."""
        floor = self.walls[side - 1] if side > 0 else None
        wall = self.walls[side] if side < len(self.walls) else None
        return floor, wall

    def _wall(self, k: int) -> int | None:
        """The frame of the first sound break after word `k`'s side (None: none follows)."""
        return self._bounds(self.side[k])[1]

    def _nearest_cut(self, frame: int, within: int) -> int | None:
        at = bisect_left(self.cuts, frame - within)
        best: int | None = None
        while at < len(self.cuts) and self.cuts[at] <= frame + within:
            if best is None or abs(self.cuts[at] - frame) < abs(best - frame):
                best = self.cuts[at]
            at += 1
        return best

    def _cuts_between(self, first: int, last: int) -> int:
        return max(0, bisect_left(self.cuts, last) - bisect_left(self.cuts, first + 1))

    def _width(self, first: int, stop: int) -> int:
        return self.prefix[stop] - self.prefix[first] - 1

    # -- layout -----------------------------------------------------------------------------------

    def layout(self, first: int, last: int) -> tuple[LineBreak, bool]:
        """Lines for words first..last; two speakers get one dashed line each."""
        changes = [k for k in range(first + 1, last + 1) if self._speaker_changes(k)]
        if not changes:
            costs = [0.0, *self.costs[first + 1 : last + 1]]
            return break_tokens(self.tokens[first : last + 1], costs, self.style), False
        dash = self.style.speaker_dash
        bounds = (first, *changes, last + 1)
        lines = tuple(dash + " ".join(self.tokens[a:b]) for a, b in itertools.pairwise(bounds))
        overflow = sum(max(0, len(line) - self.style.chars_per_line) for line in lines)
        if len(lines) > self.style.lines_per_cue or len(lines) > 2:
            overflow += 1000
        return LineBreak(lines, 3.0, overflow), True

    def _speaker_changes(self, at: int) -> bool:
        before, after = self.speakers[at - 1], self.speakers[at]
        return before is not None and after is not None and before != after

    # -- the search ---------------------------------------------------------------------------------

    def _read_cost(self, chars: int, duration_ms: int) -> float:
        if duration_ms <= 0:
            return _HUGE
        cps = chars * 1000 / duration_ms
        style = self.style
        cost = 0.0
        if style.max_cps_hard is not None and cps > style.max_cps_hard:
            cost += 5000 + (cps - style.max_cps_hard) * 500
        if cps > style.max_cps:
            weight = 5000.0 if self.speed_is_error else 20.0
            cost += weight + (cps - style.max_cps) * weight / 10
        return cost

    def cue_cost(self, first: int, last: int) -> float:
        """Price of one cue holding words first..last, given where the next cue would start."""
        style, f = self.style, self.f
        layout, _ = self.layout(first, last)
        cost = _CUE_COST + layout.cost + layout.overflow * 10_000 + (len(layout.lines) - 1) * 1.0
        cost += self.silence[last] - self.silence[first]
        start = self.starts[first]
        speech_end = self.speech_end[last]
        if last > first and f.ms(speech_end) - f.ms(start) > style.max_duration_ms:
            cost += _HUGE
        cap = start + f.most_within(start, style.max_duration_ms)
        wall = self._wall(first)
        if wall is not None:
            cap = min(cap, wall)
        if last + 1 < len(self.words):
            across = self.side[last + 1] != self.side[last]
            cap = min(cap, self.starts[last + 1] - f.gap + (0 if across else f.lead_in))
        chars = sum(len(line) for line in layout.lines)
        available = f.ms(cap) - f.ms(start)
        if available < style.min_duration_ms:
            cost += 5000 + (style.min_duration_ms - available) * 10
        cost += self._read_cost(chars, available)
        reading_end = start + f.length_for(start, chars * 1000 / style.max_cps)
        beyond_hang_on = reading_end - (speech_end + f.hang_on)
        if beyond_hang_on > 0:
            cost += beyond_hang_on * 0.5
        cost += 4.0 * self._cuts_between(start + f.shot, speech_end - f.shot)
        if self._cuts_between(speech_end - f.shot, speech_end):
            cost += 3.0  # speech runs on past a cut, so the out cannot go on it
        near = self._nearest_cut(start + f.shot // 2, f.shot // 2)
        if near is not None and near - start > f.lead_in:
            cost += 3.0
        return cost

    def break_after_cost(self, last: int) -> float:
        """Price of ending a cue after word `last` (nothing at the end of the stream)."""
        if last + 1 >= len(self.words):
            return 0.0
        base = self.costs[last + 1]
        if self.run_start[last + 1] == last + 1:
            return 0.0  # a block starts: the cue must end here
        if base >= FORBIDDEN:
            return _HUGE
        if self._speaker_changes(last + 1):
            return 0.0
        pause = self.words[last + 1].start_ms - self.words[last].end_ms
        cost = base * 2
        if pause >= 700:
            cost -= 6
        elif pause >= 300:
            cost -= 3
        if self._nearest_cut(self.starts[last + 1], self.f.shot) is not None:
            cost -= 2
        return max(0.0, cost)

    def choose_groups(self) -> list[tuple[int, int]]:
        """The cheapest way to cut the word stream into cues, as (first, last) word indexes."""
        count = len(self.words)
        style = self.style
        max_width = style.chars_per_line * style.lines_per_cue + len(style.speaker_dash) * 2
        best = [0.0] + [math.inf] * count
        back = [0] * (count + 1)
        for last in range(count):
            after = self.break_after_cost(last)
            for first in range(last, self.run_start[last] - 1, -1):
                if first < last and self._width(first, last + 1) > max_width:
                    break
                if first < last and self.words[last].end_ms - self.words[first].start_ms > style.max_duration_ms:
                    break
                total = best[first] + self.cue_cost(first, last) + after
                if total < best[last + 1]:
                    best[last + 1] = total
                    back[last + 1] = first
        groups: list[tuple[int, int]] = []
        stop = count
        while stop > 0:
            first = back[stop]
            groups.append((first, stop - 1))
            stop = first
        groups.reverse()
        return groups

    # -- timing -------------------------------------------------------------------------------------

    def time_cues(self, groups: list[tuple[int, int]]) -> list[Cue]:
        """Frame-exact times for each group, in order, then the cues."""
        f, style = self.f, self.style
        starts = [self.starts[first] for first, _ in groups]
        cues: list[Cue] = []
        for number, (first, last) in enumerate(groups):
            layout, two_speakers = self.layout(first, last)
            chars = sum(len(line) for line in layout.lines)
            start = starts[number]
            need = max(style.min_duration_ms, chars * 1000 / style.max_cps)
            want = max(self.speech_end[last], start + f.length_for(start, need))
            cap = start + f.most_within(start, style.max_duration_ms)
            wall = self._wall(first)
            if wall is not None:  # the speech after a sound break is another's: end on it at the latest
                cap = min(cap, wall)
                want = min(want, wall)
            limit: int | None = None
            if number + 1 < len(groups):
                next_first = groups[number + 1][0]
                limit = starts[number + 1] - f.gap
                if want > limit and self.side[next_first] == self.side[first]:
                    # The next cue may wait a little for this one, but not past its own side's wall.
                    latest = frame_floor(self.words[next_first].start_ms, f.rate) + f.lead_in
                    if wall is not None:
                        latest = min(latest, wall - 1)
                    starts[number + 1] = max(starts[number + 1], min(latest, want + f.gap))
                    limit = starts[number + 1] - f.gap
                    later = self._borrow_from_next(number, groups, starts, chars, min(cap, want))
                    if later is not None:
                        starts[number + 1] = later
                        limit = later - f.gap
            end = min(want, cap) if limit is None else min(want, cap, limit)
            if limit is not None and starts[number + 1] - end < f.close_gap:
                end = max(end, min(limit, cap))
            end = self._onto_cut(start, end, last, limit, cap, chars)
            end = max(end, start + 1)
            source_ids = tuple(dict.fromkeys(w.source_id for w in self.words[first : last + 1] if w.source_id))
            cues.append(Cue(number + 1, f.ms(start), f.ms(end), layout.lines, two_speakers, source_ids))
        return cues

    def _error_cps(self) -> float | None:
        """The reading speed above which a cue is a lint error (None: no speed is an error)."""
        style = self.style
        return style.max_cps if self.speed_is_error else style.max_cps_hard

    def _borrow_from_next(self, number: int, groups: Sequence[tuple[int, int]], starts: list[int], chars: int,
                          wanted: int) -> int | None:
        """A later start for cue `number + 1` when cue `number`, held to the next cue's lead-in, still
        cannot be read within the error speed (or the minimum duration) and the next cue holds more of
        the same run of speech (one sentence, one side of every sound break): the pair shares the
        speech's time, so the next cue starts a few frames after its first word (lint reads that as
        speech continued from the cue before) and itself takes the time it then needs from the silence
        after it. Never later than `hang_on_frames` after the next cue's first word, nor so late that
        the next cue could not be read before its own wall or the cue after it; None: no change."""
        f, style = self.f, self.style
        first = groups[number][0]
        next_first, next_last = groups[number + 1]
        error_cps = self._error_cps()
        if self.run_start[next_first] != self.run_start[first] or error_cps is None:
            return None
        start = starts[number]
        needed = start + f.length_for(start, max(style.min_duration_ms, chars * 1000 / error_cps))
        needed = min(needed, wanted)
        if needed <= starts[number + 1] - f.gap:
            return None  # readable as it is
        next_chars = sum(len(line) for line in self.layout(next_first, next_last)[0].lines)
        next_need = max(style.min_duration_ms, next_chars * 1000 / error_cps)
        room = self._wall(next_first)
        if number + 2 < len(groups):
            after = starts[number + 2] - f.gap
            room = after if room is None else min(room, after)
        latest = frame_floor(self.words[next_first].start_ms, f.rate) + f.hang_on
        later = min(needed + f.gap, latest)
        if room is not None:
            while later > starts[number + 1] and later + f.length_for(later, next_need) > room:
                later -= 1
        return later if later > starts[number + 1] else None

    def _onto_cut(self, start: int, end: int, last: int, limit: int | None, cap: int, chars: int) -> int:
        """Move an out-time within the shot-change window onto the cut, where that breaks no rule."""
        cut = self._nearest_cut(end, self.f.shot)
        if cut is None or cut == end or cut <= start:
            return end
        if cut > end:
            return cut if cut <= cap and (limit is None or cut <= limit) else end
        duration = self.f.ms(cut) - self.f.ms(start)
        readable = self._read_cost(chars, duration) == 0.0
        if cut >= self.speech_end[last] and duration >= self.style.min_duration_ms and readable:
            return cut
        return end


def segment(
    words: Sequence[TimedWord],
    style: Style,
    shot_changes_ms: Sequence[int] = (),
    protected: Collection[str] = (),
    frame_rate: Fraction | None = None,
    sound_breaks_ms: Sequence[int] = (),
) -> list[Cue]:
    """Group timed words into cues that follow `style` at `frame_rate` (the profile's by default).

    `protected` phrases (glossary terms, names) are never split across lines or cues;
    `shot_changes_ms` are cut times of the timeline. Words with two speaker labels in one cue get
    the dash convention. `sound_breaks_ms` are the cuts where the sound changes
    (`speech.sound_breaks_ms`): a word belongs to the side its start is on (a script word not heard,
    to its sentence's side: `hold_to_sound`), no cue holds words of both sides, and a cue ends on the
    break at the latest. The result passes `lint` without errors for ordinary speech; speech too
    fast to read at the profile's speed still produces cues, which lint then reports (a cue held to
    a break can be too short or too fast: the break wins).
    """
    clean = normalise_words(hold_to_sound(words, sound_breaks_ms), sound_breaks_ms)
    if not clean:
        return []
    segmenter = _Segmenter(clean, style, shot_changes_ms, protected, frame_rate or style.frame_rate, sound_breaks_ms)
    return segmenter.time_cues(segmenter.choose_groups())
