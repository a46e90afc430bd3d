"""The cue list as the review page shows it, and the edits a reviewer saves.

Every save reads the language's SRT as it is on disk, checks the cue the page edited is still the
one it read (its `version`, a hash of times and text: a different one means someone saved it in
between — `Conflict`, nothing written), applies one edit (text, in/out, split, merge) and hands the
whole list to `subs.adopt.adopt_cues`, the code `reportage subtitles import` uses: both SRT and
VTT are rewritten and become editor-owned (adopted as reviewed), so no later run regenerates them.
Lint runs on the result and the page shows what it found for that cue. The cues a save touched, and
a cue a reviewer marks reviewed without changing it (`mark_reviewed`), are remembered by content in
the review ledger (`records.reviewed`): those cues are reviewed, never the whole file. Each cue shows
its origin in its own language by the rule the subtitles stage records it with (`subs.provenance`,
from the record's provenance of each cue: an English cue the local model drafted stays a machine
draft, whatever its Vietnamese is and whoever saved another cue of the file). Each Vietnamese cue
carries the words the recogniser was unsure of (the subtitles record's, while the cue is as the
stage made it); a cue saved or marked here has none any more.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from .. import stagerun
from ..asr.glossary import Glossary
from ..errors import WorkspaceError
from ..fsutil import nfc
from ..records.reviewed import read_reviewed_cues, remember_reviewed, reviewed_cues_path
from ..records.subtitles import CueOrigin, SubtitlesRecord, cue_key, cue_origins, read_subtitles_record
from ..subs import Cue, LintIssue, LintReport, Style, break_lines, lint, load_style, read_subtitles, renumber
from ..subs.adopt import adopt_cues, adopted_origin
from ..subs.provenance import Vouched, provenance
from ..subs.speech import speech_spans, timeline_words
from ..timecode import ms_to_timecode
from ..timeline import Timeline
from ..workspace import Workspace
from .errors import Conflict, Invalid, NotFound, Unchanged

LANGS = ("vi", "en")
RULE_LABELS = {  # subs.style.RULES in the page's language; the English message goes beside it
    "empty": "Câu trống", "order": "Sai thứ tự thời gian", "overlap": "Chồng lên câu trước",
    "min-gap": "Khoảng cách giữa hai câu quá ngắn", "gap-close": "Khoảng trống ngắn gây nháy, nên khép lại",
    "chars-per-line": "Dòng quá dài", "lines-per-cue": "Quá nhiều dòng", "reading-speed": "Tốc độ đọc quá nhanh",
    "reading-speed-hard": "Tốc độ đọc vượt mức tối đa", "min-duration": "Hiển thị quá ngắn",
    "max-duration": "Hiển thị quá lâu", "shot-change": "Lệch điểm chuyển cảnh",
    "speech-sync": "Hiện quá sớm so với lời",
    "hang-on": "Còn hiện quá lâu sau lời", "speaker-dash": "Thiếu gạch đầu dòng người nói",
    "not-nfc": "Văn bản không ở dạng NFC", "markup": "Có thẻ định dạng", "markup-removed": "Đã bỏ thẻ định dạng",
    "sensitive-word": "Từ nhạy cảm — kiểm tra lại",
    "past-end": "Còn hiện sau khi chương trình kết thúc",
}
SHORTENED = "shortened"  # an English cue cut with "…" to be read in its time: nobody's sentence any more
ORIGIN_LABELS: dict[str, str] = {
    CueOrigin.SCRIPT: "Kịch bản", CueOrigin.RECOGNISED: "Nhận dạng giọng nói", CueOrigin.MACHINE: "Bản dịch máy",
    CueOrigin.REVIEWED: "Đã duyệt", CueOrigin.IMPORTED: "Nhập từ tệp", SHORTENED: "Bản dịch bị cắt ngắn (…)"}


def version_of(cue: Cue) -> str:
    """What the page must send back to save a cue: a hash of its times and text, the key by which
    the subtitles record and the review ledger name the cue (`records.subtitles.cue_key`)."""
    return cue_key(cue)


def edits_path(ws: Workspace) -> Path:
    """The review ledger: the cues a person saved or marked reviewed here (`records.reviewed`)."""
    return reviewed_cues_path(ws)


@dataclass(frozen=True)
class Context:
    """What lint and line breaking need: the timeline (rate, shot changes), the styles, speech, names."""

    timeline: Timeline
    styles: dict[str, Style]
    speech: list[tuple[int, int]] | None
    protected: tuple[str, ...] = ()

    @property
    def rate(self) -> Fraction:
        return self.timeline.rate


def make_context(ws: Workspace, timeline: Timeline, glossary: Glossary | None = None) -> Context:
    try:
        words, _ = timeline_words(timeline, ws, stagerun.failed_targets(ws, "transcribe"))
        speech: list[tuple[int, int]] | None = speech_spans(words) or None
    except WorkspaceError:
        speech = None
    protected = tuple(t.en for t in glossary.terms) + tuple(t.vi for t in glossary.terms) if glossary else ()
    return Context(timeline, {lang: load_style(lang) for lang in LANGS}, speech, protected)


def read_cues(ws: Workspace, lang: str) -> list[Cue]:
    """The cues in force for `lang` (its SRT), [] when there is none yet."""
    path = ws.subtitle(lang, "srt")
    if not path.is_file():
        return []
    return renumber(read_subtitles(path).cues)


def lint_cues(ctx: Context, lang: str, cues: Sequence[Cue]) -> LintReport:
    """The subtitles stage's lint of one language (speech checks for the Vietnamese, as it does)."""
    return lint(list(cues), ctx.styles[lang], ctx.rate, shot_changes_ms=ctx.timeline.shot_changes_ms,
                speech_spans_ms=ctx.speech if lang == "vi" else None, end_ms=ctx.timeline.duration_ms)


