"""Subtitles: Vietnamese cues from the transcripts laid on the timeline, English from a translator.

Editors own what they edit: every file goes through `write_if_not_edited`, and a file whose bytes
differ from what the pipeline wrote is read back, linted and used as it is (its sibling format is
regenerated from it, so SRT and VTT always agree). `subtitles/<id>.subtitles.json` (the
`SubtitlesRecord`) records where each language came from, whether the English is an unreviewed
machine draft, the cue map (each cue's origin in its own language: `records.subtitles.CueMapEntry`),
each cue's provenance (`subs.provenance`: reviewed only where a person saved or marked that cue,
`records.reviewed`; an untouched cue of a person's file keeps the origin the last run gave it),
the lint summary and, per Vietnamese cue of recognised speech, the
words the recogniser was unsure of (`pipeline/uncertain.py`). Freshness is the catalogue's, as for
every stage: a rerun with the same inputs writes nothing at all.

A language without cues has no files at all: a programme without speech (B-roll with music, a drone
sequence) has no Vietnamese and no English subtitles, and its deliverables carry no subtitle track.
An empty SRT is 0 bytes, which players, NLEs and our own reader refuse, and a track with nothing in it
would tell the receiving centre there are subtitles; the record says `speech: false` instead, render
burns and copies nothing, and QC reports it as INFO. Files the pipeline wrote before are removed
(`ownership.withdraw`), an editor's are kept. English that the translator returned nothing for is the
stage's failure by name when none came back at all, a warning naming the cues when some did
(`stagerun.enforce`, the one rule for a stage that produced nothing); no cue is left on screen after
the programme's end (`subs.cues.clamp_to_end`; lint's `past-end` for files an editor owns), and an
English cue shortened with "…" to be read in its time is marked in the cue map (`shortened`), not
counted as the translator's sentence.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import stagerun
from ..asr.glossary import Glossary, load_glossary
from ..errors import NothingProduced, ReportageError, SubtitleError
from ..fsutil import read_json, sha256_file, write_json, write_json_if_changed
from ..intervals import intersection
from ..manifest import Programme
from ..progress import Progress, ProgressFn, ignore
from ..records.reviewed import read_reviewed_cues
from ..records.subtitles import (
    PERSONS,
    RECORD_VERSION,
    CueMapEntry,
    CueOrigin,
    CueProvenance,
    SubtitlesRecord,
    cue_key,
    read_subtitles_record,
    subtitles_record_path,
)
from ..script.align import Alignment, Placement, align
from ..script.units import cue_blocks, english_groups
from ..stagerun import Work
from ..subs import (
    WRITTEN_FORMATS,
    Cue,
    LintReport,
    break_lines,
    lint,
    load_style,
    read_subtitles,
    render_subtitles,
)
from ..subs import segment as segment_words
from ..subs.adopt import adopt_cues, adopted_origin, ledger_path, load_imports, source_of
from ..subs.cues import TimedWord, clamp_to_end
from ..subs.english import EnglishSpan, english_cues
from ..subs.onset import refine_starts
from ..subs.ownership import is_hand_edited, load_ledger, withdraw, write_if_not_edited
from ..subs.provenance import Vouched, common_origin, made_english, provenance
from ..subs.sentences import without_added_ellipsis
from ..subs.speech import sound_breaks_ms, speech_spans, timeline_words
from ..timeline import Timeline, load_timeline
from ..translate import AudioSpan, SourceCue, TranslationContext, Translator, make_translator
from ..translate.cache import TranslationCache, cue_keys
from ..uncertain import read_flagged, uncertain_cues
from ..workspace import Workspace

if TYPE_CHECKING:
    from ..translate.sheet_backend import SheetRow

STAGE = "subtitles"
VERSION = 2  # 2: stray words at a script sentence's edge taken in; a sentence's cues share its time to be read
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
    needs_review: tuple[str, ...] = ()  # clips re-transcribed since the editor's file was last changed
    translated_now: int | None = None  # English: cues sent to the translator this run (the rest: cache, script)
    problems: tuple[str, ...] = ()  # what came back short (untranslated cues, shortened English), with the fix
    note: str = ""  # why the language has no files, when that is as it should be (no speech)

    def to_dict(self) -> dict[str, Any]:
        return {"lang": self.lang, "source": self.source, "cues": self.cues,
                "errors": self.lint.get("errors", 0), "warnings": self.lint.get("warnings", 0), "files": self.files,
                "needs_review": list(self.needs_review), "translated_now": self.translated_now,
                "problems": list(self.problems), "note": self.note}


@dataclass(frozen=True)
class SubtitlesReport:
    programme_id: str
    up_to_date: bool
    languages: tuple[LanguageResult, ...] = ()
    record: dict[str, Any] = field(default_factory=dict)
    failed_upstream: tuple[str, ...] = ()
    """What failed upstream and still stands (`stagerun.Freshness.failed_upstream`): these subtitles
    were made without it (a clip whose transcription failed has no words in them)."""

    @property
    def ok(self) -> bool:
        return all(r.lint.get("errors", 0) == 0 for r in self.languages)

    def to_dict(self) -> dict[str, Any]:
        return {"programme": self.programme_id, "ok": self.ok, "up_to_date": self.up_to_date,
                "languages": [r.to_dict() for r in self.languages], "record": self.record,
                "failed_upstream": list(self.failed_upstream)}


# -- paths and small helpers -------------------------------------------------------------------------

def lint_path(ws: Workspace, lang: str) -> Path:
    return ws.subtitles_dir / f"{ws.programme_id}.{lang}.lint.json"


def cache_file(ws: Workspace) -> Path:
    return ws.subtitles_dir / ".translations.json"


def basis_path(ws: Workspace) -> Path:
    return ws.subtitles_dir / ".editor-basis.json"


def changed_under_editor(ws: Workspace, path: Path, transcripts: Mapping[str, str]) -> tuple[str, ...]:
    """Clips whose transcript changed since the editor's file `path` was last changed (so the words
    it times may no longer be the ones spoken); () when none did.

    The basis (the transcripts an editor-owned file was made against) is remembered the first time
    the file is seen and again whenever the editor changes it: an edit after re-transcription is
    the editor having looked again.
    """
    basis_file = basis_path(ws)
    data = read_json(basis_file) if basis_file.is_file() else {}
    basis = data if isinstance(data, dict) else {}
    digest = sha256_file(path)
    entry = basis.get(path.name)
    if not isinstance(entry, dict) or entry.get("sha256") != digest:
        basis[path.name] = {"sha256": digest, "transcripts": dict(transcripts)}
        write_json(basis_file, basis)
        return ()
    before = entry.get("transcripts") or {}
    changed = {name for name in set(before) | set(transcripts) if before.get(name) != transcripts.get(name)}
    return tuple(sorted(name.removesuffix(".json") for name in changed))


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

def write_language(ws: Workspace, lang: str, generate: Any, transcripts: Mapping[str, str] | None = None,
                   ) -> tuple[list[Cue], str, dict[str, str], tuple[str, ...]]:
    """Write `lang`'s SRT and VTT unless edited; returns the cues in force, their source, outcomes,
    and the clips re-transcribed under an editor's file since it was last changed.

    `generate()` is called only when neither file is editor-owned (so no translation is paid for an
    English file the editor has taken over). No cues: no file (`ownership.withdraw` removes the one
    the pipeline wrote before), never an empty one.
    """
    ledger = ledger_path(ws)
    paths = {fmt: ws.subtitle(lang, fmt) for fmt in FORMATS}
    owned = [fmt for fmt in FORMATS if is_hand_edited(paths[fmt], ledger)]
    stale: tuple[str, ...] = ()
    if owned:
        master = paths[owned[0]]
        cues = list(read_subtitles(master).cues)
        source = source_of(ws, master)
        if transcripts is not None:
            stale = changed_under_editor(ws, master, transcripts)
    else:
        cues, source = list(generate()), "generated"
    outcomes: dict[str, str] = {}
    for fmt in FORMATS:
        if not cues:
            outcomes[paths[fmt].name] = "kept-edited" if fmt in owned else withdraw(paths[fmt], ledger).status
            continue
        outcome = write_if_not_edited(paths[fmt], render_subtitles(cues, "." + fmt), ledger)
        outcomes[paths[fmt].name] = outcome.status
    return cues, source, outcomes, stale


# -- the script ---------------------------------------------------------------------------------------

def _align_script(programme: Programme, ws: Workspace, words: Sequence[TimedWord]) -> Alignment | None:
    """The programme's script placed on the recognised words (None when it has no script), each
    sentence then timed by forced alignment on the CTC model (`pipeline.script.timing`) unless the
    manifest says otherwise (`asr.script_timing`; Whisper programmes time by words by default)."""
    path = programme.script_path()
    if path is None:
        return None
    from ..script.read import read_script

    alignment = align(read_script(path).lines, words)
    if not programme.manifest.asr.forced_script_timing or not alignment.placements:
        return alignment
    from ..asr.vietctc import VietCtcTranscriber
    from ..script.timing import force_times

    def audio_of(clip_id: str) -> Path | None:
        return ws.audio16k(clip_id)

    model = VietCtcTranscriber().loaded()
    return force_times(alignment, words, audio_of, model)[0]


@dataclass
class EnglishDraft:
    """The English for each Vietnamese cue, each cue's origin, and what translated it."""

    spans: list[EnglishSpan]
    origins: list[CueMapEntry]  # one per span, its cue numbers not yet filled in
    used: list[Translator]
    translated_now: int  # texts (sentences) sent to the translator this time (the rest came from the cache)
    backend: str | None  # who translated the machine cues (None: the script had all the English)
    expected: int = 0  # texts (sentences, or cues for a sheet) whose English was asked of the translator
    empty: int = 0  # those it returned nothing for
    unit: str = "sentences"
    untranslated: list[int] = field(default_factory=list)  # the Vietnamese cues of those texts


