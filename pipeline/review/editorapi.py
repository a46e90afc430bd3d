"""The subtitle editor's read-only API: the waveform's peaks, the cutting rules, live reading speed.

Nothing here changes a file of the programme (the peaks cache is the workspace's own scratch), so
these are GETs; every edit the editor makes goes through the cue-save endpoint in `app`, where lint
runs and the cue becomes reviewed. The handlers reach the `app.Room` the app keeps in its state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from ..subs import load_style
from ..timecode import Timecode
from . import clock, views, waveform
from . import cues as cuelist
from .errors import Invalid, NotFound
from .reading import reading

if TYPE_CHECKING:
    from .app import Room


def _room(request: Request) -> Room:
    room: Room = request.app.state.room
    return room


async def api_waveform(request: Request) -> Response:
    """The peaks of the sound the player plays, decoded once per render (`waveform`)."""
    room = _room(request)
    ws = room.workspace(request.path_params["pid"])
    tl = room.timeline(ws)
    play = views.player(ws, tl)
    if not play or not play.get("url"):
        raise NotFound("there is no render or proxy to draw the sound of", hint="run `reportage render MANIFEST` first")
    media = ws.dir / play["url"]
    path = await run_in_threadpool(waveform.peaks, ws, media, float(play["offset_s"]), tl.duration_ms)
    return FileResponse(path, media_type="application/json", headers={"cache-control": "no-cache"})


def api_editor(request: Request) -> Response:
    """What the editor snaps and warns by: the shot changes and each language's lint numbers."""
    room = _room(request)
    ws = room.workspace(request.path_params["pid"])
    tl = room.timeline(ws)
    styles = {lang: {"min_gap_frames": s.min_gap_frames, "shot_change_frames": s.shot_change_frames,
                     "lead_in_frames": s.lead_in_frames, "max_cps": s.max_cps, "max_cps_hard": s.max_cps_hard,
                     "chars_per_line": s.chars_per_line, "lines_per_cue": s.lines_per_cue}
              for lang, s in ((lang, load_style(lang)) for lang in cuelist.LANGS)}
    return JSONResponse({"shot_changes_ms": list(tl.shot_changes_ms), "duration_ms": tl.duration_ms,
                         "styles": styles})


def _time(params: Any, which: str, start: Timecode) -> int:
    """An in or out point given as broadcast timecode (`<which>_tc`, as a save reads it) or ms."""
    text = params.get(f"{which}_tc")
    try:
        return clock.parse_timecode(text, start) if text else int(params.get(f"{which}_ms", ""))
    except ValueError as exc:
        raise Invalid(f"the {'in' if which == 'start' else 'out'} point: {exc}") from None


def api_reading(request: Request) -> Response:
    """Lint's reading speed and line lengths for the text being typed (`reading`)."""
    room = _room(request)
    ws = room.workspace(request.path_params["pid"])
    q = request.query_params
    lang = q.get("lang", "")
    if lang not in cuelist.LANGS:
        raise NotFound(f"there are no {lang!r} subtitles (vi or en)")
    ctx = room.context(ws)
    start = room.start(ws, ctx.timeline)
    return JSONResponse(reading(ctx, lang, q.get("text", ""), _time(q, "start", start), _time(q, "end", start)))


def routes(prefix: str) -> list[Route]:
    """The editor's routes under the programme's API `prefix`."""
    return [Route(prefix + "/waveform", api_waveform), Route(prefix + "/editor", api_editor),
            Route(prefix + "/reading", api_reading)]
