"""`review/edits.json`: the cues a person vouched for, per language, by their content.

A person reviews cues, not files: saving one cue in the review room, or marking one reviewed there,
makes that cue theirs (`reviewed`) and no other; `reportage subtitles import` (and a review sheet's
import) brings a whole file in, every cue of it the person's (`imported`). Each cue is named by
`records.subtitles.cue_key` (its times and text), so a split, merge or re-timing elsewhere in the
file leaves it named, and a cue changed after it was vouched for is another cue. The subtitles
stage reads this to record each cue's origin (its input: a mark makes it run again), the review
room to show it before the stage has run. The review room and the import are its writers, through
`remember_reviewed` and `remember_imported` here.

A file written before imports were kept here (`{"vi": [...], "en": [...]}`: the cues saved in the
review room) reads as those reviewed cues.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import fsutil
from ..workspace import Workspace
from .review import review_dir

VERSION = 2
LANGS = ("vi", "en")


@dataclass(frozen=True)
class ReviewedCues:
    """Per language, the keys (`cue_key`) of the cues a person saved or marked, and of those they
    brought in whole with a file."""

    reviewed: Mapping[str, frozenset[str]] = field(default_factory=dict)
    imported: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def reviewed_in(self, lang: str) -> frozenset[str]:
        return self.reviewed.get(lang, frozenset())

    def imported_in(self, lang: str) -> frozenset[str]:
        return self.imported.get(lang, frozenset())

    def to_json(self) -> dict[str, Any]:
        return {"version": VERSION,
                "reviewed": {lang: sorted(keys) for lang, keys in sorted(self.reviewed.items()) if keys},
                "imported": {lang: sorted(keys) for lang, keys in sorted(self.imported.items()) if keys}}

    @classmethod
    def from_json(cls, data: Any) -> ReviewedCues:
        """The ledger as written now, or as the review room wrote it before (`{lang: [keys]}`)."""
        if not isinstance(data, Mapping):
            return cls()
        if "version" not in data:
            return cls(_keys(data))
        return cls(_keys(data.get("reviewed")), _keys(data.get("imported")))


def _keys(value: Any) -> dict[str, frozenset[str]]:
    if not isinstance(value, Mapping):
        return {}
    return {lang: frozenset(str(k) for k in keys) for lang in LANGS
            if isinstance(keys := value.get(lang), list)}


def reviewed_cues_path(ws: Workspace) -> Path:
    return review_dir(ws) / "edits.json"


def read_reviewed_cues(ws: Workspace) -> ReviewedCues:
    """The ledger; empty when nobody has vouched for a cue yet (or it cannot be read: then no cue
    is taken for reviewed that was not)."""
    path = reviewed_cues_path(ws)
    try:
        return ReviewedCues.from_json(fsutil.read_json(path)) if path.is_file() else ReviewedCues()
    except (OSError, ValueError):
        return ReviewedCues()


def remember_reviewed(ws: Workspace, lang: str, keys: Iterable[str]) -> None:
    """`keys` are `lang` cues a person saved or marked reviewed in the review room."""
    now = read_reviewed_cues(ws)
    reviewed = {**now.reviewed, lang: now.reviewed_in(lang) | frozenset(keys)}
    fsutil.write_json(reviewed_cues_path(ws), ReviewedCues(reviewed, now.imported).to_json())


def remember_imported(ws: Workspace, lang: str, keys: Iterable[str]) -> None:
    """`lang`'s file was brought in whole: its cues (`keys`) are the person's, imported; what was
    vouched for in that language before is gone with the file it was in."""
    now = read_reviewed_cues(ws)
    reviewed = {**now.reviewed, lang: frozenset[str]()}
    imported = {**now.imported, lang: frozenset(keys)}
    fsutil.write_json(reviewed_cues_path(ws), ReviewedCues(reviewed, imported).to_json())
