"""Subtitle QC for a programme: every language file present and readable, lint against its style,
every stretch of speech covered by a cue, no cue hanging over silence, the cues still a machine's
unreviewed draft counted (each cue's own origin in the record's cue map), the recognised words
nobody has reviewed counted (`plan.subtitles_plan`, measured by `checks.uncertain_words` from the
subtitles record); and,
per deliverable that burns subtitles in, no burned-in cue on top of a lower third
(`lower_third_checks`: a WARN naming each cue, since which one gives way is the editor's call).

The speech spans come from the caller (`subs/speech.py`: transcript words placed on the timeline,
the same rule the subtitles stage segments and lints by), and the machine-draft state from the
subtitles record; this module only judges cues against them, so it needs no audio analysis. Each
verdict carries what it flagged as `spans_s` (programme seconds: the cues sit on the programme's
clock): the uncovered speech, the cues over silence, the cues lint found fault with.

A programme without speech (the subtitles record's `speech: false`) has no subtitle files by design:
each language is one INFO saying so, not a FAIL for missing files. A language whose file is missing
or empty while another language has cues FAILs, naming the other's count and the fix (the English
the translator never returned). Lint runs with the programme's end, so a cue past it FAILs; English
cues shortened with "…" and Vietnamese cues left without English are WARNs naming the cues.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path

from ..errors import ReportageError
from ..intervals import overlap, subtract
from ..manifest import Programme
from ..profiles import Profile
from ..records.subtitles import SubtitlesLanguage
from ..render.branding import lower_third_areas
from ..render.overlap import FIX, LowerThirdArea, Overlap, cue_label, find_overlaps
from ..subs import Cue, Style, lint, load_style, read_subtitles
from ..timecode import Excerpt, Timecode
from ..timeline import Timeline
from ..workspace import Workspace
from .checks import uncertain_words
from .plan import CheckResult, Status, evaluate, subtitles_plan

Span = tuple[int, int]

UNCOVERED_FAIL_MS = 500


def uncovered(speech: Sequence[Span], cues: Sequence[Cue], bridge_ms: float = 0) -> list[Span]:
    """Parts of the speech no cue is on screen for. A gap between two cues no longer than `bridge_ms`
    (`rule_gap_ms`) is not one: the style rules make it (the 2-frame gap between cues, a cue ended
    short of a shot change) or lint reports it as flicker, and a viewer reads across it; counting it
    as speech without subtitles would mark every join of a well-timed file."""
    spans: list[Span] = []
    for cue in sorted(cues, key=lambda c: c.start_ms):
        if spans and cue.start_ms - spans[-1][1] <= bridge_ms:
            spans[-1] = (spans[-1][0], max(spans[-1][1], cue.end_ms))
        else:
            spans.append((cue.start_ms, cue.end_ms))
    return subtract(speech, spans)


def rule_gap_ms(style: Style, rate: Fraction | None) -> float:
    """The longest gap between cues the style's rules account for: below `close_gap_frames` a gap is
    either the required minimum or flicker lint tells to close (milliseconds at `rate`)."""
    return float(style.frames_ms(style.close_gap_frames, rate))


def silent_cues(cues: Sequence[Cue], speech: Sequence[Span], lead_ms: int, hang_ms: int) -> list[tuple[Cue, int]]:
    """Cues with more than a frame on screen outside speech widened by lead-in and hang-on: (cue, ms)."""
    windows = [(a - lead_ms, b + hang_ms) for a, b in speech]
    found: list[tuple[Cue, int]] = []
    for cue in cues:
        covered = sum(overlap((cue.start_ms, cue.end_ms), window) for window in windows)
        silent = cue.duration_ms - covered
        if silent > 40:
            found.append((cue, silent))
    return found


NO_SPEECH = ("the programme has no speech under the timeline: nothing to subtitle, no subtitle files, and the "
             "deliverables carry no subtitle track")


def _without_cues(path: Path, lang: str, problem: str, draft: SubtitlesLanguage | None,
                  others: Mapping[str, int]) -> str:
    """Why a language has a file missing, empty or without cues, and the fix: said against the
    languages that do have cues, and with the subtitles stage's own reason when it recorded one."""
    having = ", ".join(f"{other} has {n} cues" for other, n in others.items() if other != lang and n)
    text = f"{path.name}: {problem}" + (f" while {having}" if having else "")
    if draft is not None and draft.failed:
        return f"{text}: {draft.failed}"
    fix = ("check the translator (`reportage doctor`), then run `reportage subtitles make MANIFEST`" if lang != "vi"
           else "run `reportage subtitles make MANIFEST`")
    return f"{text} — {fix}"


