"""Which Vietnamese cues carry which script sentence, and where each cue's English comes from.

The unit of English is the sentence where there is a script (its translator's English, or one
machine translation of the whole sentence, shared across its cues by `share_out`), and the cue
where there is none (recognised speech, translated cue by cue with its neighbours as context).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..subs.cues import Cue
from .align import Alignment, Placement

SCRIPT_SOURCE = "script:"


def block_of_source(source_id: str) -> str | None:
    """The script block a word's source id names ("script:3#1|clip@ms" → "script:3#1")."""
    if not source_id.startswith(SCRIPT_SOURCE):
        return None
    return source_id.split("|", 1)[0]


def cue_blocks(cues: Sequence[Cue], alignment: Alignment | None) -> list[Placement | None]:
    """The placement each cue shows, or None for recognised speech.

    Generated cues carry their block in their source ids; cues read back from a file an editor
    changed do not, and count as the sentence whose placement holds most of the cue's time.
    """
    if alignment is None:
        return [None] * len(cues)
    out: list[Placement | None] = []
    for cue in cues:
        named = next((b for b in map(block_of_source, cue.source_ids) if b), None)
        if named is not None:
            out.append(alignment.placement_of(named))
            continue
        best: Placement | None = None
        best_share = 0.5
        for placement in alignment.placements:
            shared = min(cue.end_ms, placement.end_ms) - max(cue.start_ms, placement.start_ms)
            share = shared / max(1, cue.duration_ms)
            if share > best_share:
                best, best_share = placement, share
        out.append(best)
    return out


@dataclass(frozen=True)
class EnglishUnit:
    """Cues (positions in the Vietnamese list) that take their English together."""

    cues: tuple[int, ...]
    placement: Placement | None

    @property
    def script_english(self) -> str | None:
        return self.placement.sentence.en if self.placement else None

    @property
    def origin(self) -> str:
        return "script" if self.placement else "recognised"


def english_units(blocks: Sequence[Placement | None]) -> list[EnglishUnit]:
    """Consecutive cues of one placement form a unit; every other cue is a unit of its own."""
    units: list[EnglishUnit] = []
    for position, placement in enumerate(blocks):
        if placement is not None and units and units[-1].placement is placement \
                and units[-1].cues[-1] == position - 1:
            units[-1] = EnglishUnit((*units[-1].cues, position), placement)
        else:
            units.append(EnglishUnit((position,), placement))
    return units
