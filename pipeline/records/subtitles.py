"""`subtitles/<id>.subtitles.json`: the subtitles stage's account of each language (its only writer), read
by QC, the review room and the exports.

Each cue's origin is typed per language (`CueOrigin`, `CueMapEntry`): an English cue the local
model drafted is `machine` whatever its Vietnamese is, so no reader can take one language's origin
for the other's. Each language also names every cue in force by its content with its origin
(`CueProvenance`): a person reviews cues, not files, so a file they saved one cue of still has the
machine's other cues, and a reader matches them to the file as it is now (`cue_key`). The record
carries its shape's version (`RECORD_VERSION`); records written before the version was kept (the
cue map's `origin`/`en_origin`/`en_by` keys) are read into the same types, and one written by a
newer reportage is a WorkspaceError naming the file, not a guess.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .. import fsutil
from ..errors import WorkspaceError
from ..workspace import Workspace

if TYPE_CHECKING:
    from ..subs.cues import Cue

RECORD_VERSION = 5
"""The record's shape. 2: the Vietnamese cues' uncertain recognised words; 3: no files without cues,
speech, shortened and untranslated English, nothing past the programme's end; 4: the version itself,
and each cue map entry's origin per language (`origins`); 5: each cue in force with its origin,
named by its content (`provenance`). A record without one is 3 or older."""

LANGS = ("vi", "en")


class CueOrigin(StrEnum):
    """Where a cue's words came from, for the language the cue is in."""

    SCRIPT = "script"  # the script's Vietnamese, or the translator's English sentence from the script
    RECOGNISED = "recognised"  # Vietnamese as the recogniser heard it
    MACHINE = "machine"  # English a machine translator drafted: nobody has reviewed it
    REVIEWED = "reviewed"  # a person's: a cue saved or marked in the review room, or changed by hand; a sheet's English
    IMPORTED = "imported"  # a file brought in whole (`reportage subtitles import`, a reviewed sheet)


ORIGINS_OF: dict[str, frozenset[CueOrigin]] = {
    "vi": frozenset({CueOrigin.SCRIPT, CueOrigin.RECOGNISED, CueOrigin.REVIEWED, CueOrigin.IMPORTED}),
    "en": frozenset(CueOrigin),
}
"""The origins a cue of each language can have (no machine translates into Vietnamese)."""


def _origin(value: Any, lang: str) -> CueOrigin | None:
    """A recorded origin for `lang`; None when missing or not one that language's cues can have."""
    try:
        origin = CueOrigin(value)
    except ValueError:
        return None
    return origin if origin in ORIGINS_OF[lang] else None


PERSONS = frozenset({CueOrigin.REVIEWED, CueOrigin.IMPORTED})
"""The origins that say a person vouched for a cue's words."""


class Timed(Protocol):
    """Anything with a cue's times and text (a `Cue`, an `UncertainCue`)."""

    @property
    def start_ms(self) -> int: ...
    @property
    def end_ms(self) -> int: ...
    @property
    def text(self) -> str: ...


def cue_key(cue: Timed) -> str:
    """A cue's identity by its content (a hash of its times and its text as written): a cue
    split, merged, re-timed or re-worded is another cue, one left alone keeps its key wherever its
    number moves. The review room sends it back as the cue's `version`."""
    return hashlib.sha256(f"{cue.start_ms}|{cue.end_ms}|{cue.text}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class CueProvenance:
    """One cue in force and where its words came from, in its own language.

    `key` is the cue's content (`cue_key`), so a reader matches it to the file as it is now even
    after other cues were split, merged or re-timed; `by` names the translator backend(s) of English
    a translator wrote; `shortened`: English cut with "…" to be read in its time, nobody's sentence.
    """

    key: str
    origin: CueOrigin
    by: str | None = None
    shortened: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "origin": str(self.origin)}
        if self.by is not None:
            out["by"] = self.by
        if self.shortened:
            out["shortened"] = True
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any], lang: str) -> CueProvenance | None:
        """The entry as written; None when it names no origin that `lang`'s cues can have."""
        origin = _origin(data.get("origin"), lang)
        if origin is None or not isinstance(data.get("key"), str):
            return None
        by = data.get("by")
        return cls(str(data["key"]), origin, str(by) if by else None, bool(data.get("shortened")))


