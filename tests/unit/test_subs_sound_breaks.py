"""Cues that follow the edit: speech from two clips cut back to back never shares a cue.

Every test builds what the subtitles stage builds: a `Timeline` of `Segment`s (as assemble writes
it), a `Transcript` per clip, the words placed on the programme by `place_words`, the sound breaks
from `sound_breaks_ms`, and the cues from `segment`; the stage test runs `subtitles_programme` on a
workspace and reads back the SRT it wrote.

The interview timeline at 25 fps: clip `a-interview` 0–4 s placed at 0, then clip `interview` from
1 s of its own time placed at 4 s (programme frame 100): a cut at 4000 ms between two speakers.
"""

from __future__ import annotations

import itertools
import random
import wave
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from pipeline.asr.transcript import Transcript, TranscriptSegment
from pipeline.fsutil import write_json
from pipeline.script.align import UNHEARD, align
from pipeline.script.model import ScriptLine
from pipeline.stages.subtitles import SubtitlesSettings, subtitles_programme
from pipeline.subs import read_subtitles
from pipeline.subs.cues import Cue, TimedWord
from pipeline.subs.lint import lint
from pipeline.subs.onset import refine_starts
from pipeline.subs.segment import hold_to_sound, segment
from pipeline.subs.speech import place_words, sound_breaks_ms
from pipeline.subs.style import load_style
from pipeline.timeline import Segment, Timeline, Transition
from pipeline.workspace import Workspace
from tests.asr_fixtures import make_programme, transcript, write_silent_wav
from tests.asr_fixtures import segment as asr_segment

VI = load_style("vi")
RATE = Fraction(25)
CUT = 4000
A, B = "a-interview", "interview"


def interviews(shot_changes: Sequence[int] = (CUT,)) -> Timeline:
    return Timeline("demo", RATE, 320, 180, 48000,
                    (Segment(A, f"{A}.mov", 0, 100, 0, True), Segment(B, f"{B}.mov", 25, 150, 100, True)),
                    tuple(shot_changes))


def said(clip: str, *phrases: tuple[str, int, int]) -> Transcript:
    """A clip's transcript: each phrase (text, clip ms of its first word, ms per word)."""
    return transcript(clip, [asr_segment(text, start, step_ms=step) for text, start, step in phrases])


def cues_of(timeline: Timeline, words: Sequence[TimedWord], *, breaks: bool = True) -> list[Cue]:
    """What the stage does with the words: segment at the timeline's rate, over its shot changes
    and (unless `breaks` is False, the behaviour before sound breaks existed) its sound breaks."""
    return segment(words, VI, timeline.shot_changes_ms, (), timeline.rate,
                   sound_breaks_ms=sound_breaks_ms(timeline) if breaks else ())


def clips_in(cue: Cue) -> set[str]:
    """The clips whose words a cue shows (recognised `clip@ms`, script `script:…|clip@ms`)."""
    return {source.rsplit("|", 1)[-1].split("@", 1)[0] for source in cue.source_ids}


def assert_follows_the_cut(cues: Sequence[Cue], cut_ms: int = CUT, before: str = A, after: str = B) -> None:
    """No cue holds words of both sides; the first clip's cues are gone by the cut, the second's
    appear on it or later."""
    assert cues
    for cue in cues:
        clips = clips_in(cue)
        assert len(clips) == 1, (cue, clips)
        assert cue.end_ms <= cut_ms or cue.start_ms >= cut_ms, cue
        if before in clips:
            assert cue.end_ms <= cut_ms, cue
        if after in clips:
            assert cue.start_ms >= cut_ms, cue


def spans_the_cut(cues: Sequence[Cue], cut_ms: int = CUT) -> bool:
    return any(len(clips_in(c)) > 1 or c.start_ms < cut_ms < c.end_ms for c in cues)


# -- which cuts are sound breaks -------------------------------------------------------------------------

