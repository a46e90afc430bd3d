"""What an editor does about a QC problem, by check: the text a marker in the NLE carries beside the
measurement, so the problem can be fixed from the timeline without opening the report.

Keyed by check id, or by its family (`picture.*`, `subtitles.<lang>.*` as `subtitles.*.coverage`):
the measured value and the limit are the report's; this is only the remedy. A check with no entry
gets the general one (look at the report)."""

from __future__ import annotations

FIXES: dict[str, str] = {
    "picture.black": "check the edit here: a gap, a missing clip or a fade held too long",
    "picture.freeze": "check the edit here: a still held by mistake, or a frozen source (replace the clip)",
    "audio.silence": "check the mix here: a missing track, a muted clip, or room tone needed",
    "legal.range": "grade the shot into broadcast range (EBU R103), or let the profile legalise it",
    "loudness.integrated": "level the mix (dialogue against music) and render again",
    "loudness.true_peak": "lower the peaks in the mix (a limiter on the music bed) and render again",
    "loudness.lra": "even out the mix: the quiet and loud parts are too far apart",
    "subtitles.*.coverage": "add or extend a cue for this speech (review room, or the SRT)",
    "subtitles.*.silence": "trim the cue to the speech (lead-in and hang-on at most as the style allows)",
    "subtitles.*.lint": "fix the cue in the review room (the lint rule is named in the report)",
    "subtitles.*.uncertain_words": "listen and confirm or correct the recognised words in the review room",
    "subtitles.*.review": "have a translator review the machine-drafted English cues",
    "subtitles.*.shortened": "rewrite the shortened English cue so it reads in its time",
    "subtitles.*.missing_english": "translate the Vietnamese cues left without English",
    "lower_third.overlap": "move the cue or the lower third so they do not cover each other",
}
GENERAL = "see qc/report.html for the measurement, then fix and run `reportage run MANIFEST` again"


def fix_for(check_id: str) -> str:
    """The remedy for `check_id` (`subtitles.vi.coverage` finds `subtitles.*.coverage`)."""
    if check_id in FIXES:
        return FIXES[check_id]
    parts = check_id.split(".")
    if len(parts) == 3:
        family = f"{parts[0]}.*.{parts[2]}"
        if family in FIXES:
            return FIXES[family]
    if parts[0] in ("video", "audio", "container", "duration", "ladder"):
        return "a render setting or the profile: render again (`reportage render MANIFEST --force`)"
    return GENERAL
