"""YouTube chapters from the programme's own structure: the script's sections, or the edit's markers.

Where a chapter starts is where its first sentence was spoken in the edit, not where the script
puts it: the subtitles stage records, for each script sentence it placed, the Vietnamese cues that
carry it (the cue map of `subtitles/<id>.subtitles.json`), and those cues' times are in the SRT.
So a section the edit moved starts where it now is, and a section the edit left out is reported,
not invented. A section is what the script's reader found under a heading (`ScriptLine.section`:
a DOCX Heading paragraph or heading row, a sheet's section column or merged heading row, a
Markdown heading). Markers whose name starts "Chapter:" or "Chương:" (any case, with or without
diacritics) name chapters themselves, and then take precedence: an editor who marks chapters
means those.

A heading may carry both languages, "Khu kinh tế Định An / Định An Economic Zone" (or with " | "):
the English description takes the second half.

YouTube's rules (`platforms.YOUTUBE`): the first chapter at 0:00 (moved there, with a note, when
the first section starts after the opening titles), at least 3 chapters (fewer is a note: YouTube
just shows none, nothing is refused), each at least 10 s (a shorter one is reported by name).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ...fsutil import nfc
from ...records.subtitles import SubtitlesRecord
from ...script.model import ScriptLine
from ...subs.cues import Cue
from ...text import fold
from ...timeline import Marker
from .platforms import YOUTUBE, Finding, Platform

_SENTENCE_SUFFIX = re.compile(r", sentence \d+$")
_MARKER = re.compile(r"^\s*(?:chapter|chuong)\s*[:：\-–—]\s*", re.IGNORECASE)
_LANG_SPLIT = re.compile(r"\s+[/|]\s+")


@dataclass(frozen=True)
class Chapter:
    """One chapter: where it starts (programme ms), its title in each language, where it came from."""

    start_ms: int
    title: str
    title_en: str | None = None
    source: str = ""  # "script: row 3", "marker at frame 250"

    def title_in(self, lang: str) -> str:
        return self.title_en or self.title if lang == "en" else self.title


def clock(ms: int) -> str:
    """A chapter time as YouTube reads it: "0:00", "12:05", "1:02:03" (whole seconds, rounded down)."""
    seconds = max(0, ms) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def split_title(text: str) -> tuple[str, str | None]:
    """("Khu kinh tế Định An", "Định An Economic Zone") from a heading holding both languages."""
    parts = _LANG_SPLIT.split(" ".join(nfc(text).split()), maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 and parts[1] else (parts[0], None)


@dataclass(frozen=True)
class Chapters:
    """The chapters as YouTube will read them, and what was found on the way (notes and problems)."""

    chapters: tuple[Chapter, ...]
    duration_ms: int
    findings: tuple[Finding, ...] = ()

    @property
    def usable(self) -> bool:
        """Whether YouTube will show them: enough, the first at 0:00, none too short."""
        return bool(self.chapters) and all(f.ok for f in self.findings) and not any(
            f.check == "chapter count" and f.level == "note" for f in self.findings)

    def lengths_ms(self) -> list[int]:
        if not self.chapters:  # a programme whose script names no sections
            return []
        ends = [c.start_ms for c in self.chapters[1:]] + [self.duration_ms]
        return [end - c.start_ms for c, end in zip(self.chapters, ends, strict=True)]

    def lines(self, lang: str = "vi") -> list[str]:
        """The description's chapter lines, "0:00 Title"."""
        return [f"{clock(c.start_ms)} {c.title_in(lang)}" for c in self.chapters]

    def to_json(self) -> dict[str, object]:
        return {"usable": self.usable, "duration_ms": self.duration_ms,
                "chapters": [{"start_ms": c.start_ms, "time": clock(c.start_ms), "title": c.title,
                              "title_en": c.title_en, "source": c.source, "length_ms": length}
                             for c, length in zip(self.chapters, self.lengths_ms(), strict=True)],
                "findings": [f.to_json() for f in self.findings]}


def sentence_starts(record: SubtitlesRecord, vi_cues: Sequence[Cue]) -> dict[str, int]:
    """Each placed script sentence (its reference, "row 3" or "row 3, sentence 2") and when it is
    first spoken in the programme (ms), from the subtitles record's cue map and the Vietnamese cues."""
    by_number = {n: cue for n, cue in enumerate(vi_cues, 1)}
    starts: dict[str, int] = {}
    for language in record.languages.values():
        for entry in language.cue_map or ():
            cues = [by_number[n] for n in entry.vi if n in by_number]
            if entry.sentence and cues:
                at = min(c.start_ms for c in cues)
                starts[entry.sentence] = min(at, starts.get(entry.sentence, at))
    return starts


