"""Subtitles: Vietnamese cues from the transcripts laid on the timeline, English from a translator.

Editors own what they edit: every file goes through `write_if_not_edited`, and a file whose bytes
differ from what the pipeline wrote is read back, linted and used as it is (its sibling format is
regenerated from it, so SRT and VTT always agree). `subtitles/<id>.subtitles.json` (the
`SubtitlesRecord`) records where each language came from, whether the English is an unreviewed
machine draft, the cue map and the lint summary. Freshness is the catalogue's, as for every stage:
a rerun with the same inputs writes nothing at all.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from .. import stagerun
from ..asr.glossary import Glossary, load_glossary
from ..errors import SubtitleError
from ..fsutil import read_json, sha256_file, write_json, write_json_if_changed, write_text
from ..intervals import intersection
from ..manifest import Programme
from ..progress import Progress, ProgressFn, ignore
from ..records import SubtitlesRecord, subtitles_record_path
from ..subs import (
    WRITTEN_FORMATS,
    Cue,
    LintReport,
    Style,
    break_lines,
    lint,
    load_style,
    read_subtitles,
    render_subtitles,
)
from ..subs import segment as segment_words
from ..subs.condense import fit_cues
from ..subs.ownership import is_hand_edited, load_ledger, release, write_if_not_edited
from ..subs.speech import speech_spans, timeline_words
from ..timeline import Timeline, load_timeline
from ..translate import AudioSpan, SourceCue, TranslationContext, Translator, make_translator
from ..workspace import Workspace

STAGE = "subtitles"
LANGS = ("vi", "en")
FORMATS = WRITTEN_FORMATS


@dataclass(frozen=True)
class SubtitlesSettings:
    """Style profiles, and a translation backend overriding the manifest's (None: the manifest's)."""

    vi_style: str = "vi"
    en_style: str = "en"
    backend: str | None = None
    options: Mapping[str, Any] | None = None
    english: bool = True


@dataclass(frozen=True)
class LanguageResult:
    """One language's outcome: where the cues came from and what lint found."""

    lang: str
    source: str  # generated | hand-edited | imported
    cues: int
    lint: dict[str, Any]
    files: dict[str, str]  # path -> written | unchanged | kept-edited

    def to_dict(self) -> dict[str, Any]:
        return {"lang": self.lang, "source": self.source, "cues": self.cues,
                "errors": self.lint.get("errors", 0), "warnings": self.lint.get("warnings", 0), "files": self.files}


@dataclass(frozen=True)
class SubtitlesReport:
    programme_id: str
    up_to_date: bool
    languages: tuple[LanguageResult, ...] = ()
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(r.lint.get("errors", 0) == 0 for r in self.languages)

    def to_dict(self) -> dict[str, Any]:
        return {"programme": self.programme_id, "ok": self.ok, "up_to_date": self.up_to_date,
                "languages": [r.to_dict() for r in self.languages], "record": self.record}


# -- paths and small helpers -------------------------------------------------------------------------

def ledger_path(ws: Workspace) -> Path:
    return ws.subtitles_dir / ".written.json"


def imports_path(ws: Workspace) -> Path:
    return ws.subtitles_dir / ".imported.json"


def record_path(ws: Workspace) -> Path:
    return subtitles_record_path(ws)


def lint_path(ws: Workspace, lang: str) -> Path:
    return ws.subtitles_dir / f"{ws.programme_id}.{lang}.lint.json"


def load_imports(ws: Workspace) -> dict[str, Any]:
    path = imports_path(ws)
    data = read_json(path) if path.is_file() else {}
    return data if isinstance(data, dict) else {}


def source_of(ws: Workspace, path: Path) -> str:
    """generated, or for a file the pipeline did not write: imported (by `subtitles import`) or hand-edited."""
    if not is_hand_edited(path, ledger_path(ws)):
        return "generated"
    entry = load_imports(ws).get(path.name)
    return "imported" if isinstance(entry, dict) and entry.get("sha256") == sha256_file(path) else "hand-edited"


# -- words on the timeline --------------------------------------------------------------------------

def audio_spans(timeline: Timeline, start_ms: int, end_ms: int) -> tuple[AudioSpan, ...]:
    """The clip audio under a programme interval (pieces when it straddles a cut)."""
    spans: list[AudioSpan] = []
    for seg in timeline.segments:
        rec_in, rec_out = timeline.frames_to_ms(seg.rec_in_frame), timeline.frames_to_ms(seg.rec_out_frame)
        shared = intersection((start_ms, end_ms), (rec_in, rec_out))
        if shared is not None and seg.has_audio:
            shift = timeline.frames_to_ms(seg.src_in_frame) - rec_in
            spans.append(AudioSpan(seg.clip_id, shared[0] + shift, shared[1] + shift))
    return tuple(spans)