def _english_texts(
    vi_cues: Sequence[Cue], blocks: Sequence[Placement | None], timeline: Timeline, glossary: Glossary,
    programme: Programme, make: Callable[[], Translator], backend: str, options: Mapping[str, Any],
    cache_path: Path | None, depends_on: Mapping[str, Any] | None = None, words: Sequence[TimedWord] = (),
) -> EnglishDraft:
    """One English text per group of Vietnamese cues, where each came from, and the translator used.

    Script sentences with English take the translator's sentence, shared across their cues; script
    sentences without it are machine-translated whole (from the script's Vietnamese), then shared.
    Recognised speech is cut into sentences (`subs.sentences`: punctuation, pauses in `words`, the
    edit); each is machine-translated whole with the sentence before and after it as context, and its
    English shared across its cues like a script sentence's. The `sheet` backend's English is a
    reviewer's, row by Vietnamese cue, so with it recognised speech goes cue by cue, as the sheet
    was made. The translator is made only when needed.
    """
    by_sentence = backend != "sheet"

    def clip_at(ms: int) -> tuple[str, int] | None:
        spans = audio_spans(timeline, ms, ms + 1)
        return (spans[0].clip_id, spans[0].start_ms) if spans else None

    units = english_groups(vi_cues, blocks, words, clip_at, by_sentence)
    texts = [""] * len(units)
    origins = [CueMapEntry((), (), CueOrigin.SCRIPT if unit.placement else CueOrigin.RECOGNISED,
                           sentence=unit.placement.sentence.ref if unit.placement else None) for unit in units]
    said = [(number, text, start, end) for number, unit in enumerate(units) for text, start, end in unit.said]
    wanted: list[tuple[int, SourceCue]] = []  # (position in `said`, what to translate)
    for k, (number, text, start, end) in enumerate(said):
        unit = units[number]
        if unit.script_english:
            continue
        before: str | None = None
        after: str | None = None
        if by_sentence:  # the sentences around it, whoever's English they have
            before = said[k - 1][1] if k > 0 else ""
            after = said[k + 1][1] if k + 1 < len(said) else ""
        wanted.append((k, SourceCue(len(wanted) + 1, start, end, text, audio_spans(timeline, start, end),
                                    before, after)))
    for number, unit in enumerate(units):
        if unit.script_english:
            texts[number] = unit.script_english
            origins[number] = replace(origins[number], en_origin=CueOrigin.SCRIPT)

    def spans() -> list[EnglishSpan]:
        return [EnglishSpan(tuple(vi_cues[k].index for k in unit.cues), vi_cues[unit.cues[0]].start_ms,
                            vi_cues[unit.cues[-1]].end_ms, text) for unit, text in zip(units, texts, strict=True)]

    used: list[Translator] = []
    if not wanted:
        return EnglishDraft(spans(), origins, used, 0, None)
    sources = [source for _, source in wanted]
    keys = cue_keys(sources, {"backend": backend, "options": options, "glossary": glossary.sha256,
                              **(depends_on or {})})
    cache = TranslationCache(cache_path) if cache_path is not None else None
    entries: list[dict[str, Any] | None] = cache.lookup(keys) if cache is not None else [None] * len(keys)
    missing = [n for n, entry in enumerate(entries) if entry is None]
    found: dict[str, dict[str, Any]] = {}
    if missing:
        chosen = make()
        used.append(chosen)
        fresh = [replace(sources[n], index=k + 1) for k, n in enumerate(missing)]
        english = chosen.translate(fresh, TranslationContext(glossary, programme.id))
        for n, text in zip(missing, english, strict=True):
            entry = {"en": text, "by": chosen.name, "machine": chosen.is_machine_draft}
            entries[n] = entry
            # a fallback's English is not remembered as the backend's, nor nothing as an answer
            if chosen.name == backend and str(text).strip():
                found[keys[n]] = entry
    if cache is not None:
        cache.store(keys, found)
    english_of: dict[int, list[str]] = {}
    done_of: dict[int, list[dict[str, Any]]] = {}
    for (k, source), done in zip(wanted, entries, strict=True):
        assert done is not None
        line = str(done["en"])
        if by_sentence:
            line = without_added_ellipsis(line, source.text)
        number = said[k][0]
        english_of.setdefault(number, []).append(line)
        done_of.setdefault(number, []).append(done)
    for number, parts in english_of.items():
        texts[number] = " ".join(part for part in parts if part)
        machine = any(done.get("machine") for done in done_of[number])
        by = list(dict.fromkeys(str(done.get("by")) for done in done_of[number]))
        # English from a translator that is no machine (the review sheet) is a person's
        origins[number] = replace(origins[number], en_origin=CueOrigin.MACHINE if machine else CueOrigin.REVIEWED,
                                  translated_by=", ".join(by))
    by_first = used[0].name if used else str(entries[0]["by"]) if entries and entries[0] else None
    lost = {said[k][0] for (k, _), done in zip(wanted, entries, strict=True) if done is not None
            and not str(done["en"]).strip()}
    untranslated = sorted(vi_cues[k].index for number in lost for k in units[number].cues)
    empty = sum(1 for done in entries if done is not None and not str(done["en"]).strip())
    return EnglishDraft(spans(), origins, used, len(missing), by_first, len(wanted), empty,
                        "sentences" if by_sentence else "cues", untranslated)


