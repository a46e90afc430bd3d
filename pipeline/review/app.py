"""The review room's web app (Starlette): pages, the JSON API, and the programme's files.

Everything runs from the workspace: `Room` knows the workspace root and, when `reportage review`
was given a manifest, that one programme (then no other is served). Files are sent only from inside
a programme's folder (`files.resolve_inside`), with HTTP ranges (Starlette's FileResponse) so the
player can seek; the publish stage's web and social packages are sent, read-only, from their own
folders alone (`/publish/<id>/web/…`, `/publish/<id>/social/…`: `publishview`), and the files kept at
the last approval by deliverable name alone (`/approved/<id>/<deliverable>/<file>`: `compare`). Saves of cues take
the programme's lock (a running `reportage run` makes them wait their turn with 423, not interleave)
and an in-process lock, so two reviewers saving the same cue are told 409 instead of one silently
overwriting the other.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import fonts
from ..asr.glossary import load_glossary
from ..errors import ReportageError
from ..lock import ProgrammeBusy, programme_lock
from ..manifest import Programme
from ..records.review import APPROVING
from ..search import refresh_index, search, search_index
from ..timecode import Timecode, ms_to_timecode
from ..timeline import Timeline, load_timeline
from ..workspace import Workspace
from . import clock, comments, editorapi, freshness, measure, obstacles, publishview, qcview, state, views, watch
from . import cues as cuelist
from .auth import TokenMiddleware
from .compare import compare_view, kept_file
from .errors import Busy, Invalid, NotFound, ReviewRefused
from .files import media_type, resolve_inside
from .keep import keep_after_approval
from .origin import OriginMiddleware, new_csrf, session

STATIC = Path(__file__).resolve().parent / "static"
FONT_FILES = {"NotoSans-Regular.ttf": "noto-sans-regular", "NotoSans-Bold.ttf": "noto-sans-bold"}


class Room:
    """The workspace the app serves, and the one programme when a manifest was given."""

    def __init__(self, root: Path, programme: Programme | None = None, producers: Iterable[str] = ()) -> None:
        self.root = root.absolute()
        self.programme = programme
        self.producers = tuple(producers)
        """Who may delete anyone's note (`reportage review --producer NAME`)."""
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def ids(self) -> list[str]:
        if self.programme is not None:
            return [self.programme.id]
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")
                      and ((p / "catalogue.sqlite").is_file() or (p / "timeline.json").is_file()))

    def workspace(self, pid: str) -> Workspace:
        if pid not in self.ids():
            raise NotFound(f"there is no programme {pid!r} in this review room")
        return Workspace(self.root, pid)

    def manifest_of(self, pid: str) -> Programme | None:
        return self.programme if self.programme is not None and self.programme.id == pid else None

    def deliverables(self, pid: str) -> list[str] | None:
        programme = self.manifest_of(pid)
        return list(programme.deliverables) if programme is not None else None

    @contextlib.contextmanager
    def writing(self, ws: Workspace, what: str) -> Iterator[None]:
        """One save at a time per programme, under the programme's lock."""
        with self._guard:
            lock = self._locks.setdefault(ws.programme_id, threading.Lock())
        with lock:
            try:
                with programme_lock(ws, command=f"reportage review ({what})"):
                    yield
            except ProgrammeBusy as exc:
                raise Busy(exc.problem, hint="try again when it has finished") from None

    def timeline(self, ws: Workspace) -> Timeline:
        if not ws.timeline_json.is_file():
            raise NotFound("the programme has no timeline yet", hint="run `reportage assemble MANIFEST` first")
        return load_timeline(ws.timeline_json)

    def start(self, ws: Workspace, tl: Timeline) -> Timecode:
        """The programme's start timecode, the one its NLE exports and masters carry (`clock`)."""
        return clock.programme_start(self.manifest_of(ws.programme_id), ws, tl.rate)

    def context(self, ws: Workspace) -> cuelist.Context:
        programme = self.manifest_of(ws.programme_id)
        glossary = None
        if programme is not None:
            with contextlib.suppress(ReportageError):
                glossary = load_glossary(programme=programme.glossary_path())
        return cuelist.make_context(ws, self.timeline(ws), glossary)

    def obstacles(self, ws: Workspace) -> list[obstacles.Obstacle]:
        """What stands in the way of approving the programme's files now (`obstacles.gather`): the
        stages' freshness (`freshness`), the QC report, and the cues as the page lists them."""
        pid = ws.programme_id
        board = cuelist.board(ws, self.context(ws)) if ws.timeline_json.is_file() else None
        return obstacles.gather(ws, state.current_outputs(ws, self.deliverables(pid)),
                                freshness.stage_freshness(self.manifest_of(pid), ws), board)


