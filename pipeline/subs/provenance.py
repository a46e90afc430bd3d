"""Each cue's origin in its own language, by one rule for the subtitles stage (which records it)
and the review room (which shows it between a save and the stage's next run), so the two agree.

A person reviews cues, not files. In order, a cue in force is:
1. reviewed, when a person saved it or marked it reviewed in the review room (`records.reviewed`);
2. recognised, when it still holds words the recogniser was unsure of that nobody checked;
3. imported, when it came in with a file a person brought in whole;
4. the stage's (script, recognised, machine with its backend, shortened), when the stage wrote the
   file as it is;
5. what the last record said of it, when the file is a person's now but this cue is untouched (the
   same times and text: `cue_key`), so saving cue 5 leaves the machine's cue 6 the machine's;
6. otherwise a person's: changed by hand or in the room (`fallback`: reviewed, or imported for a
   file brought in whole before imports were kept by cue).
A cue's shortened mark (English cut with "…") is the stage's and goes with it; a person's cue has none.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from ..records.reviewed import ReviewedCues
from ..records.subtitles import CueMapEntry, CueOrigin, CueProvenance, Timed, cue_key


@dataclass(frozen=True)
class Vouched:
    """One language's cues a person vouched for, by key: saved or marked, and brought in whole."""

    reviewed: frozenset[str] = frozenset()
    imported: frozenset[str] = frozenset()

    @classmethod
    def of(cls, ledger: ReviewedCues, lang: str) -> Vouched:
        """`lang`'s part of the review ledger."""
        return cls(ledger.reviewed_in(lang), ledger.imported_in(lang))


def provenance(cues: Sequence[Timed], vouched: Vouched, made: Sequence[CueProvenance | None] | None = None,
               earlier: Sequence[CueProvenance] | None = None, unsure: Collection[str] = (),
               fallback: CueOrigin = CueOrigin.REVIEWED) -> tuple[CueProvenance, ...]:
    """The provenance of each of `cues` (the file in force, in order).

    `made`: the stage's own account of each cue, by position, when it wrote the file as it is
    (None when a person owns the file); `earlier`: the last record's provenance of this language;
    `unsure`: the keys of cues that still hold uncertain recognised words.
    """
    before = {p.key: p for p in earlier or ()}
    out: list[CueProvenance] = []
    for n, cue in enumerate(cues):
        key = cue_key(cue)
        stage = made[n] if made is not None and n < len(made) else None
        if key in vouched.reviewed:
            out.append(CueProvenance(key, CueOrigin.REVIEWED))
        elif key in unsure:
            out.append(CueProvenance(key, CueOrigin.RECOGNISED))
        elif key in vouched.imported:
            out.append(CueProvenance(key, CueOrigin.IMPORTED))
        elif stage is not None:
            out.append(replace(stage, key=key))
        elif key in before:
            out.append(before[key])
        else:
            out.append(CueProvenance(key, fallback))
    return tuple(out)


def made_english(cue_map: Sequence[CueMapEntry], count: int) -> list[CueProvenance | None]:
    """The stage's account of each of its `count` English cues, from its cue map (the key is filled
    in by `provenance`); a cue the map does not name is taken for a machine draft, to be looked at."""
    made: list[CueProvenance | None] = [CueProvenance("", CueOrigin.MACHINE)] * count
    for entry in cue_map:
        for n in entry.en:
            if 1 <= n <= count:
                made[n - 1] = CueProvenance("", entry.en_origin or CueOrigin.MACHINE, entry.translated_by,
                                            n in entry.shortened)
    return made


def common_origin(cues: Sequence[int], known: Sequence[CueProvenance], otherwise: CueOrigin | None,
                  ) -> CueOrigin | None:
    """The one origin `cues` (numbers) all have in `known`; `otherwise` when they differ or none is known."""
    found = {known[n - 1].origin for n in cues if 1 <= n <= len(known)}
    return found.pop() if len(found) == 1 else otherwise