def test_a_cut_is_a_sound_break_unless_the_sound_runs_on() -> None:
    def breaks(*segments: Segment, transitions: tuple[Transition, ...] = ()) -> list[int]:
        return sound_breaks_ms(Timeline("p", RATE, 320, 180, 48000, segments, (), transitions))

    assert breaks(Segment("a", "a.mov", 0, 100, 0, True), Segment("b", "b.mov", 25, 150, 100, True)) == [4000]
    # The same clip from another point (a jump cut, or an answer taken from later in the interview).
    assert breaks(Segment("a", "a.mov", 0, 100, 0, True), Segment("a", "a.mov", 150, 200, 100, True)) == [4000]
    assert breaks(Segment("a", "a.mov", 100, 150, 0, True), Segment("a", "a.mov", 50, 100, 50, True)) == [2000]
    # The same clip running on: a split, or a dissolve between its contiguous pieces.
    assert breaks(Segment("a", "a.mov", 0, 100, 0, True), Segment("a", "a.mov", 100, 200, 100, True)) == []
    assert breaks(Segment("a", "a.mov", 0, 100, 0, True), Segment("a", "a.mov", 100, 200, 100, True),
                  transitions=(Transition(1, 100, 5, 5),)) == []
    # Sound to a clip without sound, and back; between two silent clips there is no speech to part.
    assert breaks(Segment("a", "a.mov", 0, 100, 0, True), Segment("x", "x.mov", 0, 50, 100, False),
                  Segment("y", "y.mov", 0, 50, 150, False), Segment("b", "b.mov", 0, 50, 200, True)) == [4000, 8000]
    # NTSC: the break is where `frames_to_ms` puts the segment's first frame, as `place_words` does.
    ntsc = Timeline("p", Fraction(30000, 1001), 320, 180, 48000,
                    (Segment("a", "a.mov", 0, 1, 0, True), Segment("b", "b.mov", 0, 30, 1, True)), ())
    assert sound_breaks_ms(ntsc) == [33]


# -- recognised speech across a cut ---------------------------------------------------------------------

def reported_case() -> list[TimedWord]:
    """The cue from the issue: one answer ends "…thì nó cũng hơi canh." on the cut, the next speaker
    starts "Báo cáo của Microsoft tại thành phố" on it."""
    return place_words(interviews(), {
        A: said(A, ("Tôi nghĩ là cái giá điện bây giờ,", 300, 250), ("thì nó cũng hơi canh.", 2750, 250)),
        B: said(B, ("Báo cáo của Microsoft tại thành phố", 1000, 220),
                ("cho thấy nhiều điều mới về giá điện.", 3500, 250)),
    })


def test_the_end_of_one_answer_and_the_start_of_the_next_never_share_a_cue() -> None:
    words = reported_case()
    assert words[12].text == "canh." and words[12].end_ms == CUT and words[13].start_ms == CUT
    before = cues_of(interviews(), words, breaks=False)
    assert spans_the_cut(before)  # the trap is real: without breaks the two speakers share a cue
    assert any("canh." in c.flat_text and "Báo" in c.flat_text for c in before)

    cues = cues_of(interviews(), words)
    assert_follows_the_cut(cues)
    assert [c.flat_text for c in cues] == [
        "Tôi nghĩ là cái giá điện bây giờ, thì nó cũng hơi canh.",
        "Báo cáo của Microsoft tại thành phố",
        "cho thấy nhiều điều mới về giá điện.",
    ]
    # The next speaker's cue starts on the cut (not pushed later to make room); the answer before
    # it ends the minimum gap (2 frames) before.
    assert cues[0].end_ms == CUT - 80 and cues[1].start_ms == CUT
    report = lint(cues, VI, RATE, shot_changes_ms=interviews().shot_changes_ms)
    assert report.errors == (), report.format_text("interviews")


def test_gap_closing_does_not_run_on_past_the_cut() -> None:
    # The answer ends 5 frames before the cut and the next starts 5 frames after it: a 10-frame gap,
    # which gap closing (under 12 frames) would close to 2 frames, past the cut.
    words = place_words(interviews(), {
        A: said(A, ("Xin cảm ơn anh đã dành thời gian cho chúng tôi hôm nay.", 901, 223)),
        B: said(B, ("Chúng tôi trồng dừa từ năm ngoái.", 1200, 300)),
    })
    assert words[12].end_ms == CUT - 200 and words[13].start_ms == CUT + 200
    before = cues_of(interviews(), words, breaks=False)
    assert before[0].end_ms == CUT + 120  # closed to the next cue, over the next speaker
    cues = cues_of(interviews(), words)
    assert_follows_the_cut(cues)
    assert cues[0].end_ms == CUT and cues[1].start_ms == CUT + 200