# -- the stage ------------------------------------------------------------------------------------------

Settings = SubtitlesSettings


def _backend(programme: Programme, settings: SubtitlesSettings) -> tuple[str, dict[str, Any]]:
    """The translation backend and its options; a relative `model_path` is the manifest folder's."""
    backend = settings.backend or programme.manifest.translation.backend
    options = dict(settings.options if settings.options is not None else programme.manifest.translation.options)
    model_path = options.get("model_path")
    if isinstance(model_path, str) and model_path.strip() and not Path(model_path).expanduser().is_absolute():
        options["model_path"] = str(programme.base_dir / model_path)
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
        "reviewed_cues": read_reviewed_cues(ws).to_json(),  # a cue marked reviewed changes no file
        "script": _script_key(programme),
        "script_timing": SCRIPT_TIMING if programme.manifest.asr.forced_script_timing else "heard",
        "record": RECORD_VERSION,
    }
    if backend == "llama":  # the model's identity: a whisper fallback is redone once the model is there
        from ..translate.llama_backend import model_identity

        inputs["llama_model"] = model_identity(options)
    if backend == "sheet":
        from ..translate.sheet_backend import imported_path

        sheet = imported_path(ws)
        inputs["sheet"] = sha256_file(sheet) if sheet.is_file() else None
    return inputs