@dataclass(frozen=True)
class CueMapEntry:
    """Some Vietnamese cues (1-based numbers) and the English cues made for them, each language
    with its own origin.

    One entry is one script sentence (`sentence`, its reference in the script) or one stretch of
    recognised speech. `translated_by` names the translator backend(s) whose English this is
    (None: the script's); `shortened` are the English cues cut with "…" to be read in their time.
    An origin is None when nothing was recorded (English: no English was made for these cues).
    """

    vi: tuple[int, ...]
    en: tuple[int, ...]
    vi_origin: CueOrigin | None
    en_origin: CueOrigin | None = None
    sentence: str | None = None
    translated_by: str | None = None
    shortened: tuple[int, ...] = ()

    def cues(self, lang: str) -> tuple[int, ...]:
        """The entry's cue numbers in `lang`."""
        return self.vi if lang == "vi" else self.en

    def origin(self, lang: str) -> CueOrigin | None:
        """The origin of the entry's cues in `lang`."""
        return self.vi_origin if lang == "vi" else self.en_origin

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"vi": list(self.vi), "en": list(self.en),
                               "origins": {lang: str(o) for lang in LANGS if (o := self.origin(lang)) is not None}}
        if self.sentence is not None:
            out["sentence"] = self.sentence
        if self.translated_by is not None:
            out["translated_by"] = self.translated_by
        if self.shortened:
            out["shortened"] = list(self.shortened)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CueMapEntry:
        """An entry as written now (`origins`), or as written before the record had a version: the
        Vietnamese origin under `origin`, the English under `en_origin` (`script`, `machine`, or the
        name of a translator that is no machine, whose English is a person's), its translators under
        `en_by`."""
        origins = data.get("origins")
        if isinstance(origins, Mapping):
            vi_origin, en_origin = _origin(origins.get("vi"), "vi"), _origin(origins.get("en"), "en")
            by = data.get("translated_by")
        else:
            recorded, by = data.get("en_origin"), data.get("en_by")
            vi_origin, en_origin = _origin(data.get("origin"), "vi"), _origin(recorded, "en")
            if en_origin is None and isinstance(recorded, str) and recorded.strip():
                en_origin, by = CueOrigin.REVIEWED, by or recorded  # a translator that is no machine: the sheet
        sentence = data.get("sentence")
        return cls(tuple(_numbers(data.get("vi"))), tuple(_numbers(data.get("en"))), vi_origin, en_origin,
                   str(sentence) if sentence else None, str(by) if by else None,
                   tuple(_numbers(data.get("shortened"))))