def check_language(path_by_ext: dict[str, Path], lang: str, timeline: Timeline | None,
                   speech: Sequence[Span] | None, draft: SubtitlesLanguage | None, *, no_speech: bool = False,
                   others: Mapping[str, int] | None = None) -> list[CheckResult]:
    """All subtitle checks of one language; `speech` None when it could not be placed. `no_speech`:
    the subtitles record says the programme has none (no files are expected); `others`: the cues of
    each language as the record counts them."""
    others = others or {}
    if no_speech and not any(p.is_file() for p in path_by_ext.values()):
        return [CheckResult(f"subtitles.{lang}", f"Subtitles {lang}", Status.INFO, "none: no speech",
                            "cues for the speech", NO_SPEECH, value=0, unit="cues")]
    results: list[CheckResult] = []
    cues: tuple[Cue, ...] | None = None
    for ext, path in sorted(path_by_ext.items()):
        cid = f"subtitles.{lang}.{ext}"
        if not path.is_file():
            results.append(CheckResult(cid, f"Subtitles {lang} .{ext}", Status.FAIL, "missing", "present",
                                       _without_cues(path, lang, "not found", draft, others)))
            continue
        try:
            doc = read_subtitles(path)
        except ReportageError as exc:
            results.append(CheckResult(cid, f"Subtitles {lang} .{ext}", Status.FAIL, "unreadable", "readable",
                                       _without_cues(path, lang, exc.problem, draft, others)))
            continue
        results.append(CheckResult(cid, f"Subtitles {lang} .{ext}", Status.PASS if doc.cues else Status.FAIL,
                                   f"{len(doc.cues)} cues", "present, ≥ 1 cue",
                                   "" if doc.cues else _without_cues(path, lang, "no cues", draft, others),
                                   value=len(doc.cues), unit="cues"))
        if cues is None:
            cues = doc.cues
    if cues is None:
        return results
    try:
        style = load_style(lang)
    except ReportageError:
        style = load_style("vi")
    rate = timeline.rate if timeline else None
    report = lint(cues, style, rate, shot_changes_ms=timeline.shot_changes_ms if timeline else (),
                  speech_spans_ms=list(speech) if speech else None,
                  end_ms=timeline.duration_ms if timeline else None)
    shown = report.errors or report.warnings
    first = "; ".join(f"cue {i.cue} {i.rule}: {i.message}" for i in shown[:3])
    status = Status.FAIL if report.errors else Status.WARN if report.warnings else Status.PASS
    faulted = sorted({i.cue for i in shown if 1 <= i.cue <= len(cues)})
    notes = tuple(f"cue {n} " + "; ".join(f"{i.rule}: {i.message}" for i in shown if i.cue == n) for n in faulted)
    results.append(CheckResult(f"subtitles.{lang}.lint", f"Subtitles {lang} lint ({style.name})", status,
                               f"{len(report.errors)} errors, {len(report.warnings)} warnings",
                               "no errors", first, value=len(report.errors), unit="errors",
                               spans_s=_seconds((cues[n - 1].start_ms, cues[n - 1].end_ms) for n in faulted),
                               span_notes=notes))
    if speech is None:
        results.append(CheckResult(f"subtitles.{lang}.coverage", f"Subtitles {lang} cover the speech", Status.INFO,
                                   "not measured", "every stretch of speech",
                                   "no transcripts or timeline to find the speech"))
    else:
        frame = 1000 / float(style.frame_rate if rate is None else rate)  # a sliver under a frame is not seen
        gaps = [g for g in uncovered(speech, cues, rule_gap_ms(style, rate)) if g[1] - g[0] >= frame]
        longest = max((b - a for a, b in gaps), default=0)
        where = ", ".join(f"{a / 1000:.1f}–{b / 1000:.1f} s" for a, b in gaps[:4])
        status = Status.FAIL if longest >= UNCOVERED_FAIL_MS else Status.WARN if gaps else Status.PASS
        results.append(CheckResult(f"subtitles.{lang}.coverage", f"Subtitles {lang} cover the speech", status,
                                   f"{len(gaps)} uncovered, longest {longest} ms",
                                   f"none ≥ {UNCOVERED_FAIL_MS} ms", where, value=longest, unit="ms",
                                   spans_s=_seconds(gaps),
                                   span_notes=tuple(f"{b - a} ms of speech without a cue" for a, b in gaps)))
        frame_ms = round(1000 / float(style.frame_rate if rate is None else rate))
        over = silent_cues(cues, speech, style.lead_in_frames * frame_ms, style.hang_on_frames * frame_ms)
        worst_ms = max((ms for _, ms in over), default=0)
        status = Status.FAIL if any(ms >= c.duration_ms - 40 for c, ms in over) else (
            Status.WARN if over else Status.PASS)
        detail = ", ".join(f"cue {c.index} {ms} ms" for c, ms in over[:4])
        results.append(CheckResult(f"subtitles.{lang}.silence", f"Subtitles {lang} over silence", status,
                                   f"{len(over)} cues, longest {worst_ms} ms",
                                   f"≤ lead-in {style.lead_in_frames} / hang-on {style.hang_on_frames} frames",
                                   detail, value=worst_ms, unit="ms",
                                   spans_s=_seconds((c.start_ms, c.end_ms) for c, _ in over),
                                   span_notes=tuple(f"cue {c.index} on screen {ms} ms outside the speech"
                                                    for c, ms in over)))
    results += _machine_draft_check(lang, draft, rate or style.frame_rate, cues)
    results += _short_checks(lang, draft, rate or style.frame_rate, cues)
    measured = {"subtitles.uncertain_words": uncertain_words(draft, cues, rate or style.frame_rate)}
    results += [evaluate(spec, measured) for spec in subtitles_plan(lang) if measured[spec.measure] is not None]
    return results