def _origins(ws: Workspace, lang: str, cues: Sequence[Cue], unsure: set[str]) -> list[tuple[str, str | None]]:
    """Each cue's origin in `lang` (an English cue cut with "…": `shortened`) and who translated
    it, as the subtitles stage records it on its next run, by the same rule (`subs.provenance`):
    a cue saved or marked here is reviewed, and only it; an untouched cue keeps the origin the
    record gives it wherever its number moved. `unsure`: the keys of cues still holding uncertain
    recognised words."""
    record = read_subtitles_record(ws)
    entry = record.languages.get(lang) if record is not None else None
    vouched = Vouched.of(read_reviewed_cues(ws), lang)
    if entry is not None and entry.provenance is not None:
        fallback = adopted_origin(ws, ws.subtitle(lang, "srt")) or entry.file_origin(lang)
        known = provenance(cues, vouched, None, entry.provenance, unsure, fallback)
        return [(SHORTENED if p.shortened else str(p.origin), p.by) for p in known]
    # a record from before each cue's provenance was kept, or none yet: the file's, or the cue map's
    base, per_cue = _recorded_origins(ws, lang, len(cues))
    keys = [version_of(c) for c in cues]
    return [(CueOrigin.REVIEWED if key in vouched.reviewed else CueOrigin.RECOGNISED if key in unsure
             else per_cue[n] or base, None) for n, key in enumerate(keys)]


def _recorded_origins(ws: Workspace, lang: str, count: int) -> tuple[str, list[str | None]]:
    """The origin of `lang`'s cues as a whole, and each cue's own in that language where the
    subtitles record's cue map names it (an English cue cut with "…": `shortened`), for a record
    without each cue's provenance.

    A file a person owns now (saved here, imported, changed by hand) is theirs as a whole even
    before the stage has run again; a cue the record names keeps the origin it gives.
    """
    record = read_subtitles_record(ws)
    entry = record.languages.get(lang) if record is not None else None
    owner = adopted_origin(ws, ws.subtitle(lang, "srt"))
    if record is None or entry is None:
        fallback = CueOrigin.RECOGNISED if lang == "vi" else CueOrigin.MACHINE
        return str(owner or fallback), [None] * count
    base = owner or entry.file_origin(lang)
    per_cue: list[str | None] = [None] * count
    for n, origin in _named(record, lang).items():
        if 1 <= n <= count:
            per_cue[n - 1] = str(origin)
    if lang == "en":  # cut with "…": nobody's sentence
        for n in (n for mapped in entry.cue_map or () for n in mapped.shortened):
            if 1 <= n <= count:
                per_cue[n - 1] = SHORTENED
    return str(base), per_cue