SCRIPT_TIMING = "forced-ctc/1"
"""How script sentences are timed (part of the stage's inputs: a change re-times them)."""


def _script_key(programme: Programme) -> dict[str, str] | None:
    """The script as an input: its name and content hash (None when the programme has none)."""
    path = programme.script_path()
    if path is None:
        return None
    if not path.is_file():
        raise SubtitleError("the programme's script is missing", path=path,
                            hint="fix `script:` in the manifest, or remove it")
    return {"name": path.name, "sha256": sha256_file(path)}


def settings(programme: Programme | None = None, **options: Any) -> SubtitlesSettings:
    """The stage's settings: the manifest's translator unless `backend` names another."""
    return SubtitlesSettings(**options)


def plan(programme: Programme, ws: Workspace, settings: SubtitlesSettings | None = None) -> dict[str, Any]:
    """`{programme: inputs}`: transcripts under the timeline, the timeline, styles, glossary,
    translation backend and options, and every editor-owned or imported file."""
    settings = settings or SubtitlesSettings()
    timeline = load_timeline(ws.timeline_json)
    _, used = timeline_words(timeline, ws, stagerun.failed_targets(ws, "transcribe"))
    glossary = load_glossary(programme=programme.glossary_path())
    return {stagerun.PROGRAMME: _inputs(programme, ws, settings, used, glossary)}