def _machine_draft_check(lang: str, draft: SubtitlesLanguage | None, rate: Fraction,
                         cues: Sequence[Cue]) -> list[CheckResult]:
    """A WARN counting the cues a machine translator drafted that nobody has reviewed: the cues of
    the file in force whose provenance in the subtitles record is still `machine`, whoever owns the
    file (saving one cue makes that cue a person's, not the others). A record from before each
    cue's provenance was kept goes by its cue map while the file is as the stage made it; one
    without a cue map (older, or the English failed) says it of the language as a whole."""
    if draft is None or (draft.provenance is None and draft.source != "generated"):
        return []
    check, name, target = f"subtitles.{lang}.review", f"Subtitles {lang} reviewed", "reviewed by a translator"
    by = draft.backend or draft.source
    if draft.cue_map is None and draft.provenance is None:
        if not draft.machine_draft or draft.reviewed:
            return []
        return [CheckResult(check, name, Status.WARN, "unreviewed machine draft", target, f"source: {by}")]
    machine = draft.machine_in(cues)
    if not machine:
        return []
    first = cues[machine[0] - 1]
    return [CheckResult(
        check, name, Status.WARN, f"{len(machine)} of {len(cues)} cues an unreviewed machine draft", target,
        f"cues {', '.join(map(str, machine[:8]))}{' …' if len(machine) > 8 else ''}, the first at "
        f"{Timecode.from_seconds(Fraction(first.start_ms, 1000), rate)}, drafted by {by} — review them in "
        "`reportage review`, or with `reportage subtitles export-sheet` and `import-sheet`",
        value=len(machine), unit="cues",
        spans_s=_seconds((cues[n - 1].start_ms, cues[n - 1].end_ms) for n in machine),
        span_notes=tuple(f"cue {n} drafted by {by}, not reviewed" for n in machine))]