def _named(record: SubtitlesRecord, lang: str) -> dict[int, CueOrigin]:
    """`lang`'s cues the cue map names (it is kept with the English: which English cues were made
    for which Vietnamese ones), with their origin in `lang`."""
    english = record.languages.get("en")
    return cue_origins(english.cue_map or () if english is not None else (), lang)


def _uncertain(ws: Workspace, lang: str, cues: Sequence[Cue]) -> dict[int, list[dict[str, Any]]]:
    """Per cue number, the uncertain recognised words the subtitles record gives for cues still in
    force as the stage made them: character span in the cue's text, the word, its confidence and
    when it is spoken (programme ms)."""
    record = read_subtitles_record(ws)
    entry = record.languages.get(lang) if record is not None else None
    if entry is None:
        return {}
    return {u.cue: [{"start": w.start, "end": w.end, "text": w.text, "probability": round(w.probability, 3),
                     "at_ms": w.at_ms} for w in u.words] for u in entry.uncertain_in(cues)}


def issue_dict(issue: LintIssue) -> dict[str, Any]:
    """A lint issue for the page: the rule in Vietnamese, lint's own message, value and limit."""
    return {"cue": issue.cue, "rule": issue.rule, "label": RULE_LABELS.get(issue.rule, issue.rule),
            "severity": issue.severity, "message": issue.message,
            "value": issue.value if isinstance(issue.value, int | float | str) else None,
            "limit": issue.limit if isinstance(issue.limit, int | float | str) else None}


def board(ws: Workspace, ctx: Context) -> dict[str, Any]:
    """Both languages' cues with timecodes, version, origin and lint issues, for the page."""
    out: dict[str, Any] = {}
    ledger = read_reviewed_cues(ws)
    for lang in LANGS:
        cues = read_cues(ws, lang)
        report = lint_cues(ctx, lang, cues)
        issues: dict[int, list[dict[str, Any]]] = {}
        for issue in report.issues:
            issues.setdefault(issue.cue, []).append(issue_dict(issue))
        mine = ledger.reviewed_in(lang)
        # a cue still exactly as the machine made it from recognised speech keeps its uncertain
        # words, whoever owns the file now; one a reviewer saved or marked here is reviewed, its words with it
        unsure = {n: words for n, words in _uncertain(ws, lang, cues).items() if version_of(cues[n - 1]) not in mine}
        origins = _origins(ws, lang, cues, {version_of(cues[n - 1]) for n in unsure})
        rows = []
        left = 0
        for n, (cue, (origin, by)) in enumerate(zip(cues, origins, strict=True), 1):
            words = unsure.get(n, [])
            left += len(words)
            rows.append({"no": n, "start_ms": cue.start_ms, "end_ms": cue.end_ms,
                         "tc_in": ms_to_timecode(cue.start_ms, ctx.rate),
                         "tc_out": ms_to_timecode(cue.end_ms, ctx.rate),
                         "text": cue.text, "version": version_of(cue), "origin": origin,
                         "origin_label": ORIGIN_LABELS.get(origin, origin), "by": by, "issues": issues.get(n, []),
                         "uncertain": words})
        out[lang] = {"cues": rows, "errors": len(report.errors), "warnings": len(report.warnings),
                     "exists": ws.subtitle(lang, "srt").is_file(),
                     "uncertain": left}
    return out


# -- edits ------------------------------------------------------------------------------------------

def _lines(text: Any, style: Style, protected: Sequence[str]) -> tuple[str, ...]:
    """The reviewer's line breaks when given, else the house line breaking."""
    body = nfc(str(text if text is not None else "")).replace("\r\n", "\n").replace("\r", "\n")
    given = [" ".join(line.split()) for line in body.split("\n") if line.strip()]
    if not given:
        raise Invalid("a cue cannot be empty (merge it with its neighbour instead)")
    return tuple(given) if len(given) > 1 else break_lines(given[0], style, protected)


