"""The deliverables a reviewer can watch in the room, each with what the page needs to keep programme
time and programme-frame drawings right on it.

Every deliverable of the render record is offered, not only the default player file (`views.player`):
the 9:16 social cut as much as web-720p. For each: the file to play (a folder deliverable plays its
`main`), `offset_s` (file time = programme time + offset_s: the leader, less an excerpt's start),
the excerpt in programme ms, and `picture`, where the programme frame sits inside the deliverable's
own picture as fractions of it (`render.overlap.placement_for`, the same placement the render uses:
letterboxed, blur-padded or centre-cropped). A drawing kept in programme-frame fractions is mapped
through `picture`, so a box drawn on the 16:9 render lands on the same thing in the vertical cut.
A deliverable the browser cannot decode (MXF, ProRes) is listed but not playable, with the reason.
"""

from __future__ import annotations

from typing import Any

from ..errors import ReportageError
from ..manifest import Programme
from ..profiles import Profile, load_profile, programme_profile
from ..render.overlap import placement_for
from ..render.state import RenderedDeliverable, read_render_record
from ..timeline import Timeline
from ..workspace import Workspace
from .views import rel

PLAYABLE = (".mp4", ".m4v", ".webm")
"""What Chromium and Firefox decode in a <video> (H.264 or VP9 in these containers)."""
WHOLE = {"x": 0.0, "y": 0.0, "w": 1.0, "h": 1.0}


def _profile(programme: Programme | None, entry: RenderedDeliverable) -> Profile | None:
    try:
        if programme is not None:
            return programme_profile(programme.base_dir, entry.profile)
        return load_profile(entry.profile)
    except (ReportageError, OSError, ValueError):
        return None


def picture_area(profile: Profile | None, timeline: Timeline) -> dict[str, float]:
    """The programme frame inside the deliverable's picture, as fractions of that picture (x, y, w, h;
    beyond 0–1 where a crop cuts it); the whole picture when the profile is unknown."""
    if profile is None or not timeline.width or not timeline.height:
        return dict(WHOLE)
    out_w, out_h = profile.video.width, profile.video.height
    place = placement_for(profile, timeline.width, timeline.height)
    return {"x": round(place.dx / out_w, 6), "y": round(place.dy / out_h, 6),
            "w": round(timeline.width * place.scale / out_w, 6), "h": round(timeline.height * place.scale / out_h, 6)}


def rendered_names(ws: Workspace) -> frozenset[str]:
    """The deliverables the render record names (a note may say it was drawn on one of them)."""
    try:
        return frozenset(read_render_record(ws).deliverables)
    except ReportageError:
        return frozenset()


def deliverables(ws: Workspace, timeline: Timeline, programme: Programme | None) -> list[dict[str, Any]]:
    """Every rendered deliverable, the default player's first, then by name."""
    try:
        record = read_render_record(ws)
    except ReportageError:
        return []
    out = []
    for name in sorted(record.deliverables):
        entry = record.deliverables[name]
        main = entry.main
        url = rel(ws, main) if entry.present() else None
        problem = None
        if url is None:
            problem = "tệp không còn / the file is missing"
        elif main.suffix.lower() not in PLAYABLE:
            problem = f"trình duyệt không phát được {main.suffix} / the browser cannot play {main.suffix}"
        profile = _profile(programme, entry)
        start = entry.excerpt_s[0] if entry.excerpt_s else 0.0
        out.append({
            "name": name, "url": url, "playable": problem is None, "problem": problem,
            "offset_s": entry.leader_s - start, "duration_s": entry.duration_s,
            "excerpt_ms": [round(a * 1000) for a in entry.excerpt_s] if entry.excerpt_s else None,
            "width": profile.video.width if profile else None, "height": profile.video.height if profile else None,
            "vertical": profile.vertical if profile else None, "picture": picture_area(profile, timeline)})
    return out
