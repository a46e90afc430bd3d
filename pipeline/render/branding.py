"""Where the branding goes in programme time, and the graphics it needs (drawn once, cached).

Layout over a programme of D seconds (everything an overlay, so the programme keeps its length and
the subtitles and sidecars keep their times):

    [opening bumper][title card] … lower thirds at their timecodes … [end credits][closing bumper]

Bumpers cover the first/last seconds (the sample programmes open and close on music for that). What
does not fit a short programme is left out with a warning, never squeezed over something else.
A burned-in cue that would sit on a lower third is warned about (`overlap_warnings`), never moved.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

from ..errors import ReportageError
from ..fsutil import sha256_file
from ..graphics import cards
from ..graphics.cache import Graphic, ensure_graphic
from ..graphics.cards import GraphicSpec
from ..manifest import Programme
from ..shipped import shipped
from ..subs import read_subtitles
from ..timecode import Timecode
from ..timeline import Timeline
from .overlap import LowerThirdArea, Rect, describe, estimated_lower_third_box, find_overlaps
from .plan import Branch, Branding, Overlay
from .trunk_graphics import ensure_trunk_copy


@dataclass(frozen=True)
class BrandingSettings:
    """Durations in seconds; 0 turns an element off."""

    bumper_s: float = 2.0
    title_s: float = 5.0
    credits_s: float = 6.0
    logo_height_pct: float = 8.0


@dataclass
class BrandingPlan:
    branding: Branding
    graphics: list[Graphic] = field(default_factory=list)
    placements: list[dict[str, object]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    logo_sha256: str | None = None
    lower_thirds: list[LowerThirdArea] = field(default_factory=list)
    """Each lower third placed, with the box it covers (for `overlap_warnings`)."""


def default_logo() -> Path:
    """The station bug shipped in `assets/branding`, for a programme that names no logo of its own."""
    return shipped("assets", "branding", "logo.png")


def _specs(programme: Programme, timeline: Timeline, settings: BrandingSettings,
           warnings: list[str]) -> list[tuple[GraphicSpec, float]]:
    m = programme.manifest
    title = programme.title
    w, h, rate = timeline.width, timeline.height, timeline.rate
    total = float(Fraction(timeline.duration_frames) / rate)
    placed: list[tuple[GraphicSpec, float]] = []
    bumper = settings.bumper_s
    ends = settings.title_s + settings.credits_s
    if bumper > 0 and total < 2 * bumper + ends:
        warnings.append(f"programme of {total:.1f} s is too short for bumpers: left out")
        bumper = 0.0
    head, tail = 0.0, total
    if bumper > 0:
        co = " · ".join(m.co_producers)
        lines = [title.vi, *([co] if co else []), *([str(m.year)] if m.year else [])]
        placed.append((cards.bumper_spec("bumper-open", lines, duration_s=bumper, width=w, height=h, rate=rate), 0.0))
        placed.append((cards.bumper_spec("bumper-close", [title.en, *([co] if co else [])], duration_s=bumper,
                                         width=w, height=h, rate=rate), total - bumper))
        head, tail = bumper, total - bumper
    if settings.title_s > 0:
        if head + settings.title_s <= tail:
            spec = cards.title_spec(title.vi, title.en, duration_s=settings.title_s, width=w, height=h, rate=rate)
            placed.append((spec, head))
            head += settings.title_s
        else:
            warnings.append("the title card does not fit the programme: left out")
    if settings.credits_s > 0 and (m.credits or m.co_producers):
        if tail - settings.credits_s >= head:
            people = [(c.role.vi, c.role.en, c.name) for c in m.credits]
            spec = cards.credits_spec(people, m.co_producers, duration_s=settings.credits_s, width=w, height=h,
                                      rate=rate)
            placed.append((spec, tail - settings.credits_s))
        else:
            warnings.append("the end credits do not fit the programme: left out")
    return placed + _lower_third_specs(programme, timeline, warnings)


def _lower_third_specs(programme: Programme, timeline: Timeline,
                       warnings: list[str]) -> list[tuple[GraphicSpec, float]]:
    """The manifest's lower thirds at their timecodes, cut at the programme's end."""
    w, h, rate = timeline.width, timeline.height, timeline.rate
    total = float(Fraction(timeline.duration_frames) / rate)
    frame = float(1 / rate)
    placed: list[tuple[GraphicSpec, float]] = []
    for index, lt in enumerate(programme.manifest.lower_thirds):
        at = float(Timecode.parse(lt.at, rate).seconds)
        duration = min(lt.duration_s, total - at)
        if duration < 2 * frame:
            warnings.append(f"lower_thirds[{index}] at {lt.at} is past the end of the programme: left out")
            continue
        spec = cards.lower_third_spec(lt.name, lt.title.vi, lt.title.en, duration_s=round(duration, 3), width=w,
                                      height=h, rate=rate)
        placed.append((spec, at))
    return placed


def plan_branding(programme: Programme, timeline: Timeline, graphics_dir: Path, settings: BrandingSettings,
                  *, dry_run: bool = False) -> BrandingPlan:
    """The branding of the trunk: logo, and every graphic (drawn now unless cached or `dry_run`)."""
    warnings: list[str] = []
    m = programme.manifest
    logo = programme.resolve(m.branding.logo, "branding.logo") if m.branding.logo else default_logo()
    logo_hash: str | None = None
    if not logo.is_file():
        warnings.append(f"logo {logo} not found: rendering without the logo bug")
        logo_path: Path | None = None
    else:
        logo_path, logo_hash = logo, sha256_file(logo)
    overlays: list[Overlay] = []
    graphics: list[Graphic] = []
    placements: list[dict[str, object]] = []
    # bumpers last, so they sit on top of everything else (they are opaque)
    specs = sorted(_specs(programme, timeline, settings, warnings), key=lambda item: item[0].kind.startswith("bumper"))
    for spec, start in specs:
        graphic = ensure_graphic(graphics_dir, spec, dry_run=dry_run)
        graphics.append(graphic)
        x, y = (graphic.box.x, graphic.box.y) if graphic.box else (0, 0)
        overlays.append(Overlay(graphic.path, round(start, 6), spec.duration_s, x, y))
        placements.append({"kind": spec.kind, "key": graphic.key, "start_s": round(start, 6), "at": [x, y],
                           "duration_s": spec.duration_s})
    branding = Branding(logo=logo_path, corner=m.branding.position, opacity=m.branding.opacity,
                        logo_height_pct=settings.logo_height_pct, overlays=tuple(overlays))
    areas = [_area(graphic, start) for graphic, (spec, start) in zip(graphics, specs, strict=True)
             if spec.kind == "lower-third"]
    return BrandingPlan(branding, graphics, placements, warnings, logo_hash, areas)


def _area(graphic: Graphic, start_s: float) -> LowerThirdArea:
    """Where a lower third's pixels are: its recorded box, the whole frame for a graphic cached
    without one, or the template's estimate for one not drawn yet."""
    spec = graphic.spec
    if graphic.box is not None:
        box, estimated = Rect(graphic.box.x, graphic.box.y, graphic.box.width, graphic.box.height), False
    elif graphic.path.exists():
        box, estimated = Rect(0, 0, spec.width, spec.height), False
    else:
        box, estimated = estimated_lower_third_box(spec.width, spec.height), True
    return LowerThirdArea(spec.texts[0], round(start_s, 6), spec.duration_s, box, estimated)