def lines_as_saved(ctx: Context, lang: str, text: Any) -> tuple[str, ...]:
    """The lines a save of `text` in `lang` writes (what lint then counts: `review.reading`)."""
    return _lines(text, ctx.styles[lang], ctx.protected)


def _ms(value: Any, what: str) -> int:
    try:
        ms = int(value)
    except (TypeError, ValueError):
        raise Invalid(f"{what} must be whole milliseconds") from None
    if ms < 0:
        raise Invalid(f"{what} is before the start of the programme")
    return ms


def _pick(cues: Sequence[Cue], lang: str, no: int, version: Any) -> Cue:
    if not 1 <= no <= len(cues):
        raise NotFound(f"there is no {lang} cue {no} (the file has {len(cues)})")
    cue = cues[no - 1]
    if version != version_of(cue):
        raise Conflict(f"{lang} cue {no} was changed by someone else since this page read it",
                       hint="reload the cue list and make the change again")
    return cue


def _check_times(cue: Cue, duration_ms: int) -> None:
    if cue.end_ms <= cue.start_ms:
        raise Invalid(f"the out point ({cue.end_ms} ms) must be after the in point ({cue.start_ms} ms)")
    if cue.start_ms >= duration_ms:
        raise Invalid(f"the in point ({cue.start_ms} ms) is past the end of the programme ({duration_ms} ms)")


@dataclass(frozen=True)
class Saved:
    """What a save did: the cue numbers it touched (in the new list) and lint of those cues."""

    lang: str
    touched: list[int]
    issues: list[dict[str, Any]]
    errors: int
    warnings: int

    def to_dict(self) -> dict[str, Any]:
        return {"lang": self.lang, "touched": self.touched, "issues": self.issues,
                "errors": self.errors, "warnings": self.warnings}


Edit = Callable[[list[Cue]], tuple[list[Cue], list[int]]]


def save(ws: Workspace, ctx: Context, lang: str, edit: Edit) -> Saved:
    """Apply `edit` to the cues on disk and adopt the result as the editor's file; lint it."""
    if lang not in LANGS:
        raise NotFound(f"there are no {lang!r} subtitles (vi or en)")
    cues = read_cues(ws, lang)
    if not cues:
        raise NotFound(f"there are no {lang} subtitles yet", hint="run `reportage subtitles make` first")
    new, touched = edit(cues)
    new = renumber(new)
    for cue in new:
        _check_times(cue, ctx.timeline.duration_ms)
    adopt_cues(ws, lang, new, edits_path(ws), CueOrigin.REVIEWED)
    remember_reviewed(ws, lang, [version_of(new[n - 1]) for n in touched])  # these cues, not the file
    report = lint_cues(ctx, lang, new)
    issues = [issue_dict(i) for i in report.issues if i.cue in touched]
    return Saved(lang, touched, issues, len(report.errors), len(report.warnings))


def mark_reviewed(ws: Workspace, ctx: Context, lang: str, no: int, version: Any) -> Saved:
    """A reviewer confirms cue `no` as it is (a machine draft read and found right, a cue's uncertain
    words heard again) without retyping it: the cue is remembered as reviewed by its content, the
    file is not touched (the subtitles stage records it on its next run: the ledger is its input).
    `version` must still be the cue's, as for a save."""
    if lang not in LANGS:
        raise NotFound(f"there are no {lang!r} subtitles (vi or en)")
    cues = read_cues(ws, lang)
    cue = _pick(cues, lang, no, version)
    remember_reviewed(ws, lang, [version_of(cue)])
    report = lint_cues(ctx, lang, cues)
    issues = [issue_dict(i) for i in report.issues if i.cue == no]
    return Saved(lang, [no], issues, len(report.errors), len(report.warnings))


def edit_cue(ctx: Context, lang: str, no: int, version: Any, text: Any = None, start_ms: Any = None,
             end_ms: Any = None) -> Edit:
    """Change a cue's text and/or its in and out points."""
    def apply(cues: list[Cue]) -> tuple[list[Cue], list[int]]:
        cue = _pick(cues, lang, no, version)
        changed = replace(
            cue,
            lines=cue.lines if text is None else _lines(text, ctx.styles[lang], ctx.protected),
            start_ms=cue.start_ms if start_ms is None else _ms(start_ms, "the in point"),
            end_ms=cue.end_ms if end_ms is None else _ms(end_ms, "the out point"))
        if changed == cue:
            raise Unchanged("nothing changed: the cue reads the same once normalised (Unicode NFC)")
        out = [*cues[:no - 1], changed, *cues[no:]]
        out.sort(key=lambda c: (c.start_ms, c.end_ms))
        return out, [out.index(changed) + 1]
    return apply