def test_reading_time_and_a_nearby_shot_change_do_not_carry_a_cue_past_the_cut() -> None:
    # A short reply right up to the cut wants its minimum duration, which ends past the cut, where
    # a shot change inside the next clip (7 frames on) would catch its out.
    timeline = interviews(shot_changes=(CUT, CUT + 280))
    words = place_words(timeline, {
        A: said(A, ("Anh có thấy giá điện tăng không?", 300, 300), ("Đúng vậy.", 3400, 300)),
        B: said(B, ("Người dân ở đây sống bằng nghề trồng dừa.", 2000, 300)),
    })
    assert next(w for w in words if w.text == "vậy.").end_ms == CUT
    before = cues_of(timeline, words, breaks=False)
    assert spans_the_cut(before)
    cues = cues_of(timeline, words)
    assert_follows_the_cut(cues)
    assert next(c for c in cues if "vậy." in c.flat_text).end_ms == CUT


def test_a_last_word_just_before_the_cut_does_not_start_its_cue_on_the_cut() -> None:
    # "Dạ." starts two frames before the cut: within the lead-in, so its cue would start on the cut,
    # showing it over the next speaker's shot.
    words = place_words(interviews(), {
        A: said(A, ("Tôi làm nghề này lâu rồi.", 300, 300), ("Dạ.", 3920, 80)),
        B: said(B, ("Còn chúng tôi thì mới bắt đầu.", 2000, 300)),
    })
    before = cues_of(interviews(), words, breaks=False)
    assert next(c for c in before if c.flat_text == "Dạ.").start_ms == CUT
    cues = cues_of(interviews(), words)
    assert_follows_the_cut(cues)
    last = next(c for c in cues if "Dạ." in c.flat_text)
    assert last.start_ms < CUT and last.end_ms <= CUT


def test_one_clip_running_on_across_a_split_or_dissolve_stays_one_cue() -> None:
    one = Timeline("demo", RATE, 320, 180, 48000, (Segment(B, f"{B}.mov", 0, 250, 0, True),), (CUT,))
    split = Timeline("demo", RATE, 320, 180, 48000,
                     (Segment(B, f"{B}.mov", 0, 100, 0, True), Segment(B, f"{B}.mov", 100, 250, 100, True)),
                     (CUT,), (Transition(1, 100, 5, 5),))
    speech = {B: said(B, ("Người dân ở đây sống bằng nghề trồng dừa và làm kẹo dừa.", 1000, 300))}
    words = place_words(split, speech)
    assert words == place_words(one, speech) and sound_breaks_ms(split) == []
    cues = cues_of(split, words)
    assert cues == cues_of(one, words)
    [cue] = [c for c in cues if c.start_ms < CUT < c.end_ms]
    assert "dừa và làm kẹo" in cue.flat_text  # the words on both sides of the split share it


def test_the_same_clip_from_another_point_is_a_break() -> None:
    # An answer cut to a later answer of the same interviewee: the sound jumps, so the cut is a break.
    jump = Timeline("demo", RATE, 320, 180, 48000,
                    (Segment(B, f"{B}.mov", 0, 100, 0, True), Segment(B, f"{B}.mov", 300, 400, 100, True)),
                    (CUT,))
    words = place_words(jump, {B: said(B, ("Tôi nghĩ là cái giá điện bây giờ,", 300, 250),
                                       ("thì nó cũng hơi canh.", 2750, 250),
                                       ("Báo cáo của Microsoft tại thành phố", 12_000, 220))})
    assert [w.start_ms for w in words if w.text == "Báo"] == [CUT]
    assert spans_the_cut(cues_of(jump, words, breaks=False))
    cues = cues_of(jump, words)
    assert all(c.end_ms <= CUT or c.start_ms >= CUT for c in cues)
    assert all(not ("canh." in c.flat_text and "Báo" in c.flat_text) for c in cues)