def make(programme: Programme, ws: Workspace, settings: SubtitlesSettings, work: Work) -> SubtitlesReport:
    """The registry's entry point: `subtitles_programme`."""
    return subtitles_programme(programme, ws, settings, progress=work.progress, work=work)


def proceed(programme: Programme, report: SubtitlesReport) -> bool:
    """Subtitles with lint errors still render: QC reports them against the deliverables."""
    return True


def subtitles_programme(
    programme: Programme,
    ws: Workspace,
    settings: SubtitlesSettings | None = None,
    translator: Translator | None = None,
    progress: ProgressFn = ignore,
    work: Work | None = None,
) -> SubtitlesReport:
    """Vietnamese then English subtitles for the assembled timeline; nothing written when up to date.

    NothingProduced (`stagerun.enforce`) when the translator returned no English at all for
    Vietnamese cues that needed it: the English files the pipeline wrote before are removed, the
    record says why, and nothing downstream takes the old English for the new."""
    began = time.time()
    work = work or Work.of(ws, STAGE, VERSION)
    settings = settings or SubtitlesSettings()
    timeline = load_timeline(ws.timeline_json)
    glossary = load_glossary(programme=programme.glossary_path())
    vi_style, en_style = load_style(settings.vi_style), load_style(settings.en_style)
    backend, options = _backend(programme, settings)
    # a clip whose transcription failed is a gap (its old words were removed), said as failed upstream
    failed_clips = stagerun.failed_targets(ws, "transcribe")
    words, transcripts = timeline_words(timeline, ws, failed_clips)
    gaps = sorted({seg.clip_id for seg in timeline.segments if seg.has_audio} & failed_clips)
    # The files in force are the ones the last run recorded (a language without cues has none).
    fresh = work.check(stagerun.PROGRAMME, _inputs(programme, ws, settings, transcripts, glossary),
                       [subtitles_record_path(ws)])
    failed_upstream = tuple(f.line() for f in fresh.failed_upstream)
    if fresh.fresh:
        return SubtitlesReport(programme.id, True, record=read_json(subtitles_record_path(ws)),
                               failed_upstream=failed_upstream)

    ws.subtitles_dir.mkdir(parents=True, exist_ok=True)
    load_ledger(ledger_path(ws))  # a broken ledger stops us before anything is written
    vouched = read_reviewed_cues(ws)  # the cues a person saved, marked or brought in, by content
    earlier = _earlier(ws)  # what the last run said of each cue: kept for the ones still untouched
    progress(Progress("subtitles vi", 0, 2, "languages"))
    names = [t.vi for t in glossary.terms]
    alignment = _align_script(programme, ws, words)
    cue_words = refine_starts(alignment.words if alignment else words, timeline, ws)
    heard = {Path(t).name: sha256_file(Path(t)) for t in transcripts}
    breaks = sound_breaks_ms(timeline)  # no cue joins speech across a cut where the sound changes
    end_ms = timeline.duration_ms  # nothing on screen after the programme's last frame

    def machine_vi() -> list[Cue]:
        cues = clamp_to_end(segment_words(cue_words, vi_style, timeline.shot_changes_ms, names, timeline.rate,
                                          sound_breaks_ms=breaks), end_ms)
        stagerun.enforce(stagerun.shortfall(
            "Vietnamese", "the cue maker", 0 if cues else len(cue_words), len(cue_words), "recognised words",
            "run `reportage subtitles make MANIFEST -vv` again and report it with the transcripts",
            ws.subtitle("vi", "srt")))
        return cues

    vi_cues, vi_source, vi_files, vi_stale = write_language(ws, "vi", machine_vi, heard)
    uncertain = uncertain_cues(vi_cues, cue_words, read_flagged(timeline, transcripts),
                               (lambda: vi_cues) if vi_source == "generated" else machine_vi)
    uncertain = [u for u in uncertain if cue_key(u) not in vouched.reviewed_in("vi")]  # a person heard them
    blocks = cue_blocks(vi_cues, alignment)
    vi_provenance = provenance(
        _in_force(ws, "vi", vi_cues), Vouched.of(vouched, "vi"),
        [CueProvenance("", CueOrigin.SCRIPT if b else CueOrigin.RECOGNISED) for b in blocks]
        if vi_source == "generated" else None,
        _provenance_of(earlier, "vi"), {cue_key(u) for u in uncertain}, _fallback(ws, "vi"))
    spans = speech_spans(words)
    vi_lint = lint(vi_cues, vi_style, timeline.rate, shot_changes_ms=timeline.shot_changes_ms,
                   speech_spans_ms=spans or None, end_ms=end_ms)
    write_json_if_changed(lint_path(ws, "vi"), vi_lint.to_dict())
    # no speech is known only when every clip with sound was heard; a failed one may hold some
    no_speech = not words and not vi_cues and not gaps
    silent_note = ("no speech under the timeline: no subtitle files, and the deliverables carry no subtitle "
                   "track" if no_speech else "")
    if gaps and not vi_cues:
        silent_note = (f"no words under the timeline: the transcription of {', '.join(gaps)} failed — fix it "
                       "(`reportage transcribe MANIFEST`), then run again")
    languages = [LanguageResult("vi", vi_source, len(vi_cues), vi_lint.to_dict(), vi_files, vi_stale,
                                note=silent_note)]
    vi_backend = ("script" if alignment and alignment.placements else "transcript") if vi_source == "generated" \
        else None
    record: dict[str, Any] = {
        "programme": programme.id,
        "speech": True if words else None if gaps else False,
        "languages": {"vi": {"source": vi_source, "backend": vi_backend, "machine_draft": False,
                             # a person's, every cue of it (not: one cue of the file)
                             "reviewed": bool(vi_provenance) and all(p.origin in PERSONS for p in vi_provenance),
                             "cues": len(vi_cues), "lint": _summary(vi_lint), "needs_review": list(vi_stale),
                             "uncertain_words": [u.to_json() for u in uncertain],
                             "provenance": [p.to_json() for p in vi_provenance]}},
    }
    if alignment is not None:
        record["script"] = {"file": str(programme.script_path()), **alignment.report(),
                            "notes": list(alignment.notes)}
    if settings.english:
        progress(Progress("subtitles en", 1, 2, "languages"))
        cue_map: list[CueMapEntry] = []
        engine: list[Translator] = []
        drafts: list[EnglishDraft] = []
        problems: list[str] = []

        def generate() -> list[Cue]:
            draft = _english_texts(vi_cues, blocks, timeline, glossary, programme,
                                   lambda: translator or make_translator(backend, options, ws),
                                   translator.name if translator else backend, options,
                                   # a sheet is read afresh (its file is the input); whisper hears the audio
                                   None if backend == "sheet" else cache_file(ws),
                                   {"transcripts": heard} if backend == "whisper" else None, cue_words)
            engine.extend(draft.used)
            drafts.append(draft)
            short = stagerun.enforce(stagerun.shortfall(  # none at all: the stage fails by name
                "English", f"the translator ({draft.backend or backend})", draft.empty, draft.expected,
                draft.unit, "check the backend (`reportage doctor`) or choose another (`translation: {backend: …}` "
                "in the manifest), then run `reportage subtitles make MANIFEST` again", ws.subtitle("en", "srt")))
            if short is not None:
                problems.append(f"{short} (in Vietnamese cues {_numbers(draft.untranslated)})")
            cues, mapping = english_cues(draft.spans, en_style, timeline.rate, [t.en for t in glossary.terms],
                                         end_ms=end_ms)
            # the Vietnamese cues' origin as each cue's provenance has it (a person's cue is theirs)
            cue_map.extend(replace(origin, vi=tuple(entry["vi"]), en=tuple(entry["en"]),
                                   vi_origin=common_origin(entry["vi"], vi_provenance, origin.vi_origin),
                                   shortened=tuple(entry.get("shortened") or ()))
                           for entry, origin in zip(mapping, draft.origins, strict=True))
            return clamp_to_end(cues, end_ms, drop=False)  # the cue map's numbers stay

        try:
            en_cues, en_source, en_files, en_stale = write_language(ws, "en", generate, heard)
        except NothingProduced as exc:
            _english_failed(ws, programme, record, drafts, exc)
            raise
        en_lint = lint(en_cues, en_style, timeline.rate, shot_changes_ms=timeline.shot_changes_ms, end_ms=end_ms)
        write_json_if_changed(lint_path(ws, "en"), en_lint.to_dict())
        en_provenance = provenance(
            _in_force(ws, "en", en_cues), Vouched.of(vouched, "en"),
            made_english(cue_map, len(en_cues)) if en_source == "generated" else None,
            _provenance_of(earlier, "en"), fallback=_fallback(ws, "en"))
        # the cue map says what the stage made; where all of an entry's cues are now a person's, so does it
        cue_map = [replace(entry, en_origin=common_origin(entry.en, en_provenance, entry.en_origin))
                   for entry in cue_map]
        shortened = [n for n, p in enumerate(en_provenance, 1) if p.shortened]
        if shortened:
            problems.append(f"English: {len(shortened)} cue(s) shortened with “…” to be read in their time (cues "
                            f"{_numbers(shortened)}): they no longer show the whole sentence — give it more time in "
                            "the edit or a shorter English, or edit those cues in `reportage review`")
        languages.append(LanguageResult("en", en_source, len(en_cues), en_lint.to_dict(), en_files, en_stale,
                                        drafts[0].translated_now if drafts else None, tuple(problems),
                                        silent_note if not en_cues and no_speech else ""))
        machine = any(p.origin is CueOrigin.MACHINE for p in en_provenance)  # cue by cue, whoever owns the file
        draft = drafts[0] if drafts else None
        en_backend = draft.backend or "script" if draft else _translated_by(en_provenance)
        record["languages"]["en"] = {
            "source": en_source,
            "backend": en_backend,
            "machine_draft": machine,
            # a sentence cut with "…" is nobody's: someone must look at it, as at a machine draft
            "reviewed": not (machine or shortened),
            "provenance": [p.to_json() for p in en_provenance],
            "cues": len(en_cues),
            "needs_review": list(en_stale),
            # None: the English is editor-owned, matched by time only
            "cue_map": [entry.to_json() for entry in cue_map] or None,
            "lint": _summary(en_lint),
            "shortened": shortened,
            "untranslated": draft.untranslated if draft else [],
        }
    record = SubtitlesRecord.from_json(record).to_json()  # the record's one shape, written by its owner
    write_json_if_changed(subtitles_record_path(ws), record)
    written = [ws.subtitle(lang, fmt) for lang in LANGS for fmt in FORMATS]
    work.done(fresh, [subtitles_record_path(ws), *(p for p in written if p.is_file())], started_at=began)
    progress(Progress("subtitles", 2, 2, "languages"))
    return SubtitlesReport(programme.id, False, tuple(languages), record, failed_upstream)


