"""The social package put together: what each platform gets, for the programme and its social cut.

Two steps, so the package can be made (and tested) from plain data. `gather_social` reads what the
earlier stages left — the render record, the timeline and its markers, the subtitles and their
record, the script's sections, the shot lists, the glossary — into `SocialInputs`. `build_social`
makes the package from those inputs alone, into the folder it is given (the publish stage makes
that folder whole or not at all, `fsutil.atomic_dir`): one `PlatformSheet` per platform,
`social.json` and `social.html` (`sheet.write_sheet`), the thumbnails and the upload SRTs.

YouTube takes the whole programme: the landscape web render, a 1280×720 thumbnail of the
programme's title, title and description in Vietnamese and English (the description with the
chapters, credits, co-producers and hashtags, held to YouTube's bytes), and the subtitles as plain
UTF-8 SRT. Every other platform takes the social cut, the vertical render: a caption of the cut's
title with hashtags, the 1080×1920 thumbnail, the file measured against the platform's limits
(`platforms.check_video`) and the text burned into it against the platform's safe zone. A manifest
with several social cuts gets one set of vertical sheets per further cut (`MoreCut`): its own title,
platforms, render and thumbnail, its sheets keyed `<platform>-<k>`; the first cut's are as ever.

What breaks a limit (the platform refuses the file, cuts the text, or covers it with its buttons)
is a problem; advice (a text shortened, a subtitle file missing) is a note. YouTube's chapter rules
are always notes: a programme with too few or too short chapters uploads all the same, YouTube just
shows no chapters, and the description then lists none.

Hashtags are the glossary's terms (place names, the programme's subjects) that the title and
synopsis name, in the order they name them: words the department already spells with care. A
programme whose glossary names none of them takes the short parts of its title ("Trà Vinh").

Everything written is NFC and nothing is downloaded: the fonts and the platform rules ship with
reportage.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ... import stagerun
from ...asr.glossary import load_glossary
from ...errors import MediaError, ReportageError, SubtitleError
from ...fonts import FontError
from ...fsutil import nfc
from ...manifest import Programme, SocialCut
from ...profiles import Profile, ProfileError, programme_profile
from ...records.publish import PublishedSocial
from ...records.shots import ShotList, read_shots
from ...records.subtitles import read_subtitles_record
from ...render.branding import BrandingSettings, lower_third_areas, plan_branding
from ...render.overlap import Rect, placement_for, subtitle_rect
from ...render.state import RenderedDeliverable, RenderRecord, read_render_record
from ...script import read_script
from ...script.model import ScriptLine
from ...subs import read_subtitles
from ...subs.cues import Cue
from ...timecode import Timecode
from ...timeline import Timeline, load_timeline
from ...workspace import Workspace, stored_path
from ..web import STREAM_DELIVERABLE
from .chapters import Chapters, programme_chapters
from .platforms import (
    DEFAULT_SOCIAL_PLATFORMS,
    YOUTUBE,
    Box,
    Finding,
    Platform,
    TextLimit,
    check_text_zone,
    check_video,
    platform,
)
from .sheet import Field, PlatformSheet, write_sheet
from .texts import (
    DescriptionParts,
    Fitted,
    caption,
    description,
    hashtags,
    no_angle_brackets,
    within,
    write_upload_srt,
    youtube_title,
)
from .thumbs import (
    LANDSCAPE,
    MAX_BYTES,
    PORTRAIT,
    Thumbnail,
    candidate_times,
    even_times,
    make_thumbnail,
    pick_frame,
)

PACKAGE_VERSION = 2  # 2: thumbnails clear of the graphics
"""Raised when the same inputs would make another package (`social_inputs_key`)."""
LANDSCAPE_DELIVERABLES = ("web-1080p", "web-720p")
"""The renders YouTube takes the programme from, best first."""
CUT_DELIVERABLE = "social-9x16"
"""The social cut; else any deliverable whose profile is `vertical`."""
LANGS = ("vi", "en")
MAX_TAGS = 5
CUT_TAGS = 3
"""Hashtags in a vertical caption: the feed shows a line or two."""
CHAPTER_CHECKS = frozenset({"chapter source", "chapter start", "first chapter", "chapter count", "chapter length"})
"""Findings of YouTube's chapter rules: notes whatever their level (the upload is not refused)."""
_TITLE_PARTS = re.compile(r"\s+[–—|:/-]\s+")


@dataclass(frozen=True)
class SocialCredit:
    """A credit as the descriptions list it: the role in each language, and the name."""

    role_vi: str
    role_en: str
    name: str

    def in_lang(self, lang: str) -> tuple[str, str]:
        return (self.role_en if lang == "en" else self.role_vi), self.name


