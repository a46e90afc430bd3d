"""A CMX3600 EDL written directly from the timeline, for Vegas, Avid and anything else that reads EDLs.

The OTIO adapter's writer starts record timecode at 00:00:00:00 whatever the timeline's start
(OpenTimelineIO#1385) and upper-cases marker text; writing the few lines ourselves is simpler than
repairing its output. V1 only (an EDL event list is one picture track); the picture's sound is not
listed. Text is ASCII (EDL readers are 8-bit and old): reel names as reel_key makes them, clip names
and marker text ASCII-folded. Markers are `* LOC:` lines in the event's source timecode, as the
OTIO reader expects. A dissolve is written the CMX way, starting at the incoming event's record in:
one centred on the cut moves the cut `before` frames earlier (both clips have the handles).
"""

from __future__ import annotations

from ..text import ascii_fold
from ..timecode import Timecode
from .match import reel_key
from .plan import ExportPlan


def _tc(frames: float, plan: ExportPlan) -> str:
    return str(Timecode(round(frames), plan.rate))


def write_edl(plan: ExportPlan) -> str:
    tl = plan.timeline
    lines = [f"TITLE: {ascii_fold(plan.name)[:70] or 'reportage'}", "FCM: NON-DROP FRAME", ""]
    dissolves = {t.index: t for t in tl.transitions}
    # CMX dissolves start on the cut: move each cut `before` frames earlier
    cuts = [seg.rec_in_frame - (dissolves[i].before if i in dissolves else 0) for i, seg in enumerate(tl.segments)]
    ends = [*cuts[1:], tl.duration_frames]
    for index, seg in enumerate(tl.segments):
        clip = plan.footage[seg.clip_id]
        reel = reel_key(clip.clip_id) or "AX"
        src0 = plan.source_start_frames(clip) + seg.src_in_frame - (seg.rec_in_frame - cuts[index])
        rec_in, rec_out = cuts[index], ends[index]
        event = index + 1
        if index in dissolves:
            prev = tl.segments[index - 1]
            prev_clip = plan.footage[prev.clip_id]
            prev_out = plan.source_start_frames(prev_clip) + prev.src_in_frame + (rec_in - prev.rec_in_frame)
            length = dissolves[index].length
            lines.append(f"{event:03d}  {reel_key(prev.clip_id) or 'AX':<8} V     C        "
                         f"{_tc(prev_out, plan)} {_tc(prev_out, plan)} "
                         f"{_tc(plan.start_frame + rec_in, plan)} {_tc(plan.start_frame + rec_in, plan)}")
            lines.append(f"{event:03d}  {reel:<8} V     D    {length:03d} "
                         f"{_tc(src0, plan)} {_tc(src0 + rec_out - rec_in, plan)} "
                         f"{_tc(plan.start_frame + rec_in, plan)} {_tc(plan.start_frame + rec_out, plan)}")
        else:
            lines.append(f"{event:03d}  {reel:<8} V     C        "
                         f"{_tc(src0, plan)} {_tc(src0 + rec_out - rec_in, plan)} "
                         f"{_tc(plan.start_frame + rec_in, plan)} {_tc(plan.start_frame + rec_out, plan)}")
        lines.append(f"* FROM CLIP NAME: {ascii_fold(clip.source.name)}")
        for m in plan.markers:
            last = index == len(tl.segments) - 1
            if rec_in <= m.frame < rec_out or (last and m.frame == rec_out):
                color = m.color.upper() if m.color else "RED"
                text = " ".join(ascii_fold(m.name).split())
                lines.append(f"* LOC: {_tc(src0 + m.frame - rec_in, plan)} {color:<7} {text}")
    return "\n".join(lines) + "\n"
