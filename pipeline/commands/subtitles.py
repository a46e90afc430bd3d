"""`reportage subtitles …`: make, lint, import, export-sheet, import-sheet.

Click groups cannot also take the manifest as an argument cleanly, so the stage is `subtitles make
MANIFEST`; `show_subtitles` draws its report (also for `reportage run`).
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import click

from .. import ui
from ..errors import SubtitleError
from ..manifest import Programme
from ..records.subtitles import SubtitlesRecord, read_subtitles_record
from ..subs import lint, load_style, read_subtitles
from ..timecode import ms_to_timecode
from ..timeline import load_timeline
from ..validate import fit_to_programme, load_manifest
from .common import Ctx, manifest_arg, pass_ctx

file_arg = click.argument("file", type=click.Path(dir_okay=False, path_type=Path))


@click.group()
def subtitles() -> None:
    """Vietnamese and English subtitles: generate, lint, import edits, review sheets."""


def show_subtitles(c: Ctx, programme: Programme, report: Any) -> None:
    """One line per language, the editor-owned files kept, and a note on unreviewed English."""
    if c.as_json:
        return
    if report.up_to_date:
        ui.say(f"subtitles: {programme.id} up to date (nothing to do)", c.quiet)
        return
    for result in report.languages:
        errors, warnings = result.lint.get("errors", 0), result.lint.get("warnings", 0)
        ui.say(f"subtitles: {programme.id}.{result.lang} {result.source}, {result.cues} cues, "
               f"{errors} lint errors, {warnings} warnings", c.quiet)
        if result.note:
            ui.say(f"  {result.note}", c.quiet)
        for problem in result.problems:
            ui.say(f"  warning: {problem}", c.quiet)
        for name, status in result.files.items():
            if status == "kept-edited":
                ui.say(f"  kept hand-edited {name}", c.quiet)
        if result.needs_review:
            ui.say(f"  look again: {', '.join(result.needs_review)} re-transcribed since the editor's "
                   f"{result.lang} file was last changed (the speech under it may have moved)", c.quiet)
        if result.translated_now:
            ui.say(f"  translated {result.translated_now} cue(s) now; the rest from the script or the cache",
                   c.quiet)
    script = report.record.get("script")
    if script:
        ui.say(f"  script: {script['placed']} of {script['sentences']} sentences placed on the speech", c.quiet)
        for item in script.get("not_in_edit", []):
            ui.say(f"  not in the edit: {item['ref']}: {item['vi'][:70]}", c.quiet)
        for item in script.get("spoken_twice", []):
            ui.say(f"  spoken {len(item['at_ms'])} times: {item['ref']}", c.quiet)
        if script.get("out_of_script_order"):
            ui.say(f"  spoken out of script order: sentence(s) {', '.join(script['out_of_script_order'])}", c.quiet)
        for item in script.get("unscripted_speech", []):
            ui.say(f"  not in the script (recognised text kept) at {item['start_ms'] / 1000:.1f} s: "
                   f"{item['text'][:60]}", c.quiet)
        for note in script.get("notes", []):
            ui.say(f"  {note}", c.quiet)
    record = SubtitlesRecord.from_json(report.record)
    en = record.languages.get("en")
    # cue by cue whoever owns the file (a record from before that: only while it is the stage's)
    machine = en.machine_cues() if en is not None and (en.provenance is not None or en.source == "generated") \
        else []
    if machine:
        ui.say(f"  English has {len(machine)} unreviewed machine-drafted cue(s): `reportage review`, or "
               "`reportage subtitles export-sheet` for review", c.quiet)
    vi = record.languages.get("vi")
    unsure = vi.uncertain_words if vi is not None and vi.uncertain_words else ()
    if unsure:
        words = sum(len(u.words) for u in unsure)
        ui.say(f"  {words} uncertain recognised word(s) in {len(unsure)} Vietnamese cue(s) to hear again: "
               "`reportage review` (key N jumps to the next)", c.quiet)


@subtitles.command("make")
@manifest_arg
@pass_ctx
def make(c: Ctx, manifest: Path) -> None:
    """Write vi/en SRT and VTT for the assembled timeline (hand-edited files are kept).

    Exit status, the same judgement `reportage run` and QC make: 0 when the subtitles are made and
    lint finds no error in a language a deliverable carries; 1 when it does (QC fails those
    deliverables for the same errors; `run` renders them and leaves the verdict to QC), also on a
    rerun with nothing to do while the errors are still there. Lint errors in a language no
    deliverable carries are listed but do not fail, as QC does not check that language. Lint
    warnings never fail. `reportage subtitles lint FILE` lists every issue of a file.
    """
    programme = load_manifest(manifest)
    report = c.run_stage(programme, "subtitles")
    from ..stages.qc import lint_errors_by_delivery

    failing, undelivered = lint_errors_by_delivery(programme, getattr(report, "record", None) or {})
    ws = c.workspace(programme)
    if c.as_json:
        ui.emit_json({**report.to_dict(), "ok": not failing, "stage_ok": report.ok,
                      "delivered_lint_errors": failing, "undelivered_lint_errors": undelivered})
    show_subtitles(c, programme, report)
    c.say_failed_upstream(programme, "subtitles")
    if not c.as_json:
        for lang, count in undelivered.items():
            ui.say(f"  {ws.subtitle(lang, 'srt')}: {count} lint error(s) in a language no deliverable carries "
                   "(QC does not check it)", c.quiet)
        for lang, count in failing.items():
            ui.console.print(f"error: {ws.subtitle(lang, 'srt')}: {count} lint error(s); QC fails the deliverables "
                             f"that carry {lang} — `reportage subtitles lint {ws.subtitle(lang, 'srt')} --profile "
                             f"{lang}` lists them; fix them and run `reportage subtitles make` again",
                             markup=False)
    if failing:
        sys.exit(1)


@subtitles.command("lint")
@file_arg
@click.option("--profile", default="vi", show_default=True, help="Style profile name or YAML path.")
@click.option("--fps", default=None, help="Frame rate for frame-based rules (default: the profile's).")
@pass_ctx
def lint_cmd(c: Ctx, file: Path, profile: str, fps: str | None) -> None:
    """List every rule a subtitle file breaks; exit 1 when there is any error."""
    style = load_style(profile)
    rate = None
    if fps:
        try:
            rate = Fraction(fps)
        except (ValueError, ZeroDivisionError):
            raise click.BadParameter(f"{fps!r} is not a frame rate", param_hint="--fps") from None
    document = read_subtitles(file)
    report = lint(list(document.cues), style, rate)
    if c.as_json:
        data = report.to_dict()
        data["file"] = str(file)
        data["read_notes"] = [{"line": n.line, "message": n.message} for n in document.notes]
        ui.emit_json(data)
    else:
        for note in document.notes:
            ui.console.print(f"{file}:{note.line}: {note.message}", markup=False)
        ui.console.print(report.format_text(str(file)), markup=False)
    if not report.ok:
        sys.exit(1)


@subtitles.command("import")
@manifest_arg
@click.option("--lang", type=click.Choice(["vi", "en"]), required=True)
@file_arg
@click.option("--force", is_flag=True, help="Import even when lint finds errors.")
@pass_ctx
def import_cmd(c: Ctx, manifest: Path, lang: str, file: Path, force: bool) -> None:
    """Take an outside SRT/VTT as the editor-owned version of LANG (checked against the programme and
    linted first).

    A file timed from a programme start timecode (10:00:00:00) is shifted onto the programme with a
    note; cues that would still fall outside the programme refuse the import, as lint errors do.
    """
    programme = load_manifest(manifest)
    from ..subs.adopt import adopt_cues

    document = read_subtitles(file)
    timeline = load_timeline(c.workspace(programme).timeline_json)
    fit = fit_to_programme(document.cues, timeline.duration_ms, timeline.rate)
    cues = list(fit.cues)
    notes = [f"line {n.line}: {n.message}" if n.line else n.message for n in document.notes] + list(fit.notes)
    report = lint(cues, load_style(lang), timeline.rate, shot_changes_ms=timeline.shot_changes_ms)
    if not c.as_json:
        for note in notes:
            ui.say(f"{file}: {note}", c.quiet)
    if fit.problems and not force:
        raise SubtitleError(
            f"{len(fit.problems)} cue(s) outside the {ms_to_timecode(timeline.duration_ms, timeline.rate)} programme "
            f"({'; '.join(fit.problems)}); nothing imported", path=file,
            hint="is this the file for this programme and this cut? Re-time it, or pass --force to import anyway")
    if not report.ok and not force:
        if not c.as_json:
            ui.console.print(report.format_text(str(file)), markup=False)
        raise SubtitleError(f"{len(report.errors)} lint error(s); nothing imported", path=file,
                            hint="fix them, or pass --force to import anyway")
    with c.locked(programme) as ws:
        adopt_cues(ws, lang, cues, file)
    if c.as_json:
        ui.emit_json({"imported": str(file), "lang": lang, "cues": len(cues), "shift_ms": fit.shift_ms,
                      "notes": notes, "outside_programme": list(fit.problems), "lint": report.to_dict()})
    else:
        outside = f", {len(fit.problems)} outside the programme" if fit.problems else ""
        ui.say(f"imported {file} as {programme.id}.{lang} ({len(cues)} cues{outside}, {len(report.errors)} errors, "
               f"{len(report.warnings)} warnings)", c.quiet)


@subtitles.command("export-sheet")
@manifest_arg
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def export_sheet(c: Ctx, manifest: Path, out: Path) -> None:
    """Write a bilingual review sheet (CSV, or XLSX with openpyxl) from the current subtitles.

    After a review, the sheet shows the machine draft under "machine English" and the reviewed
    English under "final English", so a second pass starts from the first one.
    """
    from ..subs.adopt import source_of
    from ..translate.sheet_backend import export_rows, export_timecodes, imported_rows, write_sheet

    programme = load_manifest(manifest)
    ws = c.workspace(programme)
    vi_path, en_path = ws.subtitle("vi", "srt"), ws.subtitle("en", "srt")
    if not vi_path.is_file():
        raise SubtitleError("no Vietnamese subtitles yet", path=vi_path, hint="run `reportage subtitles make` first")
    vi = read_subtitles(vi_path).cues
    en = read_subtitles(en_path).cues if en_path.is_file() else ()
    english = {n: " ".join(e.flat_text for e in en if cue.start_ms <= e.start_ms < cue.end_ms)
               for n, cue in enumerate(vi, 1)}
    record = read_subtitles_record(ws)
    entry = record.languages.get("en") if record else None
    reviewed = en_path.is_file() and (source_of(ws, en_path) != "generated"
                                      or (entry is not None and not entry.machine_draft))
    timecodes = export_timecodes([cue.start_ms for cue in vi], programme.rate)
    rows = export_rows([(tc, cue.flat_text) for tc, cue in zip(timecodes, vi, strict=True)], english,
                       reviewed=reviewed, imported=imported_rows(ws))
    write_sheet(out, rows)
    if c.as_json:
        ui.emit_json({"sheet": str(out), "rows": len(rows), "reviewed": reviewed})
    else:
        ui.say(f"wrote {out} ({len(rows)} cues): fill in 'final English', then `reportage subtitles import-sheet`",
               c.quiet)


@subtitles.command("import-sheet")
@manifest_arg
@file_arg
@pass_ctx
def import_sheet(c: Ctx, manifest: Path, file: Path) -> None:
    """Take a reviewed sheet's final English as the reviewed English subtitles."""
    from ..stages.subtitles import check_sheet, import_sheet_rows

    programme = load_manifest(manifest)
    check_sheet(programme, c.workspace(programme), file)
    with c.locked(programme) as ws:
        count = import_sheet_rows(programme, ws, file)
    if c.as_json:
        ui.emit_json({"imported": str(file), "cues": count, "reviewed": True})
    else:
        ui.say(f"imported {count} reviewed English cues from {file}", c.quiet)