def lower_third_areas(programme: Programme, timeline: Timeline, graphics_dir: Path) -> list[LowerThirdArea]:
    """The programme's lower thirds as the render places them, boxes from the graphics cache
    (nothing is drawn): what QC checks burned-in cues against."""
    return [_area(ensure_graphic(graphics_dir, spec, dry_run=True), start)
            for spec, start in _lower_third_specs(programme, timeline, [])]


def overlap_warnings(branch: Branch, lower_thirds: list[LowerThirdArea], timeline: Timeline) -> list[str]:
    """One line per burned-in cue of `branch` that sits on a lower third (`overlap.find_overlaps`),
    naming the deliverable, the cue, its timecode, the lower third and the fix. Nothing is moved.
    A subtitle file that cannot be read is left to the render itself to report."""
    if branch.subtitles is None or not lower_thirds:
        return []
    try:
        cues = read_subtitles(branch.subtitles).cues
    except ReportageError:
        return []
    found = find_overlaps(cues, lower_thirds, branch.profile, (timeline.width, timeline.height), branch.excerpt)
    return [f"{branch.name}: {describe(o, timeline.rate)}" for o in found]


def in_trunk_formats(branding: Branding, pix_fmts: set[str], *, dry_run: bool = False) -> Branding:
    """The branding with each graphic also in every trunk format of the pass, converted once and
    cached beside it (`trunk_graphics`); a dry run uses the copies already there."""
    overlays = []
    for overlay in branding.overlays:
        made = ((fmt, ensure_trunk_copy(overlay.path, fmt, dry_run=dry_run)) for fmt in sorted(pix_fmts))
        overlays.append(replace(overlay, in_format=tuple((fmt, path) for fmt, path in made if path is not None)))
    return replace(branding, overlays=tuple(overlays))