# -- one language's files ----------------------------------------------------------------------------

def write_language(ws: Workspace, lang: str, generate: Any) -> tuple[list[Cue], str, dict[str, str]]:
    """Write `lang`'s SRT and VTT unless edited; returns the cues in force, their source and outcomes.

    `generate()` is called only when neither file is editor-owned (so no translation is paid for an
    English file the editor has taken over).
    """
    ledger = ledger_path(ws)
    paths = {fmt: ws.subtitle(lang, fmt) for fmt in FORMATS}
    owned = [fmt for fmt in FORMATS if is_hand_edited(paths[fmt], ledger)]
    if owned:
        master = paths[owned[0]]
        cues = list(read_subtitles(master).cues)
        source = source_of(ws, master)
    else:
        cues, source = list(generate()), "generated"
    outcomes: dict[str, str] = {}
    for fmt in FORMATS:
        outcome = write_if_not_edited(paths[fmt], render_subtitles(cues, "." + fmt), ledger)
        outcomes[paths[fmt].name] = outcome.status
    return cues, source, outcomes


def _fits(lines: Sequence[str], style: Style) -> bool:
    return len(lines) <= style.lines_per_cue and all(len(line) <= style.chars_per_line for line in lines)


def _halves(text: str) -> tuple[str, str]:
    """Split at the word boundary nearest the middle, preferring one after punctuation."""
    words = text.split()
    total = len(text)
    best, best_cost = 1, float("inf")
    for k in range(1, len(words)):
        left = len(" ".join(words[:k]))
        cost = abs(left - total / 2) - (total / 6 if words[k - 1][-1:] in ",.;:!?" else 0)
        if cost < best_cost:
            best, best_cost = k, cost
    return " ".join(words[:best]), " ".join(words[best:])


def english_cues(
    vi_cues: Sequence[Cue], texts: Sequence[str], style: Style, glossary: Glossary, rate: Fraction
) -> tuple[list[Cue], list[dict[str, Any]]]:
    """English cues on the Vietnamese cues' times, one to one where the English fits.

    English that cannot fit two lines is split into two cues sharing the Vietnamese cue's time (by
    characters, with the minimum gap between them) when both halves can stay up long enough; the map
    records it (`{"vi": [3], "en": [3, 4]}`). A cue with no English is left out (`"en": []`).
    English too long to read in its time borrows the silence after it, then is shortened with "…"
    (`"shortened": true` in the map) so every written cue passes lint.
    """
    protected = [t.en for t in glossary.terms]
    gap = math.ceil(style.frames_ms(style.min_gap_frames, rate))
    cues: list[Cue] = []
    cue_map: list[dict[str, Any]] = []
    for vi, text in zip(vi_cues, texts, strict=True):
        if not text.strip():
            cue_map.append({"vi": [vi.index], "en": []})
            continue
        lines = break_lines(text, style, protected)
        if not _fits(lines, style) and vi.duration_ms - gap >= 2 * style.min_duration_ms and len(text.split()) > 1:
            first, second = _halves(text)
            cut = vi.start_ms + (vi.duration_ms - gap) * len(first) // (len(first) + len(second))
            cut = min(max(cut, vi.start_ms + style.min_duration_ms), vi.end_ms - gap - style.min_duration_ms)
            cues.append(Cue(len(cues) + 1, vi.start_ms, cut, break_lines(first, style, protected)))
            cues.append(Cue(len(cues) + 1, cut + gap, vi.end_ms, break_lines(second, style, protected)))
            cue_map.append({"vi": [vi.index], "en": [len(cues) - 1, len(cues)]})
            continue
        cues.append(Cue(len(cues) + 1, vi.start_ms, vi.end_ms, lines))
        cue_map.append({"vi": [vi.index], "en": [len(cues)]})
    cues, shortened = fit_cues(cues, style, rate, protected)
    for entry in cue_map:
        if set(entry["en"]) & set(shortened):
            entry["shortened"] = True
    return cues, cue_map


def _strip_dash(line: str) -> str:
    return line[2:] if line.startswith("- ") else line


# -- the stage ------------------------------------------------------------------------------------------

Settings = SubtitlesSettings


def _backend(programme: Programme, settings: SubtitlesSettings) -> tuple[str, dict[str, Any]]:
    backend = settings.backend or programme.manifest.translation.backend
    options = dict(settings.options if settings.options is not None else programme.manifest.translation.options)
    return backend, options