@pytest.mark.parametrize("seed", range(25))
def test_random_edits_never_put_two_clips_in_one_cue(seed: int) -> None:
    """Random interviews cut back to back at random word boundaries, speech up to every cut."""
    rng = random.Random(seed)
    rate = Fraction(30000, 1001) if seed % 3 == 1 else RATE
    syllables = ("và", "của", "người", "dân", "không", "được", "trong", "những", "các", "là", "có", "một", "đã",
                 "này", "cho", "với", "năm", "tỉnh")
    segments: list[Segment] = []
    transcripts: dict[str, Transcript] = {}
    rec = 0
    for number in range(rng.randint(2, 6)):
        clip = f"clip{number}"
        phrases: list[TranscriptSegment] = []
        at = rng.choice((0, 0, 200, 900))
        speech_end = at
        for _ in range(rng.randint(1, 5)):
            text = " ".join(rng.choice(syllables) for _ in range(rng.randint(1, 14)))
            text += rng.choice((".", ",", "", "?"))
            step = rng.randint(180, 330)
            phrases.append(asr_segment(text, at, step_ms=step))
            speech_end = at + step * len(text.split())
            at = speech_end + rng.choice((0, 0, 100, 400, 1500))
        transcripts[clip] = transcript(clip, phrases)
        # The segment ends inside the clip's last word (speech right up to the cut) or just after it.
        length = int(speech_end * rate / 1000) + rng.choice((0, 0, 0, 1, 5))
        segments.append(Segment(clip, f"{clip}.mov", 0, max(1, length), rec, True))
        rec += max(1, length)
    timeline = Timeline("p", rate, 320, 180, 48000, tuple(segments),
                        tuple(round(Fraction(s.rec_in_frame) / rate * 1000) for s in segments[1:]))
    words = place_words(timeline, transcripts)
    cues = cues_of(timeline, words)
    bounds = [(timeline.frames_to_ms(s.rec_in_frame), timeline.frames_to_ms(s.rec_out_frame)) for s in segments]
    bounds[-1] = (bounds[-1][0], bounds[-1][1] + VI.max_duration_ms)  # the programme's end is no cut
    for cue in cues:
        [clip] = clips_in(cue)
        rec_in, rec_out = bounds[int(clip.removeprefix("clip"))]
        assert rec_in <= cue.start_ms and cue.end_ms <= rec_out, (seed, cue, rec_in, rec_out)
    assert " ".join(c.flat_text for c in cues).split() == [w.text for w in words]
    for before, after in itertools.pairwise(cues):
        assert before.end_ms <= after.start_ms


# -- scripted narration ----------------------------------------------------------------------------------

def test_a_script_sentence_whose_end_was_not_heard_keeps_to_its_own_clip() -> None:
    # The recogniser lost the sentence's last syllables at the cut; the alignment times them on past
    # the last heard one, into the next clip's speech.
    words = place_words(interviews(), {
        A: said(A, ("Tôi nghĩ là cái giá điện bây giờ thì nó cũng", 1250, 250)),
        B: said(B, ("Báo cáo của Microsoft tại thành phố cho thấy nhiều điều mới.", 1000, 250)),
    })
    line = ScriptLine("row 1", "Tôi nghĩ là cái giá điện bây giờ thì nó cũng hơi canh lắm rồi.", None, None, None)
    alignment = align([line], words)
    [placement] = alignment.placements
    tail = [w for w in placement.words if w.probability == UNHEARD]
    assert [w.text for w in tail] == ["hơi", "canh", "lắm", "rồi."] and max(w.start_ms for w in tail) > CUT
    before = cues_of(interviews(), alignment.words, breaks=False)
    assert spans_the_cut(before)

    held = hold_to_sound(alignment.words, [CUT])
    assert all(w.end_ms <= CUT for w in held if w.block == placement.block)
    cues = cues_of(interviews(), alignment.words)
    assert_follows_the_cut(cues)
    assert [c.flat_text for c in cues] == [
        "Tôi nghĩ là cái giá điện bây giờ thì nó cũng hơi canh lắm rồi.",
        "Báo cáo của Microsoft tại thành phố cho thấy nhiều điều mới.",
    ]


def test_a_script_sentence_heard_on_both_sides_of_a_cut_is_parted_at_it() -> None:
    words = place_words(interviews(), {
        A: said(A, ("Tôi nghĩ là cái giá điện bây giờ", 2000, 250)),
        B: said(B, ("thì nó cũng hơi canh.", 1000, 250)),
    })
    line = ScriptLine("row 1", "Tôi nghĩ là cái giá điện bây giờ thì nó cũng hơi canh.", None, None, None)
    alignment = align([line], words)
    [placement] = alignment.placements
    assert placement.start_ms < CUT < placement.end_ms
    cues = cues_of(interviews(), alignment.words)
    assert all(c.end_ms <= CUT or c.start_ms >= CUT for c in cues)
    assert [c.flat_text for c in cues] == ["Tôi nghĩ là cái giá điện bây giờ", "thì nó cũng hơi canh."]


