"""Translations remembered per text sent, so a one-word fix re-translates only what it touches.

A local model takes seconds a sentence; an editor's loop is fix one word, look again. Each
translation is kept under a key made of what it translates: the Vietnamese text, its audio (for a
backend that listens), the sentences given as its context (`SourceCue.before`/`after`, when given:
the model read them, so they shaped the English), the backend and its options, and the glossary.
Fixing one sentence therefore re-translates it and the sentence on either side (whose context it
is), nothing else. Only texts whose key is new go to the translator, in one call, in programme
order. The cache is one JSON file in the programme's subtitles folder, written atomically; entries
nothing uses any more are dropped on write.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..fsutil import read_json, sha256_text, write_json
from .base import SourceCue


def cue_keys(cues: Sequence[SourceCue], setup: Mapping[str, Any]) -> list[str]:
    """One key per cue: its text, its audio, its context when it has some, and `setup` (backend,
    options, glossary …). A cue without context keeps the key it always had."""
    base = json.dumps(setup, sort_keys=True, ensure_ascii=False, default=str)
    keys = []
    for cue in cues:
        audio = [(a.clip_id, a.start_ms, a.end_ms) for a in cue.audio]
        parts: list[Any] = [base, cue.text, audio]
        if cue.before is not None or cue.after is not None:
            parts.append({"before": cue.before or "", "after": cue.after or ""})
        keys.append(sha256_text(json.dumps(parts, ensure_ascii=False)))
    return keys


class TranslationCache:
    """The remembered translations of one programme: `lookup` before translating, `store` after."""

    def __init__(self, path: Path) -> None:
        self.path = path
        data = read_json(path) if path.is_file() else {}
        entries = data.get("entries", {}) if isinstance(data, dict) else {}
        self.entries: dict[str, dict[str, Any]] = {k: v for k, v in entries.items() if isinstance(v, dict)}

    def lookup(self, keys: Sequence[str]) -> list[dict[str, Any] | None]:
        """The entry ({"en", "by", "machine"}) for each key, None where the cue is new."""
        return [self.entries.get(key) for key in keys]

    def store(self, keys: Sequence[str], found: Mapping[str, dict[str, Any]]) -> None:
        """Remember `found` and keep only entries some key in `keys` uses; written only on change."""
        kept = {key: (found.get(key) or self.entries[key]) for key in keys if key in found or key in self.entries}
        if kept != self.entries:
            self.entries = kept
            write_json(self.path, {"about": "translations by cue key; see pipeline/translate/cache.py",
                                   "entries": kept})