def _inputs(programme: Programme, ws: Workspace, settings: SubtitlesSettings, transcripts: Sequence[str],
            glossary: Glossary) -> dict[str, Any]:
    backend, options = _backend(programme, settings)
    owned: dict[str, str] = {}
    for lang in LANGS:
        for fmt in FORMATS:
            path = ws.subtitle(lang, fmt)
            if is_hand_edited(path, ledger_path(ws)):
                owned[path.name] = sha256_file(path)
    inputs: dict[str, Any] = {
        "transcripts": {Path(t).name: sha256_file(Path(t)) for t in transcripts},
        "timeline": sha256_file(ws.timeline_json),
        "styles": [load_style(settings.vi_style).to_dict(), load_style(settings.en_style).to_dict()],
        "glossary": glossary.sha256,
        "translation": {"backend": backend, "options": options, "english": settings.english},
        "editor_files": owned,
        "imports": load_imports(ws),
    }
    if backend == "sheet":
        from ..translate.sheet_backend import imported_path

        sheet = imported_path(ws)
        inputs["sheet"] = sha256_file(sheet) if sheet.is_file() else None
    return inputs


def inputs(programme: Programme, ws: Workspace, settings: SubtitlesSettings | None = None) -> dict[str, Any]:
    """`{programme: inputs}`: transcripts under the timeline, the timeline, styles, glossary,
    translation backend and options, and every editor-owned or imported file."""
    settings = settings or SubtitlesSettings()
    timeline = load_timeline(ws.timeline_json)
    _, used = timeline_words(timeline, ws)
    glossary = load_glossary(programme=programme.glossary_path())
    return {stagerun.PROGRAMME: _inputs(programme, ws, settings, used, glossary)}


def outputs(programme: Programme, ws: Workspace) -> list[Path]:
    return [ws.subtitle(lang, fmt) for lang in LANGS for fmt in FORMATS] + [record_path(ws)]


def run(programme: Programme, ws: Workspace, settings: SubtitlesSettings, progress: ProgressFn = ignore,
        clips: tuple[str, ...] | None = None) -> SubtitlesReport:
    """The registry's entry point: `subtitles_programme`."""
    return subtitles_programme(programme, ws, settings, progress=progress)


def proceed(programme: Programme, report: SubtitlesReport) -> bool:
    """Subtitles with lint errors still render: QC reports them against the deliverables."""
    return True


def subtitles_programme(
    programme: Programme,
    ws: Workspace,
    settings: SubtitlesSettings | None = None,
    translator: Translator | None = None,
    progress: ProgressFn = ignore,
) -> SubtitlesReport:
    """Vietnamese then English subtitles for the assembled timeline; nothing written when up to date."""
    began = time.time()
    settings = settings or SubtitlesSettings()
    timeline = load_timeline(ws.timeline_json)
    glossary = load_glossary(programme=programme.glossary_path())
    vi_style, en_style = load_style(settings.vi_style), load_style(settings.en_style)
    backend, options = _backend(programme, settings)
    words, transcripts = timeline_words(timeline, ws)
    wanted = [ws.subtitle(lang, fmt) for lang in (LANGS if settings.english else ("vi",)) for fmt in FORMATS]
    fresh = stagerun.check(ws, STAGE, stagerun.PROGRAMME, _inputs(programme, ws, settings, transcripts, glossary),
                           [record_path(ws), *wanted])
    if fresh.fresh:
        return SubtitlesReport(programme.id, True, record=read_json(record_path(ws)))

    ws.subtitles_dir.mkdir(parents=True, exist_ok=True)
    load_ledger(ledger_path(ws))  # a broken ledger stops us before anything is written
    progress(Progress("subtitles vi", 0, 2, "languages"))
    names = [t.vi for t in glossary.terms]
    vi_cues, vi_source, vi_files = write_language(
        ws, "vi", lambda: segment_words(words, vi_style, timeline.shot_changes_ms, names, timeline.rate))
    spans = speech_spans(words)
    vi_lint = lint(vi_cues, vi_style, timeline.rate, shot_changes_ms=timeline.shot_changes_ms,
                   speech_spans_ms=spans or None)
    write_json_if_changed(lint_path(ws, "vi"), vi_lint.to_dict())
    languages = [LanguageResult("vi", vi_source, len(vi_cues), vi_lint.to_dict(), vi_files)]
    record: dict[str, Any] = {
        "programme": programme.id,
        "languages": {"vi": {"source": vi_source, "backend": "transcript" if vi_source == "generated" else None,
                             "machine_draft": False, "reviewed": vi_source != "generated",
                             "cues": len(vi_cues), "lint": _summary(vi_lint)}},
    }
    if settings.english:
        progress(Progress("subtitles en", 1, 2, "languages"))
        cue_map: list[dict[str, Any]] = []
        engine: list[Translator] = []

        def generate() -> list[Cue]:
            chosen = translator or make_translator(backend, options, ws)
            engine.append(chosen)
            sources = [SourceCue(c.index, c.start_ms, c.end_ms, " ".join(_strip_dash(x) for x in c.lines),
                                 audio_spans(timeline, c.start_ms, c.end_ms)) for c in vi_cues]
            texts = chosen.translate(sources, TranslationContext(glossary, programme.id)) if sources else []
            cues, mapping = english_cues(vi_cues, texts, en_style, glossary, timeline.rate)
            cue_map.extend(mapping)
            return cues

        en_cues, en_source, en_files = write_language(ws, "en", generate)
        en_lint = lint(en_cues, en_style, timeline.rate, shot_changes_ms=timeline.shot_changes_ms)
        write_json_if_changed(lint_path(ws, "en"), en_lint.to_dict())
        languages.append(LanguageResult("en", en_source, len(en_cues), en_lint.to_dict(), en_files))
        machine = bool(engine) and engine[0].is_machine_draft
        record["languages"]["en"] = {
            "source": en_source,
            "backend": engine[0].name if engine else None,
            "machine_draft": machine,
            "reviewed": en_source != "generated" or not machine,
            "cues": len(en_cues),
            "cue_map": cue_map or None,  # None: the English is editor-owned, matched by time only
            "lint": _summary(en_lint),
        }
    record = SubtitlesRecord.from_json(record).to_json()  # the record's one shape, written by its owner
    write_json_if_changed(record_path(ws), record)
    stagerun.record(ws, fresh, [record_path(ws), *wanted], started_at=began)
    progress(Progress("subtitles", 2, 2, "languages"))
    return SubtitlesReport(programme.id, False, tuple(languages), record)