def _short_checks(lang: str, draft: SubtitlesLanguage | None, rate: Fraction,
                  cues: Sequence[Cue]) -> list[CheckResult]:
    """WARNs from the subtitles record, while the file is still as the stage made it: English cues
    shortened with "…" (not the whole sentence any more) and Vietnamese cues left without English."""
    if draft is None or draft.source != "generated":
        return []
    out: list[CheckResult] = []
    shortened = [n for n in draft.shortened if 1 <= n <= len(cues)]
    if shortened:
        first = cues[shortened[0] - 1]
        out.append(CheckResult(
            f"subtitles.{lang}.shortened", f"Subtitles {lang}: sentences shown whole", Status.WARN,
            f"{len(shortened)} cues shortened with “…”", "none shortened",
            f"cues {', '.join(map(str, shortened[:8]))}{' …' if len(shortened) > 8 else ''}, the first at "
            f"{Timecode.from_seconds(Fraction(first.start_ms, 1000), rate)}: the sentence did not fit its time — give "
            "it more time in the edit or a shorter English, or edit the cues in `reportage review`",
            value=len(shortened), unit="cues",
            spans_s=_seconds((cues[n - 1].start_ms, cues[n - 1].end_ms) for n in shortened)))
    if draft.untranslated:
        out.append(CheckResult(
            f"subtitles.{lang}.untranslated", f"Subtitles {lang}: every Vietnamese cue translated", Status.WARN,
            f"{len(draft.untranslated)} Vietnamese cues without {lang}", "none",
            f"the translator returned nothing for Vietnamese cues {', '.join(map(str, draft.untranslated[:8]))}"
            f"{' …' if len(draft.untranslated) > 8 else ''} — check it (`reportage doctor`) and run "
            "`reportage subtitles make MANIFEST` again, or write those cues in `reportage review`",
            value=len(draft.untranslated), unit="cues"))
    return out


LOWER_THIRDS_CHECK = "subtitles.burn_in.lower_thirds"


def lower_third_verdict(overlaps: Sequence[Overlap], lang: str, rate: Fraction) -> CheckResult:
    """WARN (never FAIL: the file is deliverable, someone should look) for burned-in cues that sit
    on a lower third, each named with its timecode and the lower third's name; PASS when none do."""
    def tc(seconds: float) -> str:
        return str(Timecode.from_seconds(Fraction(str(seconds)), rate))

    cues = sorted({o.cue.index for o in overlaps})
    where = "; ".join(f"{cue_label(o, rate)} over the lower third \u201c{o.lower_third.name}\u201d "
                      f"({tc(o.start_s)}–{tc(o.end_s)})" for o in overlaps[:4])
    return CheckResult(LOWER_THIRDS_CHECK, f"Burned-in subtitles ({lang}) clear of lower thirds",
                       Status.WARN if overlaps else Status.PASS,
                       f"{len(cues)} cues over a lower third" if overlaps else "none over a lower third",
                       "no burned-in cue over a lower third", f"{where}; {FIX}" if overlaps else "",
                       value=len(cues), unit="cues", spans_s=tuple((o.start_s, o.end_s) for o in overlaps))


def lower_third_checks(programme: Programme, ws: Workspace, timeline: Timeline | None,
                       burning: Mapping[str, tuple[Profile, Excerpt | None]]) -> dict[str, CheckResult]:
    """`lower_third_verdict` of each deliverable in `burning` (name → its profile and the excerpt it
    was rendered from) that burns subtitles in, against the lower thirds as the render placed them
    (`render/branding.lower_third_areas`). Cheap, no decode; none without lower thirds, a timeline or
    a readable subtitle file (the language's own checks say why)."""
    if timeline is None or not programme.manifest.lower_thirds:
        return {}
    areas: list[LowerThirdArea] | None = None
    out: dict[str, CheckResult] = {}
    for name, (profile, excerpt) in burning.items():
        lang = profile.subtitles.burn_in
        if not lang:
            continue
        try:
            cues = read_subtitles(ws.subtitle(lang, "srt")).cues
        except (ReportageError, OSError):
            continue
        areas = lower_third_areas(programme, timeline, ws.graphics_dir) if areas is None else areas
        found = find_overlaps(cues, areas, profile, (timeline.width, timeline.height), excerpt)
        out[name] = lower_third_verdict(found, lang, timeline.rate)
    return out


def _seconds(spans: Iterable[Span]) -> tuple[tuple[float, float], ...]:
    """Millisecond spans as the [start, end] seconds a verdict's `spans_s` holds."""
    return tuple((a / 1000, b / 1000) for a, b in spans)