@dataclass(frozen=True)
class CutText:
    """A text burned into the social cut and the box (x, y, w, h) it covers on the cut's picture.

    `slack_px`: how far past a safe zone the box may reach and still be inside it. A burned-in
    subtitle's box is where libass puts the text, plus its outline all round; the render puts the
    text's box on the title-safe edge, so the outline's few pixels of black edge reach past it."""

    name: str
    box: Box
    slack_px: int = 0


@dataclass(frozen=True)
class MoreCut:
    """A social cut after the first (the manifest's `social[k]`, `number` = k + 1): what its vertical
    sheets take in place of `SocialInputs`' own cut (`SocialInputs.for_cut`)."""

    number: int
    title_vi: str
    title_en: str
    cut: Path | None
    excerpt_s: tuple[float, float] | None
    platforms: tuple[str, ...]
    """Its vertical platforms (YouTube takes the whole programme, once)."""
    cut_text: tuple[CutText, ...] = ()
    cut_frame: tuple[int, int] = PORTRAIT


@dataclass(frozen=True)
class SocialInputs:
    """Everything the social package is made from (module docstring), read by `gather_social`."""

    programme: str
    folder: Path
    """The programme folder: the renders are named relative to it on the sheet."""
    title_vi: str
    title_en: str
    synopsis_vi: str
    synopsis_en: str
    credits: tuple[SocialCredit, ...]
    co_producers: tuple[str, ...]
    cut_title_vi: str
    cut_title_en: str
    landscape: Path | None
    """The landscape render YouTube takes (and the thumbnails' frames); None when there is none."""
    cut: Path | None
    """The vertical social cut; None when there is none."""
    cut_excerpt_s: tuple[float, float] | None
    """The stretch of the programme (programme seconds) the cut carries; None: the whole programme."""
    platforms: tuple[str, ...]
    subtitles: tuple[tuple[str, Path], ...]
    """(language, the workspace's SRT), present or not."""
    chapters: Chapters
    thumbnail_times: tuple[float, ...]
    """Programme seconds the thumbnails' frame is chosen among (`thumbs.candidate_times`)."""
    tags: tuple[str, ...] = ()
    cut_text: tuple[CutText, ...] = ()
    cut_frame: tuple[int, int] = PORTRAIT
    notes: tuple[str, ...] = ()
    """What gathering could not find, said once."""
    more_cuts: tuple[MoreCut, ...] = ()
    graphics_s: tuple[tuple[float, float], ...] = ()
    """Where the render composes a graphic over the programme (bumpers, the title card, lower thirds,
    credits), programme seconds: no thumbnail frame is taken there — a frame with the title card
    burned in under the thumbnail's own title shows the title twice."""
    """The second social cut on, when the manifest gives several."""

    def for_cut(self, more: MoreCut) -> SocialInputs:
        """These inputs with `more` as the cut: what its vertical sheets are made from."""
        return replace(self, cut_title_vi=more.title_vi, cut_title_en=more.title_en, cut=more.cut,
                       cut_excerpt_s=more.excerpt_s, platforms=more.platforms, cut_text=more.cut_text,
                       cut_frame=more.cut_frame, more_cuts=())

    def title_for(self, key: str) -> tuple[str, str]:
        """(vi, en) of what platform `key` shows: the programme on YouTube, the cut elsewhere."""
        return (self.title_vi, self.title_en) if key == YOUTUBE.key else (self.cut_title_vi, self.cut_title_en)