def _earlier(ws: Workspace) -> SubtitlesRecord | None:
    """The record the last run wrote (None: none, or one this reportage cannot read, so nothing is
    carried from it)."""
    try:
        return read_subtitles_record(ws)
    except (ReportageError, OSError, ValueError):
        return None


def _provenance_of(record: SubtitlesRecord | None, lang: str) -> tuple[CueProvenance, ...] | None:
    entry = record.languages.get(lang) if record is not None else None
    return entry.provenance if entry is not None else None


def _translated_by(cues: Sequence[CueProvenance]) -> str | None:
    """Who translated the cues of a person's file that are still a translator's (None: none are)."""
    return ", ".join(dict.fromkeys(p.by for p in cues if p.by)) or None


def _fallback(ws: Workspace, lang: str) -> CueOrigin:
    """The origin of a cue nothing else names: a person's (imported, for a file brought in whole
    before imports were kept by cue)."""
    owners = {adopted_origin(ws, ws.subtitle(lang, fmt)) for fmt in FORMATS} - {None}
    return CueOrigin.IMPORTED if owners == {CueOrigin.IMPORTED} else CueOrigin.REVIEWED


def _in_force(ws: Workspace, lang: str, cues: Sequence[Cue]) -> Sequence[Cue]:
    """`cues` as a reader finds them in the SRT just written or kept (their keys are what the review
    room and QC see); the stage's own when the file holds other ones (it always holds these)."""
    path = ws.subtitle(lang, "srt")
    if not cues or not path.is_file():
        return cues
    read = read_subtitles(path).cues
    return read if len(read) == len(cues) else cues


