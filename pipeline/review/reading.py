"""A cue as it would be saved, measured by lint: the page's live reading speed and line lengths.

The review page shows characters per second and each line's length while a reviewer types. Those
figures must be lint's, not a look-alike: lint counts the characters of the lines a save would
write (the reviewer's own breaks, else the house line breaking, which drops the space it breaks
at), in NFC, over the in-to-out time the save would keep. So the page asks here, and here the text
goes through the same line making as a save (`cues.lines_as_saved`) and the same `lint` on that one
cue (its own text and timing rules; neighbours and shot changes are the save's business).
"""

from __future__ import annotations

import math
from typing import Any

from ..subs import Cue, lint
from .cues import Context, issue_dict, lines_as_saved


def reading(ctx: Context, lang: str, text: str, start_ms: int, end_ms: int) -> dict[str, Any]:
    """Lint's own figures for a cue of `text` from `start_ms` to `end_ms` in `lang`."""
    style = ctx.styles[lang]
    lines = lines_as_saved(ctx, lang, text)
    cue = Cue(1, start_ms, end_ms, lines)
    report = lint([cue], style, ctx.rate)
    cps = cue.cps
    return {"lines": list(lines), "line_lengths": list(cue.line_lengths), "chars": cue.char_count,
            "duration_ms": cue.duration_ms,
            "cps": round(cps, 1) if math.isfinite(cps) else None,  # as lint reports it (`value`)
            "max_cps": style.max_cps, "max_cps_hard": style.max_cps_hard,
            "chars_per_line": style.chars_per_line, "lines_per_cue": style.lines_per_cue,
            "issues": [issue_dict(i) for i in report.issues]}
