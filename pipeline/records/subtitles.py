"""`subtitles/<id>.subtitles.json`: the subtitles stage's account of each language (its only writer), read
by QC, the review room and the exports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import fsutil
from ..workspace import Workspace

if TYPE_CHECKING:
    from ..subs.cues import Cue


@dataclass(frozen=True)
class UncertainWord:
    """A word of a cue that the recogniser was unsure of (the transcript's `low_probability` flag).

    `start`/`end` are a character span of the cue's text as written (its lines joined by line
    breaks), the word's edge punctuation left out; `at_ms` is when it is spoken, in programme ms.
    """

    start: int
    end: int
    text: str
    probability: float
    at_ms: int

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text,
                "probability": round(self.probability, 4), "at_ms": self.at_ms}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UncertainWord:
        return cls(int(data["start"]), int(data["end"]), str(data["text"]), float(data.get("probability") or 0.0),
                   int(data.get("at_ms") or 0))


@dataclass(frozen=True)
class UncertainCue:
    """A Vietnamese cue made from recognised speech with the words in it nobody has checked yet.

    The cue is named by its number and by what it is (times and text as the subtitles stage wrote
    them): the words are uncertain only while the cue in force is still exactly that one. A cue a
    person has edited, split, merged or re-timed is theirs, and has no uncertain words any more.
    """

    cue: int
    start_ms: int
    end_ms: int
    text: str
    words: tuple[UncertainWord, ...]

    def to_json(self) -> dict[str, Any]:
        return {"cue": self.cue, "start_ms": self.start_ms, "end_ms": self.end_ms, "text": self.text,
                "words": [w.to_json() for w in self.words]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UncertainCue:
        return cls(int(data["cue"]), int(data["start_ms"]), int(data["end_ms"]), str(data["text"]),
                   tuple(UncertainWord.from_json(w) for w in data.get("words") or ()))


@dataclass(frozen=True)
class SubtitlesLanguage:
    """Where one language's cues came from and what lint said of them."""

    source: str  # generated | hand-edited | imported
    backend: str | None
    machine_draft: bool
    reviewed: bool
    cues: int
    lint: dict[str, Any]
    cue_map: list[dict[str, Any]] | None = None
    # Clips re-transcribed since an editor last changed this language's file: someone must look again.
    needs_review: list[str] = field(default_factory=list)
    # Vietnamese: the cues made from recognised speech that hold words the recogniser was unsure of
    # and nobody has changed since ([] none; None not recorded: English, or a record from before).
    uncertain_words: tuple[UncertainCue, ...] | None = None
    # English: the cues whose text was cut with "…" to be read in its time (no longer the
    # translator's or the draft's sentence), and the Vietnamese cues the translator gave no English.
    shortened: list[int] = field(default_factory=list)
    untranslated: list[int] = field(default_factory=list)
    # Why this language has no cues when it should have some (the stage failed by name), else None.
    failed: str | None = None

    def uncertain_in(self, cues: Sequence[Cue]) -> list[UncertainCue]:
        """The uncertain cues still in force in `cues` (the file as it is now, perhaps edited since
        the record was written), renumbered as they stand there; a cue changed in any way drops out."""
        return still_in_force(self.uncertain_words or (), cues)


def still_in_force(entries: Sequence[UncertainCue], cues: Sequence[Cue]) -> list[UncertainCue]:
    """The entries whose cue is in `cues` exactly as recorded (times and text), numbered as there."""
    where = {(c.start_ms, c.end_ms, c.text): n for n, c in enumerate(cues, 1)}
    out: list[UncertainCue] = []
    for entry in entries:
        number = where.get((entry.start_ms, entry.end_ms, entry.text))
        if number is not None and entry.words:
            out.append(entry if number == entry.cue else UncertainCue(
                number, entry.start_ms, entry.end_ms, entry.text, entry.words))
    return out


@dataclass(frozen=True)
class SubtitlesRecord:
    """`subtitles/<id>.subtitles.json`: the subtitles stage's account of each language."""

    programme: str
    languages: dict[str, SubtitlesLanguage] = field(default_factory=dict)
    script: dict[str, Any] | None = None  # what aligning the programme's script found (align.Alignment.report)
    speech: bool | None = None
    """Whether any speech lies under the timeline (False: a programme without speech, which has no
    subtitle files at all; None: a record from before this was kept)."""

    @property
    def no_speech(self) -> bool:
        """A programme without speech: nothing to subtitle, no subtitle files, by design."""
        return self.speech is False

    def to_json(self) -> dict[str, Any]:
        langs: dict[str, Any] = {}
        for lang, entry in self.languages.items():
            data = asdict(entry)
            if lang == "vi":
                data.pop("cue_map")
                data.pop("shortened")
                data.pop("untranslated")
            if entry.uncertain_words is None:
                data.pop("uncertain_words")
            else:
                data["uncertain_words"] = [u.to_json() for u in entry.uncertain_words]
            if entry.failed is None:
                data.pop("failed")
            langs[lang] = data
        out: dict[str, Any] = {"programme": self.programme, "languages": langs}
        if self.speech is not None:
            out["speech"] = self.speech
        if self.script is not None:
            out["script"] = self.script
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubtitlesRecord:
        langs = {}
        for lang, entry in (data.get("languages") or {}).items():
            langs[lang] = SubtitlesLanguage(
                source=str(entry.get("source", "generated")), backend=entry.get("backend"),
                machine_draft=bool(entry.get("machine_draft")), reviewed=bool(entry.get("reviewed")),
                cues=int(entry.get("cues") or 0), lint=dict(entry.get("lint") or {}), cue_map=entry.get("cue_map"),
                needs_review=[str(c) for c in entry.get("needs_review") or []],
                uncertain_words=_uncertain(entry.get("uncertain_words")),
                shortened=_numbers(entry.get("shortened")), untranslated=_numbers(entry.get("untranslated")),
                failed=str(entry["failed"]) if entry.get("failed") else None)
        speech = data.get("speech")
        return cls(str(data.get("programme", "")), langs, data.get("script"),
                   speech if isinstance(speech, bool) else None)


def _numbers(value: Any) -> list[int]:
    """Cue numbers as recorded ([] when none, or unreadable)."""
    if not isinstance(value, list):
        return []
    return [n for n in value if isinstance(n, int) and not isinstance(n, bool)]


def _uncertain(value: Any) -> tuple[UncertainCue, ...] | None:
    """The recorded uncertain cues; None when there are none recorded (or they are unreadable)."""
    if not isinstance(value, list):
        return None
    try:
        return tuple(UncertainCue.from_json(u) for u in value)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def subtitles_record_path(ws: Workspace) -> Path:
    return ws.subtitles_dir / f"{ws.programme_id}.subtitles.json"


def read_subtitles_record(ws: Workspace) -> SubtitlesRecord | None:
    """The subtitles record, or None before the subtitles stage has run (or when it is unreadable)."""
    path = subtitles_record_path(ws)
    try:
        data = fsutil.read_json(path)
    except (OSError, ValueError):
        return None
    return SubtitlesRecord.from_json(data) if isinstance(data, dict) else None