def script_chapters(lines: Sequence[ScriptLine], starts: Mapping[str, int]) -> tuple[list[Chapter], list[str]]:
    """A chapter per script section that was spoken, at its earliest sentence; and a note per
    section the edit left out. Lines before the first heading belong to no chapter."""
    line_start: dict[str, int] = {}
    for ref, ms in starts.items():
        line_ref = _SENTENCE_SUFFIX.sub("", ref)
        line_start[line_ref] = min(ms, line_start.get(line_ref, ms))
    sections: list[tuple[str, list[ScriptLine]]] = []
    for line in lines:
        if line.section is None:
            continue
        if not sections or sections[-1][0] != line.section:
            sections.append((line.section, []))
        sections[-1][1].append(line)
    chapters: list[Chapter] = []
    notes: list[str] = []
    for title, members in sections:
        spoken = [(line_start[m.ref], m.ref) for m in members if m.ref in line_start]
        if not spoken:
            notes.append(f"section “{title}” ({members[0].ref}…) is not in the edit: no chapter for it")
            continue
        at, ref = min(spoken)
        vi, en = split_title(title)
        chapters.append(Chapter(at, vi, en, f"script: {ref}"))
    return chapters, notes


def marker_chapters(markers: Sequence[Marker], rate: Fraction) -> list[Chapter]:
    """The edit's markers named as chapters ("Chapter: …", "Chương: …"), at their frames."""
    out = []
    for marker in markers:
        name = nfc(marker.name)
        folded = fold(name)
        found = _MARKER.match(folded)
        if found is None:
            continue
        # Folding Vietnamese keeps the length (one letter for one), so the offset is the name's too.
        title = (name[found.end():] if len(folded) == len(name)
                 else re.split(r"[:：\-–—]", name, maxsplit=1)[-1]).strip()
        if title:
            vi, en = split_title(title)
            out.append(Chapter(round(Fraction(marker.frame) / rate * 1000), vi, en, f"marker at frame {marker.frame}"))
    return out


def youtube_chapters(found: Sequence[Chapter], duration_ms: int, *, where: str = "chapters",
                     notes: Sequence[str] = (), platform: Platform = YOUTUBE) -> Chapters:
    """`found` held to YouTube's rules (module docstring): sorted, two at the same second kept as
    the first, the first moved to 0:00, and findings for too few or too short. `where` names the
    programme in messages; `notes` (sections left out) are carried as notes."""
    p = platform
    minimum = p.chapters_min or 0
    shortest = p.chapter_min_s or 0.0
    findings = [Finding(p.key, "chapter source", "note", "", "", f"{where}: {n}", p.source) for n in notes]
    ordered: list[Chapter] = []
    for chapter in sorted(found, key=lambda c: c.start_ms):
        if ordered and chapter.start_ms // 1000 == ordered[-1].start_ms // 1000:
            findings.append(Finding(p.key, "chapter start", "note", clock(chapter.start_ms), "one chapter a second",
                                    f"{where}: “{chapter.title}” starts the same second as “{ordered[-1].title}”: "
                                    "kept the first", p.source))
            continue
        ordered.append(chapter)
    if ordered and ordered[0].start_ms > 0:
        first = ordered[0]
        findings.append(Finding(p.key, "first chapter", "note", clock(first.start_ms), "0:00",
                                f"{where}: the first chapter “{first.title}” moved from {clock(first.start_ms)} to "
                                "0:00 (YouTube's chapters start at 0:00)", p.source))
        ordered[0] = Chapter(0, first.title, first.title_en, first.source)
    result = Chapters(tuple(ordered), duration_ms)
    if len(ordered) < minimum:
        findings.append(Finding(p.key, "chapter count", "note", str(len(ordered)), f"at least {minimum}",
                                f"{where}: {len(ordered)} chapter(s), and YouTube shows chapters only from {minimum} "
                                "on: the description lists none (give the script more section headings, or mark "
                                "chapters in the edit as “Chương: …”)", p.source))
    else:
        findings.append(Finding(p.key, "chapter count", "pass", str(len(ordered)), f"at least {minimum}",
                                f"{where}: {len(ordered)} chapters", p.source))
    for chapter, length in zip(ordered, result.lengths_ms(), strict=True):
        if length < shortest * 1000:
            findings.append(Finding(
                p.key, "chapter length", "warn", f"{length / 1000:.1f} s", f"at least {shortest:g} s",
                f"{where}: chapter “{chapter.title}” at {clock(chapter.start_ms)} lasts {length / 1000:.1f} s, under "
                f"YouTube's {shortest:g} s, so YouTube shows no chapters — merge it into the one beside it",
                p.source))
    return Chapters(tuple(ordered), duration_ms, tuple(findings))


def programme_chapters(lines: Sequence[ScriptLine], record: SubtitlesRecord | None, vi_cues: Sequence[Cue],
                       markers: Sequence[Marker], rate: Fraction, duration_ms: int,
                       where: str | Path = "chapters") -> Chapters:
    """The programme's chapters: the edit's chapter markers when it has any, else the script's
    sections timed by where their sentences were spoken (module docstring)."""
    label = str(where)
    marked = marker_chapters(markers, rate)
    if marked:
        return youtube_chapters(marked, duration_ms, where=label)
    if record is None:
        return youtube_chapters([], duration_ms, where=label,
                                notes=["no subtitles record, so no sentence times: run `reportage subtitles make`"])
    found, notes = script_chapters(lines, sentence_starts(record, vi_cues))
    if not any(line.section for line in lines):
        notes = ["the script names no sections and the edit marks no chapters", *notes]
    return youtube_chapters(found, duration_ms, where=label, notes=notes)