@dataclass(frozen=True)
class SocialResult:
    """What `build_social` wrote and found; `to_record` is the publish record's part for it."""

    files: tuple[str, ...]
    """Relative to the package's folder."""
    problems: tuple[str, ...]
    notes: tuple[str, ...]
    platforms: tuple[str, ...]
    sheets: tuple[PlatformSheet, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_record(self, folder_rel: str) -> PublishedSocial:
        """The publish record's social part, the package being at `folder_rel` (`publish/social`)."""
        return PublishedSocial(folder_rel, "social.html", "social.json", self.platforms, self.problems, self.notes,
                               self.files)


# --------------------------------------------------------------------------------------------------
# Gathering


def gather_social(programme: Programme, ws: Workspace) -> SocialInputs:
    """The social package's inputs from the workspace (module docstring). WorkspaceError when there
    is no timeline yet; a script or subtitle file that cannot be read is its reader's error."""
    m = programme.manifest
    title, synopsis = programme.title, programme.synopsis
    record = read_render_record(ws)
    timeline = load_timeline(ws.timeline_json)
    cuts = programme.social_cuts
    social = cuts[0] if cuts else None
    cut_entry, cut_profile = _cut_render(programme, record, 0) if len(cuts) > 1 else _vertical_render(programme,
                                                                                                       record)
    excerpt = (cut_entry.excerpt_s if cut_entry is not None and cut_entry.excerpt_s else None) or \
        _manifest_excerpt(programme, social)
    landscape = _landscape(record)
    keys = social.platform_keys if social is not None else (
        DEFAULT_SOCIAL_PLATFORMS if cut_entry is not None else (YOUTUBE.key,))
    if YOUTUBE.key not in keys and any(YOUTUBE.key in c.platform_keys for c in cuts[1:]):
        keys = (YOUTUBE.key, *keys)  # the whole programme, asked for by a later cut
    cut_title = social.title if social is not None and social.title is not None else title
    lines, script_notes = _script_lines(programme)
    chapters = programme_chapters(lines, read_subtitles_record(ws), _cues(ws.subtitle("vi", "srt")),
                                  timeline.markers, timeline.rate, timeline.duration_ms, programme.id)
    return SocialInputs(
        programme=programme.id, folder=ws.dir, title_vi=title.vi, title_en=title.en, synopsis_vi=synopsis.vi,
        synopsis_en=synopsis.en,
        credits=tuple(SocialCredit(c.role.vi, c.role.en, nfc(c.name.strip())) for c in m.credits),
        co_producers=tuple(nfc(c.strip()) for c in m.co_producers),
        cut_title_vi=cut_title.vi, cut_title_en=cut_title.en, landscape=landscape,
        cut=cut_entry.main if cut_entry is not None else None,
        cut_excerpt_s=cut_entry.excerpt_s if cut_entry is not None else excerpt, platforms=keys,
        subtitles=tuple((lang, ws.subtitle(lang, "srt")) for lang in LANGS), chapters=chapters,
        thumbnail_times=tuple(_candidate_times(ws, timeline)),
        graphics_s=_graphics_spans(programme, ws, timeline),
        tags=tuple(programme_tags([title.vi, synopsis.vi], _glossary_terms(programme), title.vi)),
        cut_text=cut_text(programme, ws, timeline, cut_profile, excerpt) if cut_profile is not None else (),
        cut_frame=(cut_profile.video.width, cut_profile.video.height) if cut_profile is not None else PORTRAIT,
        notes=tuple(script_notes),
        more_cuts=tuple(_more_cut(programme, ws, timeline, record, k) for k in range(1, len(cuts))))


def _more_cut(programme: Programme, ws: Workspace, timeline: Timeline, record: RenderRecord, index: int) -> MoreCut:
    """Social cut `index` (0-based, after the first) as its vertical sheets take it."""
    social = programme.social_cuts[index]
    entry, profile = _cut_render(programme, record, index)
    excerpt = (entry.excerpt_s if entry is not None and entry.excerpt_s else None) or \
        _manifest_excerpt(programme, social)
    title = social.title if social.title is not None else programme.title
    return MoreCut(
        index + 1, title.vi, title.en, entry.main if entry is not None else None, excerpt,
        tuple(key for key in social.platform_keys if key != YOUTUBE.key),
        cut_text(programme, ws, timeline, profile, excerpt) if profile is not None else (),
        (profile.video.width, profile.video.height) if profile is not None else PORTRAIT)


def social_inputs_key(ws: Workspace, inputs: SocialInputs) -> dict[str, Any]:
    """What the package is made from, for the publish stage's freshness: the content of each file
    (the renders and subtitles, by name, so a copied workspace is still fresh), every text and fact
    of `inputs`, and the rules (each platform's data, this module's `PACKAGE_VERSION`)."""
    files = [p for p in (inputs.landscape, inputs.cut) if p is not None] + [p for _lang, p in inputs.subtitles]
    files += [more.cut for more in inputs.more_cuts if more.cut is not None]
    more = {"more_cuts": [_more_key(more) for more in inputs.more_cuts]} if inputs.more_cuts else {}
    return {
        "version": PACKAGE_VERSION, "files": stagerun.content_hashes(ws, files),
        "titles": [inputs.title_vi, inputs.title_en, inputs.cut_title_vi, inputs.cut_title_en],
        "synopses": [inputs.synopsis_vi, inputs.synopsis_en],
        "credits": [[c.role_vi, c.role_en, c.name] for c in inputs.credits], "co_producers": list(inputs.co_producers),
        "platforms": {key: repr(platform(key)) for key in inputs.platforms}, "tags": list(inputs.tags),
        "chapters": inputs.chapters.to_json(), "thumbnail_times": list(inputs.thumbnail_times),
        "graphics_s": [list(span) for span in inputs.graphics_s],
        "cut_excerpt_s": list(inputs.cut_excerpt_s) if inputs.cut_excerpt_s else None,
        "cut_text": [[t.name, list(t.box), t.slack_px] for t in inputs.cut_text], "cut_frame": list(inputs.cut_frame),
        "notes": list(inputs.notes), **more,
    }


def _more_key(more: MoreCut) -> dict[str, Any]:
    """A further cut's part of `social_inputs_key` (its file is among the key's files)."""
    return {"number": more.number, "titles": [more.title_vi, more.title_en],
            "platforms": {key: repr(platform(key)) for key in more.platforms},
            "excerpt_s": list(more.excerpt_s) if more.excerpt_s else None,
            "cut_text": [[t.name, list(t.box), t.slack_px] for t in more.cut_text], "cut_frame": list(more.cut_frame)}


def _entry(record: RenderRecord, name: str) -> RenderedDeliverable | None:
    """The deliverable named `name`, or rendered from the profile `name`; one whose files are all
    there first."""
    found = [e for e in record.deliverables.values() if name in (e.name, e.profile)]
    return next((e for e in found if e.present()), found[0] if found else None)


def _landscape(record: RenderRecord) -> Path | None:
    """The landscape render YouTube takes: web-1080p or web-720p, else the stream's first rung."""
    for name in (*LANDSCAPE_DELIVERABLES, STREAM_DELIVERABLE):
        entry = _entry(record, name)
        if entry is not None:
            return entry.main
    return None


def _profile_of(programme: Programme, entry: RenderedDeliverable) -> Profile | None:
    """The profile a deliverable was rendered from, as the programme has it now; None when it is gone."""
    try:
        return programme_profile(programme.base_dir, entry.profile)
    except ProfileError:
        return None


def _vertical_render(programme: Programme, record: RenderRecord) -> tuple[RenderedDeliverable | None,
                                                                          Profile | None]:
    """The social cut and its profile: the `social-9x16` deliverable, else any vertical one."""
    named = _entry(record, CUT_DELIVERABLE)
    if named is not None:
        return named, _profile_of(programme, named)
    for entry in record.deliverables.values():
        profile = _profile_of(programme, entry)
        if profile is not None and profile.vertical is not None:
            return entry, profile
    return None, None


def _cut_render(programme: Programme, record: RenderRecord, cut: int) -> tuple[RenderedDeliverable | None,
                                                                                Profile | None]:
    """The vertical render of social cut `cut` (0-based) of several: the deliverable made for it."""
    for name in programme.deliverables:
        entry = record.get(name)
        if entry is None or programme.deliverable_cut(name) != cut:
            continue
        profile = _profile_of(programme, entry)
        if profile is not None and profile.vertical is not None:
            return entry, profile
    return None, None


def _manifest_excerpt(programme: Programme, social: SocialCut | None) -> tuple[float, float] | None:
    """A social cut's `in/out` in programme seconds (validated at load)."""
    if social is None:
        return None
    rate = programme.rate
    return float(Timecode.parse(social.start, rate).seconds), float(Timecode.parse(social.end, rate).seconds)


def _cues(path: Path) -> list[Cue]:
    """The cues of a subtitle file; none when there is no file (a programme without speech)."""
    return list(read_subtitles(path).cues) if path.is_file() else []


def _script_lines(programme: Programme) -> tuple[tuple[ScriptLine, ...], list[str]]:
    """The script's lines (their sections are the chapters), and a note when its file is gone."""
    path = programme.script_path()
    if path is None:
        return (), []
    if not path.is_file():
        return (), [f"script {path} not found: chapters from the edit's markers only"]
    return read_script(path).lines, []


def _candidate_times(ws: Workspace, timeline: Timeline) -> list[float]:
    """Where the thumbnails' frame may come from: the middle of each shot the edit shows."""
    shots: dict[str, ShotList] = {}
    for segment in timeline.segments:
        found = read_shots(ws, segment.clip_id)
        if found is not None:
            shots[segment.clip_id] = found
    return candidate_times(timeline, shots)


GRAPHIC_MARGIN_S = 0.5
"""Seconds kept clear either side of a graphic: its fade in and out."""


def _graphics_spans(programme: Programme, ws: Workspace, timeline: Timeline) -> tuple[tuple[float, float], ...]:
    """The stretches the render's branding covers, as the render plans them (nothing is drawn)."""
    try:
        plan = plan_branding(programme, timeline, ws.graphics_dir, BrandingSettings(), dry_run=True)
    except ReportageError:
        return ()
    return tuple((o.start_s - GRAPHIC_MARGIN_S, o.start_s + o.duration_s + GRAPHIC_MARGIN_S)
                 for o in plan.branding.overlays)


def clear_of(times: Sequence[float], spans: Sequence[tuple[float, float]]) -> list[float]:
    """The `times` outside every span; all of them when none is (a programme that is all graphics
    still gets a thumbnail)."""
    clear = [t for t in times if not any(a <= t <= b for a, b in spans)]
    return clear or list(times)


def _glossary_terms(programme: Programme) -> list[str]:
    return [term.vi for term in load_glossary(programme=programme.glossary_path()).terms]


def programme_tags(texts: Sequence[str], terms: Iterable[str], title: str = "", limit: int = MAX_TAGS) -> list[str]:
    """Hashtags of the `terms` the `texts` name, in the order first named (a longer term before a
    shorter one at the same place), at most `limit`; without any, of the short parts of `title`
    (module docstring)."""
    text = nfc(" ".join(texts)).casefold()
    named: list[tuple[int, int, str]] = []
    for term in {nfc(t).strip() for t in terms if t.strip()}:
        found = re.search(rf"(?<!\w){re.escape(term.casefold())}(?!\w)", text)
        if found is not None:
            named.append((found.start(), -len(term), term))
    chosen = [term for _at, _length, term in sorted(named)]
    if not chosen:
        chosen = [part for part in _TITLE_PARTS.split(nfc(title)) if 0 < len(part.split()) <= 3]
    return hashtags(chosen)[:limit]


def cut_text(programme: Programme, ws: Workspace, timeline: Timeline, profile: Profile,
             excerpt: tuple[float, float] | None) -> tuple[CutText, ...]:
    """The text burned into the cut, as the render places it: each subtitle cue of the burned-in
    language that shows within the excerpt (its box estimated from the profile's style,
    `render.overlap.subtitle_rect`) and each lower third that does (its box from the graphics
    cache, moved as the cut's picture moves the programme frame)."""
    lo, hi = excerpt if excerpt is not None else (-math.inf, math.inf)
    out: list[CutText] = []
    lang = profile.subtitles.burn_in
    if lang:
        short = min(profile.video.width, profile.video.height)
        slack = math.ceil(short * profile.subtitles.style.outline_pct / 100) + 1  # + libass's rounding
        for cue in _cues(ws.subtitle(lang, "srt")):
            if cue.end_ms / 1000 > lo and cue.start_ms / 1000 < hi:
                at = Timecode.from_ms(cue.start_ms, timeline.rate)
                out.append(CutText(f"burned-in subtitle {cue.index} at {at}",
                                   _pixels(subtitle_rect(profile, cue.lines)), slack))
    placement = placement_for(profile, timeline.width, timeline.height)
    picture = Rect(0, 0, profile.video.width, profile.video.height)
    for lower in lower_third_areas(programme, timeline, ws.graphics_dir):
        box = picture.intersection(placement.apply(lower.box))
        if box is not None and lower.end_s > lo and lower.start_s < hi:
            out.append(CutText(f"lower third “{lower.name}”", _pixels(box)))
    return tuple(out)


def _pixels(rect: Rect) -> Box:
    """`rect` as whole pixels covering it."""
    x, y = math.floor(rect.x), math.floor(rect.y)
    return x, y, math.ceil(rect.right) - x, math.ceil(rect.bottom) - y


# --------------------------------------------------------------------------------------------------
# Building


@dataclass(frozen=True)
class _Made:
    """A thumbnail made (or None) and its findings, and the files written so far."""

    thumbnail: Thumbnail | None
    findings: tuple[Finding, ...]


def build_social(inputs: SocialInputs, folder: Path) -> SocialResult:
    """The social package of `inputs` written into `folder` (module docstring): what was written,
    the problems and the notes. Media errors of one platform's checks are that platform's problems;
    the rest of the package is still made."""
    folder.mkdir(parents=True, exist_ok=True)
    keys = tuple(dict.fromkeys(inputs.platforms))
    cut_keys = [key for key in keys if key != YOUTUBE.key]
    written: list[Path] = []
    sheets: list[PlatformSheet] = []
    if YOUTUBE.key in keys:
        landscape = _landscape_thumbnail(inputs, folder)
        srts, srt_findings = _upload_srts(inputs, folder)
        written += [*([landscape.thumbnail.path] if landscape.thumbnail else []), *(path for _lang, path in srts)]
        sheets.append(youtube_sheet(inputs, landscape, srts, srt_findings))
    if cut_keys:
        portrait = _portrait_thumbnail(inputs, folder)
        written += [portrait.thumbnail.path] if portrait.thumbnail else []
        sheets += [cut_sheet(inputs, platform(key), portrait) for key in cut_keys]
    for more in inputs.more_cuts:
        made, more_sheets = _more_sheets(inputs.for_cut(more), more.number, folder)
        written += made
        sheets += more_sheets
    written += write_sheet(folder, inputs.programme, inputs.title_vi, sheets)
    problems, notes = sorted_findings(sheets)
    files = tuple(sorted({p.relative_to(folder).as_posix() for p in written}))
    return SocialResult(files, tuple(problems), tuple(dict.fromkeys([*inputs.notes, *notes])),
                        tuple(s.key for s in sheets), tuple(sheets))


def _more_sheets(inputs: SocialInputs, number: int, folder: Path) -> tuple[list[Path], list[PlatformSheet]]:
    """The vertical sheets of cut `number` (≥ 2), keyed `<platform>-<number>`, and its thumbnail."""
    keys = [key for key in dict.fromkeys(inputs.platforms) if key != YOUTUBE.key]
    if not keys:
        return [], []
    portrait = _portrait_thumbnail(inputs, folder, number)
    sheets = [cut_sheet(inputs, platform(key), portrait) for key in keys]
    numbered = [replace(s, key=f"{s.key}-{number}", name=f"{s.name} ({number})") for s in sheets]
    return ([portrait.thumbnail.path] if portrait.thumbnail else []), numbered


def _thumbnail(video: Path, times: Sequence[float], target: Path, title: tuple[str, str], size: tuple[int, int],
               key: str) -> _Made:
    """A thumbnail of the sharpest frame among `times`; a failing finding instead when no frame is
    fit or the title cannot be set (the rest of the package is still made)."""
    try:
        best, _scored = pick_frame(video, times)
        made = make_thumbnail(video, best.time_s, target, title[0], title[1], size)
    except (MediaError, FontError) as exc:
        return _Made(None, (Finding(key, "thumbnail", "fail", "not made", f"{size[0]}×{size[1]} JPEG",
                                    f"{target.name}: {exc.one_line()}"),))
    return _Made(made, made.findings)


def _missing(key: str, check: str, what: str, fix: str) -> _Made:
    return _Made(None, (Finding(key, check, "fail", "none", what, f"no {what} — {fix}"),))


def _landscape_thumbnail(inputs: SocialInputs, folder: Path) -> _Made:
    if inputs.landscape is None:
        return _missing(YOUTUBE.key, "thumbnail", "landscape render to take the thumbnail from",
                        "render web-1080p, web-720p or web-stream")
    # the middle of each shot, and times spread evenly too: a programme of few shots (or one whose
    # shots are frozen or black) still offers frames to choose from
    times = tuple(clear_of(sorted({*inputs.thumbnail_times, *even_times(inputs.chapters.duration_ms / 1000)}),
                           inputs.graphics_s))
    target = folder / f"{inputs.programme}.thumb-{LANDSCAPE[0]}x{LANDSCAPE[1]}.jpg"
    return _thumbnail(inputs.landscape, times, target, inputs.title_for(YOUTUBE.key), LANDSCAPE, YOUTUBE.key)


def _portrait_thumbnail(inputs: SocialInputs, folder: Path, number: int = 1) -> _Made:
    """The vertical thumbnail: a frame of the programme within the excerpt (the landscape render
    has no subtitles burned in to fight the title), else a frame of the cut itself. Cut `number`
    ≥ 2 of several gets its own, `<id>-<number>.thumb-1080x1920.jpg`."""
    stem = inputs.programme if number <= 1 else f"{inputs.programme}-{number}"
    target = folder / f"{stem}.thumb-{PORTRAIT[0]}x{PORTRAIT[1]}.jpg"
    title = inputs.title_for("cut")
    lo, hi = inputs.cut_excerpt_s or (0.0, inputs.chapters.duration_ms / 1000)
    if inputs.landscape is not None:
        inside = clear_of(sorted({*(t for t in inputs.thumbnail_times if lo <= t < hi),
                                  *(lo + t for t in even_times(hi - lo))}), inputs.graphics_s)
        return _thumbnail(inputs.landscape, inside, target, title, PORTRAIT, "vertical")
    if inputs.cut is not None:
        return _thumbnail(inputs.cut, even_times(hi - lo), target, title, PORTRAIT, "vertical")
    return _missing("vertical", "thumbnail", "render to take the vertical thumbnail from",
                    "render social-9x16 (and a web render)")


def _upload_srts(inputs: SocialInputs, folder: Path) -> tuple[list[tuple[str, Path]], list[Finding]]:
    """`<ID>.<lang>.srt`, plain UTF-8, of each subtitle file there is; a note for each there is not."""
    written: list[tuple[str, Path]] = []
    findings: list[Finding] = []
    for lang, source in inputs.subtitles:
        target = folder / f"{inputs.programme}.{lang}.srt"
        if not source.is_file():
            findings.append(Finding(YOUTUBE.key, "subtitles", "note", "none", "SRT, plain UTF-8",
                                    f"{source.name}: no {lang} subtitles to upload — run `reportage subtitles make "
                                    "MANIFEST` (a programme without speech has none)", YOUTUBE.source))
            continue
        try:
            made = write_upload_srt(source, target)
        except SubtitleError as exc:
            findings.append(Finding(YOUTUBE.key, "subtitles", "fail", "unreadable", "SRT, plain UTF-8",
                                    exc.one_line(), YOUTUBE.source))
            continue
        written.append((lang, target))
        findings.append(Finding(YOUTUBE.key, "subtitles", "pass", f"{made.cues} cues", "SRT, plain UTF-8",
                                f"{target.name}: {made.cues} cues, plain UTF-8", YOUTUBE.source))
        findings += [Finding(YOUTUBE.key, "subtitles", "note", "", "", note, YOUTUBE.source) for note in made.notes]
    return written, findings


def _video_findings(video: Path | None, p: Platform, what: str, fix: str) -> list[Finding]:
    """`check_video` of `video` against `p`; a failing finding when there is no file to check."""
    if video is None:
        return [Finding(p.key, "video", "fail", "none", what, f"no {what} — {fix}", p.source)]
    try:
        return check_video(video, p)
    except MediaError as exc:
        return [Finding(p.key, "video", "fail", "unreadable", what, exc.one_line(), p.source)]


def _file_field(label: str, path: Path | None, base: Path) -> Field:
    """A file to upload, named relative to `base` (the programme folder or the package)."""
    if path is None:
        return Field(label, "—", copy=False)  # the finding beside it says what to render
    size = f"{path.stat().st_size:,} bytes" if path.is_file() else "missing"
    return Field(label, stored_path(base, path), measured=size, copy=False)


def _thumbnail_field(made: _Made) -> Field:
    """The thumbnail to upload, named inside the package, with its size beside the limit."""
    label, thumb = "Ảnh thu nhỏ (thumbnail)", made.thumbnail
    if thumb is None:
        return Field(label, "—", copy=False)  # the finding says why
    return Field(label, thumb.path.name, f"{thumb.width}×{thumb.height} JPEG, < {MAX_BYTES:,} bytes",
                 f"{thumb.width}×{thumb.height}, {thumb.bytes:,} bytes", thumb.bytes < MAX_BYTES, copy=False)


def _both_titles(vi: str, en: str, limit: TextLimit | None) -> str:
    """"VI | EN" when both fit the title's limit, else the Vietnamese alone."""
    both = f"{nfc(vi).strip()} | {nfc(en).strip()}"
    return both if en.strip() and (limit is None or within(both, limit)) else vi


def _description(inputs: SocialInputs, lang: str) -> Fitted:
    synopsis = inputs.synopsis_en if lang == "en" else inputs.synopsis_vi
    return description(DescriptionParts(lang, synopsis, [c.in_lang(lang) for c in inputs.credits],
                                        inputs.co_producers, inputs.tags, inputs.chapters))


def youtube_sheet(inputs: SocialInputs, thumbnail: _Made, srts: Sequence[tuple[str, Path]],
                  srt_findings: Sequence[Finding]) -> PlatformSheet:
    """The programme on YouTube: titles and descriptions in both languages, the landscape render,
    the thumbnail, the upload SRTs and the chapters."""
    p = YOUTUBE
    fields = [Field.of("Tiêu đề (title)", youtube_title(_both_titles(inputs.title_vi, inputs.title_en, p.title))),
              Field.of("Title (EN, YouTube's translation)", youtube_title(inputs.title_en)),
              Field.of("Mô tả (description)", _description(inputs, "vi")),
              Field.of("Description (EN, YouTube's translation)", _description(inputs, "en")),
              _file_field("Video", inputs.landscape, inputs.folder), _thumbnail_field(thumbnail),
              *(Field(f"Phụ đề (subtitles) {lang.upper()}", path.name, p.subtitle_format or "", copy=False)
                for lang, path in srts)]
    findings = [*_video_findings(inputs.landscape, p, "landscape web render", "render web-1080p or web-720p"),
                *thumbnail.findings, *srt_findings, *inputs.chapters.findings]
    return PlatformSheet(p.key, p.name, p.source, fields, findings, {"chapters": inputs.chapters.to_json()})


def cut_caption(title: str, tags: Sequence[str], limit: TextLimit) -> Fitted:
    """The cut's title and as many of `tags` as fit `limit` whole (a hashtag is never cut); the
    title itself shortened only when it alone is over."""
    title = nfc(title).strip()
    for count in range(len(tags), -1, -1):
        made = caption(title, tags[:count], limit)
        if not made.truncated or count == 0:
            left = len(tags) - count
            note = (f"{left} hashtag(s) left out to fit {limit.describe()}",) if left else ()
            return Fitted(made.text, limit, (*note, *made.notes), made.truncated)
    raise AssertionError("unreachable: the loop returns at count 0")


def cut_sheet(inputs: SocialInputs, p: Platform, thumbnail: _Made) -> PlatformSheet:
    """The social cut on platform `p`: its caption (a title on YouTube Shorts), the file measured
    against `p`'s limits, the burned-in text against its safe zone, and the vertical thumbnail."""
    limit = p.caption or p.title or TextLimit()
    title = inputs.cut_title_vi
    label = "Chú thích (caption)"
    if p.caption is None and p.title is not None:  # YouTube's title: its API refuses < and >
        title, label = no_angle_brackets(title, "title")[0], "Tiêu đề (title)"
    fields = [Field.of(label, cut_caption(title, inputs.tags[:CUT_TAGS], limit)),
              _file_field("Video", inputs.cut, inputs.folder), _thumbnail_field(thumbnail)]
    findings = [*_video_findings(inputs.cut, p, "vertical social cut", "render social-9x16 (manifest `social:`)"),
                *zone_findings(inputs.cut_text, p, inputs.cut_frame),
                *(f for f in thumbnail.findings if f.platform in ("vertical", p.key))]
    return PlatformSheet(p.key, p.name, p.source, fields, findings)


def _reach(box: Box, zone: Box) -> int:
    """The most pixels `box` reaches past any edge of `zone` (0 inside)."""
    x, y, w, h = box
    zx, zy, zw, zh = zone
    return max(0, zx - x, zy - y, (x + w) - (zx + zw), (y + h) - (zy + zh))


def zone_findings(texts: Sequence[CutText], p: Platform, frame: tuple[int, int]) -> list[Finding]:
    """The cut's burned-in texts against `p`'s safe zone: a failing finding for each that reaches
    past it by more than its slack (`CutText`), one passing finding for the rest. Nothing for a
    platform that publishes no zone, or a cut without burned-in text."""
    if p.safe_zone is None or not texts:
        return []
    zone = p.safe_zone.box(*frame)
    outside = [t for t in texts if _reach(t.box, zone) > t.slack_px]
    edge = sum(1 for t in texts if 0 < _reach(t.box, zone) <= t.slack_px)
    found = check_text_zone([t.box for t in outside], p, frame, [f"the cut's {t.name}" for t in outside])
    inside = len(texts) - len(outside)
    if inside:
        at_edge = f" ({edge} touch its edge with their outline only)" if edge else ""
        found.append(Finding(p.key, "text safe zone", "pass", f"{inside} of {len(texts)} burned-in texts",
                             "inside the safe zone",
                             f"the cut's burned-in text: {inside} of {len(texts)} inside the safe zone{at_edge}",
                             p.safe_zone_source))
    return found


def _finding_line(sheet: PlatformSheet, f: Finding) -> str:
    """A finding as the publish record lists it: the platform, what was found and the limit."""
    measured = f" ({f.check}: {f.measured}; limit {f.limit})" if f.measured and f.limit else ""
    return f"{sheet.name}: {f.message}{measured}"


def sorted_findings(sheets: Iterable[PlatformSheet]) -> tuple[list[str], list[str]]:
    """(problems, notes) of every sheet: a finding that is not ok or a field over its limit is a
    problem, a note-level finding, YouTube's chapter rules and what fitting a text changed are notes."""
    problems: list[str] = []
    notes: list[str] = []
    for sheet in sheets:
        for f in sheet.findings:
            if f.level == "pass":
                continue
            (notes if f.check in CHAPTER_CHECKS or f.level == "note" else problems).append(_finding_line(sheet, f))
        for field in sheet.fields:
            if field.ok is False:
                over = f" is {field.measured}, over {field.limit}" if field.measured else " is missing"
                problems.append(f"{sheet.name}: {field.label}{over}")
            notes += [f"{sheet.name}: {field.label}: {note}" for note in field.notes]
    return list(dict.fromkeys(problems)), list(dict.fromkeys(notes))