def _numbers(numbers: Sequence[int], shown: int = 8) -> str:
    """`3, 4, 9 …` : the first cue numbers of a list."""
    head = ", ".join(str(n) for n in numbers[:shown])
    return head + (" …" if len(numbers) > shown else "")


def _english_failed(ws: Workspace, programme: Programme, record: dict[str, Any], drafts: Sequence[EnglishDraft],
                    exc: NothingProduced) -> None:
    """No English came back at all: the English files the pipeline wrote before go (no earlier
    English outlives the cues it was made for), and the record says why, before the stage fails."""
    ledger = ledger_path(ws)
    for fmt in FORMATS:
        withdraw(ws.subtitle("en", fmt), ledger)
    draft = drafts[0] if drafts else None
    record["languages"]["en"] = {
        "source": "generated", "backend": draft.backend if draft else None, "machine_draft": True,
        "reviewed": False, "cues": 0, "needs_review": [], "cue_map": None, "lint": {},
        "untranslated": draft.untranslated if draft else [], "failed": exc.one_line(),
    }
    write_json_if_changed(subtitles_record_path(ws), SubtitlesRecord.from_json(record).to_json())


def check_sheet(programme: Programme, ws: Workspace, sheet: Path,
                style_name: str = "en") -> tuple[list[SheetRow], tuple[Cue, ...]]:
    """A review sheet's rows and the Vietnamese cues in force they were checked against (count,
    numbering, timecodes, the final English's fit); every problem, each with its row, in one
    SubtitleError. `import-sheet` checks before it waits for the programme's lock and the import
    checks again under it: one check, so the two cannot disagree."""
    from ..translate.sheet_backend import export_timecodes, read_sheet, validate_final

    vi_path = ws.subtitle("vi", "srt")
    if not vi_path.is_file():
        raise SubtitleError("no Vietnamese subtitles yet", path=vi_path, hint="run `reportage subtitles make` first")
    vi_cues = read_subtitles(vi_path).cues
    rows = read_sheet(sheet)
    problems = validate_final(rows, len(vi_cues), load_style(style_name),
                              export_timecodes([c.start_ms for c in vi_cues], programme.rate))
    if problems:
        raise SubtitleError("the sheet cannot be imported: " + "; ".join(problems), path=sheet)
    return rows, vi_cues


def import_sheet_rows(programme: Programme, ws: Workspace, sheet: Path, style_name: str = "en") -> int:
    """Validate a review sheet against the Vietnamese cues in force and adopt its final English.

    Every problem is listed in one SubtitleError; nothing is written unless the whole sheet is good.
    """
    from ..translate.sheet_backend import save_imported

    rows, vi_cues = check_sheet(programme, ws, sheet, style_name)
    style = load_style(style_name)
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