def cue_origins(cue_map: Iterable[CueMapEntry], lang: str) -> dict[int, CueOrigin]:
    """Each `lang` cue the map names with its recorded origin, by cue number."""
    return {n: origin for entry in cue_map if (origin := entry.origin(lang)) is not None for n in entry.cues(lang)}


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
    # English: which English cues were made for which Vietnamese ones, each language's origin per cue
    # (None: the English is editor-owned, matched by time only).
    cue_map: tuple[CueMapEntry, ...] | None = None
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
    # Each cue in force, in order, with its origin in this language (None: a record from before it
    # was kept). A person's file is theirs cue by cue: only the cues they saved, marked or changed.
    provenance: tuple[CueProvenance, ...] | None = None

    def origins(self) -> list[CueOrigin] | None:
        """Each cue's origin by number (index 0 is cue 1); None when the record does not say."""
        return None if self.provenance is None else [p.origin for p in self.provenance]

    def machine_in(self, cues: Sequence[Timed]) -> list[int]:
        """The cues of `cues` (the file as it is now, perhaps edited since) that are still exactly an
        unreviewed machine draft the record names, numbered as there."""
        if self.provenance is None:
            return [n for n in self.machine_cues() if 1 <= n <= len(cues)]
        machine = {p.key for p in self.provenance if p.origin is CueOrigin.MACHINE}
        return [n for n, cue in enumerate(cues, 1) if cue_key(cue) in machine]

    def uncertain_in(self, cues: Sequence[Cue]) -> list[UncertainCue]:
        """The uncertain cues still in force in `cues` (the file as it is now, perhaps edited since
        the record was written), renumbered as they stand there; a cue changed in any way drops out."""
        return still_in_force(self.uncertain_words or (), cues)

    def file_origin(self, lang: str) -> CueOrigin:
        """The origin of this language's cues as a whole, for a cue the cue map does not name: a
        file an editor changed is theirs, an imported one imported; the stage's is the script's,
        the recogniser's, or for English a machine draft unless no machine wrote any of it."""
        if self.source == "imported":
            return CueOrigin.IMPORTED
        if self.source != "generated":
            return CueOrigin.REVIEWED
        if self.backend == "script":
            return CueOrigin.SCRIPT
        if lang == "vi":
            return CueOrigin.RECOGNISED
        return CueOrigin.MACHINE if self.machine_draft else CueOrigin.REVIEWED

    def machine_cues(self) -> list[int]:
        """The cues (numbers) whose origin is still an unreviewed machine draft: by each cue's
        provenance, or in a record from before it, the cue map's."""
        if self.provenance is not None:
            return [n for n, p in enumerate(self.provenance, 1) if p.origin is CueOrigin.MACHINE]
        return sorted(n for n, origin in cue_origins(self.cue_map or (), "en").items() if origin is CueOrigin.MACHINE)


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
            elif entry.cue_map is not None:
                data["cue_map"] = [e.to_json() for e in entry.cue_map]
            if entry.uncertain_words is None:
                data.pop("uncertain_words")
            else:
                data["uncertain_words"] = [u.to_json() for u in entry.uncertain_words]
            if entry.failed is None:
                data.pop("failed")
            if entry.provenance is None:
                data.pop("provenance")
            else:
                data["provenance"] = [p.to_json() for p in entry.provenance]
            langs[lang] = data
        out: dict[str, Any] = {"version": RECORD_VERSION, "programme": self.programme, "languages": langs}
        if self.speech is not None:
            out["speech"] = self.speech
        if self.script is not None:
            out["script"] = self.script
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any], path: Path | str | None = None) -> SubtitlesRecord:
        """The record as written by this version or an older one (`path`, the file, names it in the
        error for a record of a newer version, whose meaning this one cannot know)."""
        version = data.get("version", 3)
        if not isinstance(version, int) or isinstance(version, bool):
            raise WorkspaceError(f"the subtitles record's version {version!r} is not a number", path=path,
                                 hint="write it again: `reportage subtitles make MANIFEST`")
        if version > RECORD_VERSION:
            raise WorkspaceError(
                f"the subtitles record is version {version!r}, newer than this reportage reads (up to "
                f"{RECORD_VERSION})", path=path,
                hint="use the reportage that wrote it, or write it again with this one: "
                     "`reportage subtitles make MANIFEST`")
        langs = {}
        for lang, entry in (data.get("languages") or {}).items():
            langs[lang] = SubtitlesLanguage(
                source=str(entry.get("source", "generated")), backend=entry.get("backend"),
                machine_draft=bool(entry.get("machine_draft")), reviewed=bool(entry.get("reviewed")),
                cues=int(entry.get("cues") or 0), lint=dict(entry.get("lint") or {}),
                cue_map=_cue_map(entry.get("cue_map")),
                needs_review=[str(c) for c in entry.get("needs_review") or []],
                uncertain_words=_uncertain(entry.get("uncertain_words")),
                shortened=_numbers(entry.get("shortened")), untranslated=_numbers(entry.get("untranslated")),
                failed=str(entry["failed"]) if entry.get("failed") else None,
                provenance=_provenance(entry.get("provenance"), lang))
        speech = data.get("speech")
        return cls(str(data.get("programme", "")), langs, data.get("script"),
                   speech if isinstance(speech, bool) else None)


def _numbers(value: Any) -> list[int]:
    """Cue numbers as recorded ([] when none, or unreadable)."""
    if not isinstance(value, list):
        return []
    return [n for n in value if isinstance(n, int) and not isinstance(n, bool)]


def _cue_map(value: Any) -> tuple[CueMapEntry, ...] | None:
    """The recorded cue map (None: not recorded, or the English is editor-owned)."""
    if not isinstance(value, list):
        return None
    return tuple(CueMapEntry.from_json(e) for e in value if isinstance(e, Mapping))


def _provenance(value: Any, lang: str) -> tuple[CueProvenance, ...] | None:
    """Each cue's recorded provenance; None when not recorded, or when any entry is unreadable (a
    list with a hole would number the cues after it wrongly)."""
    if not isinstance(value, list) or lang not in ORIGINS_OF:
        return None
    entries = [CueProvenance.from_json(e, lang) if isinstance(e, Mapping) else None for e in value]
    return None if any(e is None for e in entries) else tuple(e for e in entries if e is not None)


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
    """The subtitles record, or None before the subtitles stage has run (or when it is unreadable);
    a WorkspaceError when a newer reportage wrote it."""
    path = subtitles_record_path(ws)
    try:
        data = fsutil.read_json(path)
    except (OSError, ValueError):
        return None
    return SubtitlesRecord.from_json(data, path) if isinstance(data, dict) else None