# -- helpers ----------------------------------------------------------------------------------------

async def _body(request: Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise Invalid("the request body is not JSON") from None
    if not isinstance(data, dict):
        raise Invalid("the request body must be a JSON object")
    return data


def _room(request: Request) -> Room:
    room: Room = request.app.state.room
    return room


def _int(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise NotFound(f"{what} {value!r} is not a number") from None


def _rate(tl: Timeline) -> dict[str, int]:
    return {"num": tl.rate.numerator, "den": tl.rate.denominator}


# -- pages ------------------------------------------------------------------------------------------

def index_page(request: Request) -> Response:
    room = _room(request)
    if room.programme is not None:
        return RedirectResponse(f"/p/{room.programme.id}", status_code=303)
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")


def programme_page(request: Request) -> Response:
    _room(request).workspace(request.path_params["pid"])
    return FileResponse(STATIC / "programme.html", media_type="text/html; charset=utf-8")


def font(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in FONT_FILES:
        raise NotFound(f"no font {name!r}")
    return FileResponse(fonts.font_path(FONT_FILES[name]), media_type="font/ttf",
                        headers={"cache-control": "max-age=86400"})


def programme_file(request: Request) -> Response:
    ws = _room(request).workspace(request.path_params["pid"])
    path = resolve_inside(ws.dir, request.path_params["path"])
    return FileResponse(path, media_type=media_type(path), headers={"cache-control": "no-cache"})


def publish_file(request: Request) -> Response:
    """A file of the publish stage's web or social package, read-only, by its path in that folder, so
    the player page's relative addresses (player/, stream/) resolve as they will on the portal; typed
    for players (HLS, DASH, WebVTT) and sent with ranges as `/files/` is."""
    ws = _room(request).workspace(request.path_params["pid"])
    path = publishview.published_file(ws, request.path_params["part"], request.path_params["path"])
    return FileResponse(path, media_type=media_type(path),
                        headers={"cache-control": "no-cache", "x-content-type-options": "nosniff"})


# -- the API ------------------------------------------------------------------------------------------

def api_programmes(request: Request) -> Response:
    room = _room(request)
    out = []
    for pid in room.ids():
        ws = Workspace(room.root, pid)
        summary = views.programme_summary(ws, room.deliverables(pid))
        title = None
        programme = room.manifest_of(pid)
        if programme is not None and programme.manifest.title is not None:
            title = programme.manifest.title.vi
        out.append({**summary, "title": title})
    return JSONResponse({"workspace": str(room.root), "programmes": out})


def api_programme(request: Request) -> Response:
    room = _room(request)
    pid = request.path_params["pid"]
    ws = room.workspace(pid)
    programme = room.manifest_of(pid)
    tl = room.timeline(ws)
    play = views.player(ws, tl)
    title = programme.manifest.title if programme is not None else None
    tracks = [{"lang": lang, "label": label, "url": views.rel(ws, ws.subtitle(lang, "vtt"))}
              for lang, label in (("vi", "Tiếng Việt"), ("en", "English")) if ws.subtitle(lang, "vtt").is_file()]
    return JSONResponse({
        "id": pid, "title": {"vi": title.vi, "en": title.en} if title else None,
        "rate": _rate(tl), "duration_ms": tl.duration_ms,
        "duration_tc": ms_to_timecode(tl.duration_ms, tl.rate), "player": play, "tracks": tracks,
        "clock": clock.clock_json(room.start(ws, tl)),
        "summary": views.programme_summary(ws, room.deliverables(pid)),
    })


def api_cues(request: Request) -> Response:
    room = _room(request)
    ws = room.workspace(request.path_params["pid"])
    return JSONResponse(cuelist.board(ws, room.context(ws)))


async def api_cue_save(request: Request) -> Response:
    room = _room(request)
    ws = room.workspace(request.path_params["pid"])
    params = request.path_params
    lang, no, action = params["lang"], _int(params["no"], "cue"), params["action"]
    body = await _body(request)
    ctx = await run_in_threadpool(room.context, ws)
    if lang not in cuelist.LANGS:
        raise NotFound(f"there are no {lang!r} subtitles (vi or en)")
    if action == "review":  # the cue confirmed as it is: remembered as reviewed, no file written
        return JSONResponse(await run_in_threadpool(_mark_reviewed, room, ws, ctx, lang, no, body.get("version")))
    if action == "edit":
        start = room.start(ws, ctx.timeline)
        edit = cuelist.edit_cue(ctx, lang, no, body.get("version"), body.get("text"),
                                _cue_time(body, "start", start), _cue_time(body, "end", start))
    elif action == "split":
        edit = cuelist.split_cue(ctx, lang, no, body.get("version"), body.get("at_ms"), body.get("at_char"),
                                 body.get("text"))
    elif action == "merge":
        edit = cuelist.merge_cues(ctx, lang, no, body.get("version"), body.get("next_version"))
    else:
        raise NotFound(f"no cue action {action!r} (edit, split, merge, review)")

    def work() -> dict[str, Any]:
        with room.writing(ws, f"saving {lang} cue {no}"):
            saved = cuelist.save(ws, ctx, lang, edit)
        return {"saved": saved.to_dict(), "board": cuelist.board(ws, ctx)}

    return JSONResponse(await run_in_threadpool(work))


def _mark_reviewed(room: Room, ws: Workspace, ctx: cuelist.Context, lang: str, no: int,
                   version: Any) -> dict[str, Any]:
    """A reviewer's "reviewed" on one cue, under the programme's lock as a save is (the ledger is
    the subtitles stage's input)."""
    with room.writing(ws, f"marking {lang} cue {no} reviewed"):
        saved = cuelist.mark_reviewed(ws, ctx, lang, no, version)
    return {"saved": saved.to_dict(), "board": cuelist.board(ws, ctx)}


def _cue_time(body: dict[str, Any], which: str, start: Timecode) -> Any:
    """A cue's in or out point from a save: `<which>_tc`, the broadcast timecode the page edits,
    as programme ms (`clock.parse_timecode`, the frame's time as `pipeline.timecode` gives it); else
    `<which>_ms` as sent (a script's); None when neither is given (unchanged)."""
    text = body.get(f"{which}_tc")
    if text is None:
        return body.get(f"{which}_ms")
    what = "in" if which == "start" else "out"
    try:
        return clock.parse_timecode(str(text), start)
    except ValueError as exc:
        raise Invalid(f"the {what} point: {exc}", hint=f"write it as HH:MM:SS:FF, from {start}") from None


def api_rushes(request: Request) -> Response:
    room = _room(request)
    pid = request.path_params["pid"]
    ws = room.workspace(pid)
    return JSONResponse({"clips": views.rushes(ws, room.manifest_of(pid))})


def api_search(request: Request) -> Response:
    room = _room(request)
    pid = request.path_params["pid"]
    ws = room.workspace(pid)
    query = request.query_params.get("q", "").strip()
    if not query:
        return JSONResponse({"query": "", "hits": []})
    programme = room.manifest_of(pid)
    if programme is not None:
        hits = search(programme, ws, query, limit=100)
    else:
        refresh_index(ws)
        hits = search_index(ws, query, room.timeline(ws).rate, limit=100)
    proxies = {clip: views.rel(ws, ws.proxy(clip)) for clip in {h.clip_id for h in hits} if ws.proxy(clip).is_file()}
    return JSONResponse({"query": query, "hits": [{**h.to_dict(), "proxy": proxies.get(h.clip_id)} for h in hits]})


def _player_file(ws: Workspace, tl: Timeline) -> tuple[Path | None, dict[str, Any] | None]:
    play = views.player(ws, tl)
    return (ws.dir / play["url"] if play and play["url"] else None), play


def api_qc(request: Request) -> Response:
    room = _room(request)
    ws = room.workspace(request.path_params["pid"])
    tl = room.timeline(ws)
    file, _ = _player_file(ws, tl)
    measured = measure.state(ws, file)
    report = views.qc_report(ws)
    marks = (views.speech_marks(ws, tl) + views.qc_marks(report, exclude=measured.get("deliverable"))
             + (views.measured_marks(measured) if measured["state"] == "done" else []))
    start = room.start(ws, tl)
    rows = qcview.qc_rows(report, start, qcview.programme_offsets(ws, report)) if report is not None else None
    return JSONResponse({"report": report.to_json() if report is not None else None, "rows": rows,
                         "marks": marks, "measure": measured, "duration_ms": tl.duration_ms,
                         "clock": clock.clock_json(start)})


def api_qc_measure(request: Request) -> Response:
    room = _room(request)
    ws = room.workspace(request.path_params["pid"])
    tl = room.timeline(ws)
    file, play = _player_file(ws, tl)
    if file is None or play is None:
        raise NotFound("there is no render or proxy to measure", hint="run `reportage render MANIFEST` first")
    leader = 0.0
    started = measure.start(ws, file, Fraction(tl.rate), float(play["offset_s"]), leader)
    return JSONResponse({"started": started, **measure.state(ws, file)}, status_code=202)


def api_notes(request: Request) -> Response:
    ws = _room(request).workspace(request.path_params["pid"])
    return JSONResponse({"notes": _notes(ws)})


async def api_note_add(request: Request) -> Response:
    room = _room(request)
    ws = room.workspace(request.path_params["pid"])
    body = await _body(request)

    def work() -> dict[str, Any]:
        duration = room.timeline(ws).duration_ms if ws.timeline_json.is_file() else None
        rendered = watch.rendered_names(ws)
        with room.writing(ws, "adding a note"):
            note = comments.add_comment(ws, body, duration, rendered)  # a range comment, a drawing, a reply
        return {"note": note.to_json(), "notes": _notes(ws)}

    return JSONResponse(await run_in_threadpool(work), status_code=201)


async def api_note_resolve(request: Request) -> Response:
    """`{by, resolved}`: the note marked resolved by `by`, or open again."""
    room = _room(request)
    ws = room.workspace(request.path_params["pid"])
    body = await _body(request)

    resolved = body.get("resolved", True) is not False

    def work() -> dict[str, Any]:
        with room.writing(ws, "resolving a note"):
            note = comments.resolve(ws, request.path_params["nid"], body.get("by"), resolved)
        return {"note": note.to_json(), "notes": _notes(ws)}

    return JSONResponse(await run_in_threadpool(work))


async def api_note_delete(request: Request) -> Response:
    """`{by}`: the note and its replies deleted when `by` wrote it (403 for anyone else: `comments`)."""
    room = _room(request)
    ws = room.workspace(request.path_params["pid"])
    body = await _body(request) if await request.body() else {}

    def work() -> dict[str, Any]:
        with room.writing(ws, "deleting a note"):
            comments.delete(ws, request.path_params["nid"], body.get("by"), room.producers)
        return {"notes": _notes(ws)}

    return JSONResponse(await run_in_threadpool(work))


def api_deliverables(request: Request) -> Response:
    """Every rendered deliverable the page may watch, with its offset and picture area (`watch`)."""
    room = _room(request)
    pid = request.path_params["pid"]
    ws = room.workspace(pid)
    tl = room.timeline(ws)
    play = views.player(ws, tl)
    return JSONResponse({"default": play["name"] if play and play["kind"] == "render" else None,
                         "deliverables": watch.deliverables(ws, tl, room.manifest_of(pid))})


def api_notes_export(request: Request) -> Response:
    room = _room(request)
    ws = room.workspace(request.path_params["pid"])
    notes = state.read_notes(ws)
    name = f"{ws.programme_id}-notes"
    if request.path_params["fmt"] == "csv":
        tl = room.timeline(ws) if ws.timeline_json.is_file() else None
        start = room.start(ws, tl) if tl is not None else clock.programme_start(None, ws, Fraction(25))
        return Response(state.notes_csv(notes, start), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="{name}.csv"'})
    return JSONResponse([n.to_json() for n in notes],
                        headers={"content-disposition": f'attachment; filename="{name}.json"'})


def _notes(ws: Workspace) -> list[dict[str, Any]]:
    """The notes as the page and the export read them (`notes.json`'s shape)."""
    return [n.to_json() for n in state.read_notes(ws)]


def api_approval(request: Request) -> Response:
    room = _room(request)
    pid = request.path_params["pid"]
    ws = room.workspace(pid)
    return JSONResponse(state.approval_state(ws, room.deliverables(pid)).to_dict())


async def api_approval_set(request: Request) -> Response:
    room = _room(request)
    pid = request.path_params["pid"]
    ws = room.workspace(pid)
    body = await _body(request)

    decision = body.get("decision", body.get("verdict"))  # `verdict`: what an older page sends

    def work() -> dict[str, Any]:
        with room.writing(ws, "recording the decision"):  # obstacles gathered under the lock they are settled in
            standing = room.obstacles(ws) if decision in APPROVING else []
            entry = state.record_decision(ws, decision, body.get("author"), body.get("comment"),
                                          room.deliverables(pid), standing=standing, overrides=body.get("overrides"))
            kept = keep_after_approval(ws, entry) if entry.approved else None  # what was approved, kept
        return {**state.approval_state(ws, room.deliverables(pid)).to_dict(), "kept": kept}

    return JSONResponse(await run_in_threadpool(work))


def api_compare(request: Request) -> Response:
    """Per deliverable, the version kept at the last approval against the render now (`compare`)."""
    room = _room(request)
    pid = request.path_params["pid"]
    ws = room.workspace(pid)
    return JSONResponse(compare_view(ws, room.timeline(ws), room.manifest_of(pid)))


def approved_file(request: Request) -> Response:
    """A file kept at the last approval, read-only, with ranges as `/files/` (`compare.kept_file`)."""
    ws = _room(request).workspace(request.path_params["pid"])
    path = kept_file(ws, request.path_params["deliverable"], request.path_params["name"])
    return FileResponse(path, media_type=media_type(path),
                        headers={"cache-control": "no-cache", "x-content-type-options": "nosniff"})


def api_publish(request: Request) -> Response:
    """The publish record as the page's "Xuất bản / Publish" block shows it (`publishview`)."""
    ws = _room(request).workspace(request.path_params["pid"])
    return JSONResponse(publishview.publish_view(ws))


def api_obstacles(request: Request) -> Response:
    """What stands in the way of approving the programme now, each with what to do about it."""
    room = _room(request)
    ws = room.workspace(request.path_params["pid"])
    found = room.obstacles(ws)
    return JSONResponse({"obstacles": [o.to_dict() for o in found],
                         "fixed": sum(not o.overridable for o in found)})


# -- errors ----------------------------------------------------------------------------------------------

def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ReviewRefused)
    return JSONResponse({"error": exc.problem, "hint": exc.hint, "status": exc.status, **exc.details()},
                        status_code=exc.status)


def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ReportageError)
    return JSONResponse({"error": exc.one_line(), "hint": exc.hint, "status": 500}, status_code=500)


def _not_found(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": "không có trang này / no such page", "status": 404}, status_code=404)


def create_app(root: Path, programme: Programme | None = None, token: str | None = None,
               names: Iterable[str] = (), producers: Iterable[str] = ()) -> Starlette:
    """The review room over workspace `root` (one programme when `programme` is given); `token`
    required of every request when set. Only this server's own page may change anything
    (`origin.py`); `names` are the host names a networked room answers to besides its address;
    `producers` may delete anyone's note."""
    p = "/api/p/{pid:str}"
    routes = [
        Route("/", index_page),
        Route("/p/{pid:str}", programme_page),
        Route("/fonts/{name:str}", font),
        Route("/files/{pid:str}/{path:path}", programme_file),
        Route("/publish/{pid:str}/{part:str}/{path:path}", publish_file),
        Route("/approved/{pid:str}/{deliverable:str}/{name:str}", approved_file),
        Route("/api/session", session),
        Route("/api/programmes", api_programmes),
        Route(p, api_programme),
        Route(p + "/cues", api_cues),
        Route(p + "/cues/{lang:str}/{no:str}/{action:str}", api_cue_save, methods=["POST"]),
        Route(p + "/rushes", api_rushes),
        Route(p + "/search", api_search),
        Route(p + "/qc", api_qc),
        Route(p + "/qc/measure", api_qc_measure, methods=["POST"]),
        Route(p + "/notes", api_notes, methods=["GET"]),
        Route(p + "/notes", api_note_add, methods=["POST"]),
        Route(p + "/notes/{nid:str}", api_note_delete, methods=["DELETE"]),
        Route(p + "/notes/{nid:str}/resolve", api_note_resolve, methods=["POST"]),
        Route(p + "/deliverables", api_deliverables),
        Route(p + "/notes.{fmt:str}", api_notes_export),
        Route(p + "/approval", api_approval, methods=["GET"]),
        Route(p + "/approval", api_approval_set, methods=["POST"]),
        Route(p + "/obstacles", api_obstacles),
        Route(p + "/publish", api_publish),
        Route(p + "/compare", api_compare),
        *editorapi.routes(p),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    csrf = new_csrf()
    middleware = [Middleware(TokenMiddleware, token=token), Middleware(OriginMiddleware, csrf=csrf, names=names)]
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={ReviewRefused: _refused, ReportageError: _problem, 404: _not_found})
    app.state.room = Room(root, programme, producers)
    app.state.csrf = csrf
    return app