def _split_text(text: str, share: float) -> tuple[str, str]:
    """Split at the word boundary nearest `share` of the characters."""
    words = text.split()
    if len(words) < 2:
        raise Invalid("a cue of one word cannot be split")
    target = share * len(text)
    best = min(range(1, len(words)), key=lambda k: abs(len(" ".join(words[:k])) - target))
    return " ".join(words[:best]), " ".join(words[best:])


def _split_at_char(text: str, at: Any) -> tuple[str, str]:
    """Split at the caret `at` (a character offset in `text`), moved to the nearest word boundary
    when it is inside a word: a name such as "Khu kinh tế Định An" is never cut mid-word."""
    try:
        caret = int(at)
    except (TypeError, ValueError):
        raise Invalid("the caret position must be a whole number of characters") from None
    bounds = [n for n in range(1, len(text)) if text[n].isspace() != text[n - 1].isspace()]
    inner = [n for n in bounds if text[:n].strip() and text[n:].strip()]
    if not inner:
        raise Invalid("a cue of one word cannot be split")
    best = min(inner, key=lambda n: (abs(n - caret), n))
    return text[:best].strip(), text[best:].strip()


def split_cue(ctx: Context, lang: str, no: int, version: Any, at_ms: Any, at_char: Any = None,
              text: Any = None) -> Edit:
    """Two cues from one: at the playhead (the text divided where the time divides it), or at the
    caret `at_char` in `text` (the cue's own when not given), the time then divided in proportion to
    the characters and put on a frame; the house gap between them."""
    def apply(cues: list[Cue]) -> tuple[list[Cue], list[int]]:
        cue = _pick(cues, lang, no, version)
        style = ctx.styles[lang]
        gap = int(style.frames_ms(style.min_gap_frames, ctx.rate))
        if at_char is not None:
            flat = " ".join(nfc(str(text if text is not None else cue.flat_text)).split())
            first, second = _split_at_char(flat, at_char)
            share = len(first) / (len(first) + len(second))
            frame = ctx.timeline.ms_to_frames(cue.start_ms + round(cue.duration_ms * share))
            at = ctx.timeline.frames_to_ms(frame)
        else:
            at = _ms(at_ms, "the split point")
        if not cue.start_ms < at < cue.end_ms - gap:
            raise Invalid(f"the split point {ms_to_timecode(at, ctx.rate)} is not inside cue {no} "
                          f"({ms_to_timecode(cue.start_ms, ctx.rate)}–{ms_to_timecode(cue.end_ms, ctx.rate)})")
        if at_char is None:
            first, second = _split_text(cue.flat_text, (at - cue.start_ms) / cue.duration_ms)
        a = replace(cue, end_ms=at, lines=break_lines(first, style, ctx.protected))
        b = replace(cue, start_ms=at + gap, lines=break_lines(second, style, ctx.protected))
        return [*cues[:no - 1], a, b, *cues[no:]], [no, no + 1]
    return apply


def merge_cues(ctx: Context, lang: str, no: int, version: Any, next_version: Any) -> Edit:
    """One cue from a cue and the next: from the first's in to the second's out, texts joined."""
    def apply(cues: list[Cue]) -> tuple[list[Cue], list[int]]:
        first = _pick(cues, lang, no, version)
        if no >= len(cues):
            raise NotFound(f"{lang} cue {no} is the last one: there is no next cue to merge with")
        second = _pick(cues, lang, no + 1, next_version)
        text = f"{first.flat_text} {second.flat_text}"
        merged = replace(first, end_ms=max(first.end_ms, second.end_ms),
                         lines=break_lines(text, ctx.styles[lang], ctx.protected),
                         source_ids=first.source_ids + second.source_ids)
        return [*cues[:no - 1], merged, *cues[no + 1:]], [no]
    return apply