# -- the voice onset ---------------------------------------------------------------------------------------

def write_wav(path: Path, duration_ms: int, loud_from_ms: int) -> None:
    """16 kHz mono: silence, then a loud tone from `loud_from_ms` (a voice starting there)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    samples = np.zeros(16 * duration_ms, dtype="<i2")
    t = np.arange(16 * (duration_ms - loud_from_ms)) / 16000
    samples[16 * loud_from_ms:] = (8000 * np.sin(2 * np.pi * 220 * t)).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        handle.writeframes(samples.tobytes())


def test_a_start_is_not_moved_back_onto_sound_before_the_cut(tmp_path: Path) -> None:
    # The next clip's voice starts 60 ms before its in point: sound the programme does not play.
    ws = Workspace(tmp_path / "ws", "demo")
    write_silent_wav(ws.audio16k(A), 5000)
    write_wav(ws.audio16k(B), 6000, loud_from_ms=940)
    words = place_words(interviews(), {
        A: said(A, ("Xin chào.", 2000, 300)),
        B: said(B, ("Người dân ở đây.", 1000, 300)),
    })
    refined = refine_starts(words, interviews(), ws)
    assert [w.start_ms for w in refined if w.text == "Người"] == [CUT]
    # Where the clip runs on across the split, the same onset is the programme's sound: it is used.
    split = Timeline("demo", RATE, 320, 180, 48000,
                     (Segment(B, f"{B}.mov", 0, 25, 0, True), Segment(B, f"{B}.mov", 25, 150, 25, True)),
                     (1000,))
    refined = refine_starts(place_words(split, {B: said(B, ("Người dân ở đây.", 1000, 300))}), split, ws)
    assert refined[0].start_ms == 940


# -- the stage ---------------------------------------------------------------------------------------------

def test_the_stage_writes_cues_that_follow_the_cut(tmp_path: Path) -> None:
    """Two interviews cut back to back at 4 s, the second split at 8 s (the sound running on)."""
    programme = make_programme(tmp_path / "prog")
    ws = Workspace(tmp_path / "ws", programme.id)
    timeline = Timeline("demo", RATE, 320, 180, 48000,
                        (Segment(A, f"{A}.mov", 0, 100, 0, True), Segment(B, f"{B}.mov", 25, 125, 100, True),
                         Segment(B, f"{B}.mov", 125, 250, 200, True)),
                        (CUT, 8000), (Transition(2, 200, 5, 5),))
    write_json(ws.timeline_json, timeline.to_dict())
    write_json(ws.transcript_json(A), said(A, ("Tôi nghĩ là cái giá điện bây giờ,", 300, 250),
                                           ("thì nó cũng hơi canh.", 2750, 250)).to_json())
    write_json(ws.transcript_json(B), said(B, ("Báo cáo của Microsoft tại thành phố", 1000, 220),
                                           ("cho thấy nhiều điều mới về giá điện", 3500, 250),
                                           ("và người dân ở đây sống bằng nghề trồng dừa.", 5600, 250)).to_json())
    write_silent_wav(ws.audio16k(A), 5000)
    write_silent_wav(ws.audio16k(B), 10_000)
    report = subtitles_programme(programme, ws, SubtitlesSettings(english=False))
    cues = read_subtitles(ws.subtitle("vi", "srt")).cues
    texts = [c.flat_text for c in cues]
    assert texts[0].endswith("thì nó cũng hơi canh.") and texts[1].startswith("Báo cáo của Microsoft")
    assert all(c.end_ms <= CUT or c.start_ms >= CUT for c in cues)
    assert cues[0].end_ms <= CUT - 80 and cues[1].start_ms == CUT
    # Across the split of one clip the sound runs on, and so may a cue.
    assert any(c.start_ms < 8000 < c.end_ms for c in cues), [(c.start_ms, c.end_ms, c.flat_text) for c in cues]
    assert report.languages[0].lint["errors"] == 0, report.to_dict()