def adopt_cues(ws: Workspace, lang: str, cues: Sequence[Cue], origin: Path) -> list[Path]:
    """Make `cues` the editor-owned `lang` subtitles (SRT and VTT), remembered as imported.

    The files are written outside the ledger, so every later run keeps them as they are.
    """
    ledger = ledger_path(ws)
    load_ledger(ledger)
    imports = load_imports(ws)
    written: list[Path] = []
    for fmt in FORMATS:
        target = ws.subtitle(lang, fmt)
        target.unlink(missing_ok=True)
        release(target, ledger)  # forget what the pipeline wrote there: the next file is the editor's
        write_text(target, render_subtitles(cues, "." + fmt))
        imports[target.name] = {"sha256": sha256_file(target), "from": str(origin), "reviewed": True}
        written.append(target)
    write_json(imports_path(ws), imports)
    return written


def import_sheet_rows(programme: Programme, ws: Workspace, sheet: Path, style_name: str = "en") -> int:
    """Validate a review sheet against the Vietnamese cues in force and adopt its final English.

    Every problem is listed in one SubtitleError; nothing is written unless the whole sheet is good.
    """
    from ..translate.sheet_backend import read_sheet, save_imported, validate_final

    vi_path = ws.subtitle("vi", "srt")
    if not vi_path.is_file():
        raise SubtitleError("no Vietnamese subtitles yet", path=vi_path, hint="run `reportage subtitles make` first")
    vi_cues = read_subtitles(vi_path).cues
    style = load_style(style_name)
    rows = read_sheet(sheet)
    problems = validate_final(rows, len(vi_cues), style)
    if problems:
        raise SubtitleError("the sheet cannot be imported: " + "; ".join(problems), path=sheet)
    glossary = load_glossary(programme=programme.glossary_path())
    protected = [t.en for t in glossary.terms]
    cues: list[Cue] = []
    for row, vi in zip(rows, vi_cues, strict=True):
        given = [" ".join(line.split()) for line in row.final.split("\n") if line.strip()]
        lines = tuple(given) if len(given) > 1 else break_lines(" ".join(row.final.split()), style, protected)
        cues.append(Cue(row.cue, vi.start_ms, vi.end_ms, lines))
    adopt_cues(ws, "en", cues, sheet)
    save_imported(ws, rows, sheet)
    return len(cues)


def _summary(report: LintReport) -> dict[str, Any]:
    return {"errors": len(report.errors), "warnings": len(report.warnings),
            "rules": sorted({i.rule for i in report.issues})}
