"""Batches spread over several machines: Dramatiq tasks on a Redis broker.

The work is split where it parallelises: ingest and transcribe are one task per clip, and once
every clip of a programme is through (a Redis set of the clips still pending, emptied atomically),
its programme stages follow as one task each, in the stage list's order: ingest and transcribe
again over the whole programme (every clip is fresh by then, so this only checks the cut list and
forgets clips taken out of the manifest), then assemble, subtitles, render, qc, package. Every task
runs its work in a child process under the programme's lock (`pipeline.batch.child`).

Delivery is at least once. Dramatiq acknowledges a message only when its task returns; a worker
that dies stops heartbeating and its messages go back on the queue for another worker. A task that
runs twice is harmless: outputs are written atomically and fresh work is skipped. A task that finds
its programme busy (another worker or an editor holds the lock) is sent again a little later.

Dramatiq's defaults are set here, not left: a 12-hour time limit (10 minutes by default), 3 retries
for a crashed work process (20 by default), one message prefetched per worker thread.

Redis keys, all under `reportage:` (the queue itself is Dramatiq's, under `dramatiq:`):
  batches                      list of batch ids, oldest first
  batch:<id>                   JSON: when, workspace, options, the programmes, the rejected ones
  batch:<id>:tasks             hash: task (programme/stage[/clip]) -> JSON state, worker, times
  batch:<id>:pending:<key>     set of the clips of a programme not yet transcribed
  batch:<id>:chain:<key>       set once the programme stages of <key> have been enqueued
  batch:<id>:outcomes:<key>    hash: stage -> the programme stage's outcome
  batch:<id>:result:<key>      JSON ProgrammeResult, once the programme is finished
  batch:<id>:finished          set of finished programmes
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ..errors import ReportageError
from ..stagelist import STAGE_LIST
from .discover import Entry
from .options import BatchOptions
from .pathmap import PathMap
from .summary import ProgrammeResult

PREFIX = "reportage:"
QUEUE = "reportage"
CLIP_STAGES = tuple(s.name for s in STAGE_LIST if s.per_clip)
PROGRAMME_STAGES = tuple(s.name for s in STAGE_LIST)
TIME_LIMIT_MS = 12 * 3600 * 1000
MAX_RETRIES = 3
BUSY_DELAY_MS = 10_000
REDIS_WAIT_S = float(os.environ.get("REPORTAGE_REDIS_WAIT_S", "900"))
"""How long a task waits for Redis to come back before it gives up (and is delivered again)."""

T = TypeVar("T")


class BrokerError(ReportageError):
    """Redis cannot be reached, or says something we did not expect."""


def heartbeat_ms() -> int:
    return int(float(os.environ.get("REPORTAGE_HEARTBEAT_S", "30")) * 1000)


def maintenance_chance() -> int:
    """Out of a million Redis commands, how many also requeue the messages of dead workers."""
    return int(os.environ.get("REPORTAGE_MAINTENANCE_CHANCE", "20000"))


def _redis(url: str) -> Any:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=10)
    except ValueError as exc:
        raise BrokerError(f"{url!r} is not a Redis URL ({exc})", hint="e.g. redis://HOST:6379/0") from exc
    return client


def _retrying(what: Callable[[], T]) -> T:
    """Run a Redis operation, waiting for Redis to come back (up to REDIS_WAIT_S) when it is down."""
    import redis

    deadline = time.monotonic() + REDIS_WAIT_S
    delay = 0.5
    while True:
        try:
            return what()
        except (redis.ConnectionError, redis.TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


# -- the broker and the actors ---------------------------------------------------------------------

_BROKERS: dict[str, Any] = {}
_ACTORS: dict[str, dict[str, Any]] = {}


def broker_for(url: str) -> Any:
    """The Dramatiq Redis broker for `url`, with our actors declared on it (once per process)."""
    if url in _BROKERS:
        return _BROKERS[url]
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker
    from dramatiq.middleware import CurrentMessage

    broker = RedisBroker(  # type: ignore[no-untyped-call]
        url=url, heartbeat_timeout=heartbeat_ms(), maintenance_chance=maintenance_chance(),
        socket_connect_timeout=5, health_check_interval=10)
    broker.add_middleware(CurrentMessage())
    dramatiq.set_broker(broker)
    options: dict[str, Any] = {"time_limit": TIME_LIMIT_MS, "max_retries": MAX_RETRIES,
                               "min_backoff": 5_000, "max_backoff": 60_000}
    _ACTORS[url] = {
        "clip": dramatiq.actor(queue_name=QUEUE, actor_name="reportage_clip", broker=broker, **options)(clip_task),
        "programme": dramatiq.actor(queue_name=QUEUE, actor_name="reportage_programme", broker=broker,
                                    **options)(programme_task),
        "chunks": dramatiq.actor(queue_name=QUEUE, actor_name="reportage_chunks", broker=broker,
                                 **options)(chunks_task),
    }
    _BROKERS[url] = broker
    return broker


_WORKER_URL: list[str] = []
"""Set in a worker process: the broker it consumes from is the one it sends follow-up tasks to."""


def _url(job: dict[str, Any]) -> str:
    return _WORKER_URL[0] if _WORKER_URL else str(job["broker"])


def _actor(url: str, name: str) -> Any:
    broker_for(url)
    return _ACTORS[url][name]


# -- state in Redis --------------------------------------------------------------------------------

def _k(*parts: str) -> str:
    return PREFIX + ":".join(parts)


def _task_key(job: dict[str, Any]) -> str:
    return "/".join(str(p) for p in (job["key"], job["stage"], job.get("clip")) if p)


def _set_task(r: Any, job: dict[str, Any], **state: Any) -> None:
    field = _task_key(job)

    def do() -> None:
        old = r.hget(_k("batch", job["batch"], "tasks"), field)
        data = json.loads(old) if old else {}
        data.update(state, updated=time.time())
        r.hset(_k("batch", job["batch"], "tasks"), field, json.dumps(data, ensure_ascii=False))

    _retrying(do)


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


# -- the tasks -------------------------------------------------------------------------------------

def _current_retries() -> int:
    from dramatiq.middleware import CurrentMessage

    message = CurrentMessage.get_current_message()
    return int(message.options.get("retries", 0)) if message is not None else 0


def _run(job: dict[str, Any], clips: Sequence[str] | None) -> Any:
    """Run the job's stage in a child process; None when it was sent again (busy, or stopping)."""
    from .spawn import Child, child_argv

    url, pm = _url(job), PathMap.from_env_and_options()
    r = _redis(url)
    began = time.time()
    _set_task(r, job, state="running", worker=_worker_name(), since=began)
    argv = child_argv(Path(pm.to_local(job["workspace"])), Path(pm.to_local(job["manifest"])), [job["stage"]],
                      clips, job.get("options") or {})
    result = Child(argv).collect()
    if result.busy:
        _set_task(r, job, state="waiting", message="programme busy; sent again in 10 s", worker=None)
        _retrying(lambda: _actor(url, "clip" if clips else "programme").send_with_options(
            args=(job,), delay=BUSY_DELAY_MS))
        return None
    if result.interrupted:
        _set_task(r, job, state="queued", message="worker stopped; sent again", worker=None)
        _retrying(lambda: _actor(url, "clip" if clips else "programme").send_with_options(args=(job,)))
        return None
    if result.crashed and _current_retries() < MAX_RETRIES:
        _set_task(r, job, state="retrying", message=result.failure_line(), seconds=time.time() - began)
        raise RuntimeError(f"{_task_key(job)}: {result.failure_line()}")
    ok = result.exit_code == 0
    last = result.outcomes[-1] if result.outcomes else {}
    why = last.get("stop_reason") or last.get("error") or result.failure_line()
    _set_task(r, job, state="done" if ok else "failed", seconds=round(time.time() - began, 2),
              message=None if ok else why, worker=_worker_name())
    return result


def clip_task(job: dict[str, Any]) -> None:
    """Ingest or transcribe one clip; after transcribe (or a failed ingest) the clip is no longer
    pending, and the last clip of a programme enqueues its programme stages."""
    result = _run(job, [job["clip"]])
    if result is None:
        return
    url = _url(job)
    r = _redis(url)
    if job["stage"] == "ingest" and result.exit_code == 0:
        nxt = dict(job, stage="transcribe")
        _set_task(r, nxt, state="queued", since=time.time())
        _retrying(lambda: _actor(url, "clip").send(nxt))
        return
    pending = _k("batch", job["batch"], "pending", job["key"])

    def srem() -> int:
        with r.pipeline(transaction=True) as p:
            p.srem(pending, job["clip"])
            p.scard(pending)
            return int(p.execute()[1])

    if _retrying(srem) == 0:
        _start_chain(r, job)


def _start_chain(r: Any, job: dict[str, Any]) -> None:
    chain = _k("batch", job["batch"], "chain", job["key"])
    if _retrying(lambda: r.exists(chain)):
        return
    first = {k: v for k, v in job.items() if k != "clip"}
    first["stage"] = PROGRAMME_STAGES[0]
    _set_task(r, first, state="queued", since=time.time())
    _retrying(lambda: _actor(_url(job), "programme").send(first))
    _retrying(lambda: r.set(chain, "1"))


def programme_task(job: dict[str, Any]) -> None:
    """One programme stage; the next one is enqueued when this one lets the walk go on. A render
    first sends its helpers (`BatchOptions.spread`): idle workers take chunks of its picture."""
    if job["stage"] == "render":
        spread = int((job.get("options") or {}).get("spread", 0) or 0)
        helpers = _actor(_url(job), "chunks")
        for number in range(1, spread + 1):
            _send(helpers, dict(job, helper=number))
    result = _run(job, None)
    if result is None:
        return
    url = _url(job)
    r = _redis(url)
    outcomes = _k("batch", job["batch"], "outcomes", job["key"])
    outcome = result.outcomes[0] if result.outcomes else None
    if outcome is not None:
        _retrying(lambda: r.hset(outcomes, job["stage"], json.dumps(outcome, ensure_ascii=False)))
    index = PROGRAMME_STAGES.index(job["stage"])
    go_on = outcome is not None and outcome.get("proceed") and not outcome.get("error") and result.error is None
    if go_on and index + 1 < len(PROGRAMME_STAGES):
        nxt = dict(job, stage=PROGRAMME_STAGES[index + 1])
        _set_task(r, nxt, state="queued", since=time.time())
        _retrying(lambda: _actor(url, "programme").send(nxt))
        return
    _finish(r, job, result, stopped=None if go_on else job["stage"])


def _send(actor: Any, job: dict[str, Any]) -> None:
    _retrying(lambda: actor.send(job))


def chunks_task(job: dict[str, Any]) -> None:
    """Help a render running on another worker (`reportage render --assist` in a child process, no
    lock taken): encode the chunks of its picture nobody has taken yet, then end. A helper that
    arrives after the render has finished finds nothing to do and ends at once."""
    import subprocess
    import sys

    url, pm = _url(job), PathMap.from_env_and_options()
    r = _redis(url)
    task = dict(job, stage=f"render/chunks/{job.get('helper', 1)}")
    began = time.time()
    render = _retrying(lambda: r.hget(_k("batch", job["batch"], "tasks"), _task_key(job)))
    if render and json.loads(render).get("state") in ("done", "failed"):
        _set_task(r, task, state="done", seconds=0.0, message="the render had finished: nothing to help with")
        return
    _set_task(r, task, state="running", worker=_worker_name(), since=began)
    argv = [sys.executable, "-c", "from pipeline.cli import main; main()",
            "--workspace", pm.to_local(job["workspace"]), "--json", "render", pm.to_local(job["manifest"]), "--assist"]
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, encoding="utf-8",
                          errors="replace", check=False)
    try:
        said = json.loads(done.stdout) if done.stdout.strip() else {}
    except ValueError:
        said = {}
    message = said.get("note") or (done.stderr.strip().splitlines() or [""])[-1][:300] or None
    _set_task(r, task, state="done" if done.returncode == 0 else "failed", seconds=round(time.time() - began, 2),
              chunks=said.get("chunks_made"), message=message, worker=_worker_name())


def _finish(r: Any, job: dict[str, Any], result: Any, stopped: str | None) -> None:
    bid, key = job["batch"], job["key"]
    saved = _retrying(lambda: r.hgetall(_k("batch", bid, "outcomes", key)))
    by_stage = {k.decode() if isinstance(k, bytes) else k: json.loads(v) for k, v in saved.items()}
    tasks = _retrying(lambda: r.hgetall(_k("batch", bid, "tasks")))
    seconds: dict[str, float] = {}
    for field, raw in tasks.items():
        name = field.decode() if isinstance(field, bytes) else field
        parts = name.split("/")
        if parts[0] == key and len(parts) == 3:  # clip tasks: their time belongs to the stage
            seconds[parts[1]] = seconds.get(parts[1], 0.0) + float(json.loads(raw).get("seconds") or 0)
    stages = []
    for s in PROGRAMME_STAGES:
        if s in by_stage:
            o = by_stage[s]
            o["seconds"] = round(float(o.get("seconds") or 0) + seconds.get(s, 0.0), 2)
            stages.append(o)
    pr = ProgrammeResult(key, job["manifest"], stages, finished=True,
                         seconds=sum(float(o.get("seconds") or 0) for o in stages))
    if stopped is not None:
        pr.stopped_after = stopped
        last = by_stage.get(stopped) or {}
        pr.stop_reason = (last.get("stop_reason") or last.get("error") or (result.report or {}).get("stop_reason")
                          or (result.error or {}).get("line") or result.failure_line())
        if result.error is not None:
            pr.error = result.error
        elif result.crashed:
            pr.crash = result.failure_line()
    _retrying(lambda: r.set(_k("batch", bid, "result", key), json.dumps(pr.to_json(), ensure_ascii=False)))
    _retrying(lambda: r.sadd(_k("batch", bid, "finished"), key))
    write_summary_if_done(r, bid, PathMap.from_env_and_options())


# -- submitting, and what the queue holds ----------------------------------------------------------

def _clip_ids(entry: Entry) -> list[str]:
    assert entry.programme is not None
    return [s.clip_id for s in entry.programme.clips()]


def submit(url: str, entries: Sequence[Entry], workspace_root: Path, options: BatchOptions,
           pm: PathMap) -> dict[str, Any]:
    """Record the batch in Redis and enqueue the first task of every clip; bad manifests are
    recorded as finished with their error."""
    from .child import error_dict

    r = _redis(url)
    try:
        r.ping()
    except Exception as exc:
        raise BrokerError(f"cannot reach Redis ({exc})", path=url,
                          hint="start redis-server there, or check the host and port") from exc
    broker_for(url)
    bid = time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
    shared_ws = pm.to_shared(str(workspace_root))
    programmes: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    for e in entries:
        if e.programme is None:
            assert e.error is not None
            rejected.append(ProgrammeResult(e.key, str(e.manifest), error=error_dict(e.error), finished=True).to_json())
            continue
        try:
            clips = _clip_ids(e)
        except ReportageError as exc:
            rejected.append(ProgrammeResult(e.key, str(e.manifest), error=error_dict(exc), finished=True).to_json())
            continue
        title = e.programme.manifest.title.vi if e.programme.manifest.title else ""
        programmes.append({"key": e.key, "manifest": pm.to_shared(str(e.manifest)), "clips": clips, "title": title})
    record = {"batch": bid, "created": time.time(), "workspace": shared_ws, "options": options.to_json(),
              "programmes": programmes, "rejected": rejected, "broker": url}
    r.set(_k("batch", bid), json.dumps(record, ensure_ascii=False))
    r.rpush(_k("batches"), bid)
    for rej in rejected:
        r.set(_k("batch", bid, "result", rej["key"]), json.dumps(rej, ensure_ascii=False))
        r.sadd(_k("batch", bid, "finished"), rej["key"])
    for p in programmes:
        base = {"broker": url, "batch": bid, "key": p["key"], "manifest": p["manifest"], "workspace": shared_ws,
                "options": options.to_json()}
        if p["clips"]:
            r.sadd(_k("batch", bid, "pending", p["key"]), *p["clips"])
        for clip in p["clips"]:
            job = dict(base, stage=CLIP_STAGES[0], clip=clip)
            _set_task(r, job, state="queued", since=time.time())
            _actor(url, "clip").send(job)
        if not p["clips"]:
            _start_chain(r, dict(base, stage=CLIP_STAGES[0]))
    if not programmes:
        write_summary_if_done(r, bid, pm)
    return {"batch": bid, "broker": url, "queued": [p["key"] for p in programmes],
            "rejected": [{"programme": x["key"], "reason": (x["error"] or {}).get("line")} for x in rejected]}


def _batch(r: Any, bid: str) -> dict[str, Any] | None:
    raw = r.get(_k("batch", bid))
    return json.loads(raw) if raw else None


def collect_results(r: Any, record: dict[str, Any]) -> list[ProgrammeResult]:
    """Every programme of the batch in order: its finished result, or one saying it is not done."""
    bid = record["batch"]
    out = []
    for p in [*record["rejected"], *record["programmes"]]:
        raw = r.get(_k("batch", bid, "result", p["key"]))
        out.append(ProgrammeResult.from_json(json.loads(raw)) if raw else ProgrammeResult(p["key"], p["manifest"]))
    return out


def write_summary_if_done(r: Any, bid: str, pm: PathMap) -> tuple[Path, Path] | None:
    """Write batch-<date>.json/.html in the workspace once every programme is finished."""
    from .summary import build_summary, write_summary

    record = _retrying(lambda: _batch(r, bid))
    if record is None:
        return None
    total = len(record["programmes"]) + len(record["rejected"])
    if int(_retrying(lambda: r.scard(_k("batch", bid, "finished")))) < total:
        return None
    results = _retrying(lambda: collect_results(r, record))
    for res in results:
        res.manifest = pm.to_local(res.manifest)
    root = Path(pm.to_local(record["workspace"]))
    titles = {p["key"]: p.get("title") or "" for p in record["programmes"]}
    summary = build_summary(results, root, float(record["created"]), time.time(), titles=titles, mode="distributed")
    summary["batch"] = bid
    return write_summary(summary, root, float(record["created"]))


def status(url: str, bid: str | None = None) -> dict[str, Any]:
    """The latest batch (or `bid`): each task's state, worker and time, and each programme's result."""
    import redis

    r = _redis(url)
    try:
        if bid is None:
            last = r.lrange(_k("batches"), -1, -1)
            if not last:
                return {"broker": url, "batch": None, "tasks": [], "programmes": []}
            bid = last[0].decode()
        record = _batch(r, bid)
        if record is None:
            raise BrokerError(f"no batch {bid} on this Redis", path=url,
                              hint="Redis lost its data (restarted without persistence?): submit the batch again; "
                                   "finished work is kept and skipped")
        tasks = {k.decode(): json.loads(v) for k, v in r.hgetall(_k("batch", bid, "tasks")).items()}
        results = collect_results(r, record)
    except redis.RedisError as exc:
        raise BrokerError(f"cannot reach Redis ({exc})", path=url,
                          hint="start redis-server there, or check the host and port") from exc
    now = time.time()
    rows = []
    for name, t in sorted(tasks.items()):
        running = t.get("state") == "running"
        rows.append({"task": name, "state": t.get("state"), "worker": t.get("worker"),
                     "for_s": round(now - float(t.get("since") or now), 1) if running else None,
                     "seconds": t.get("seconds"), "message": t.get("message") or (
                         _progress_line(str(record.get("workspace") or ""), name) if running else None)})
    finished = [x for x in results if x.finished]
    return {"broker": url, "batch": bid, "tasks": rows, "done": len(finished) == len(results),
            "programmes": [{"programme": x.key, "finished": x.finished, "ok": x.ok,
                            "problem": x.stop_reason or (x.error or {}).get("line") or x.crash} for x in results]}


def _progress_line(workspace: str, task: str) -> str | None:
    """How far a running programme stage has got (its `progress.json` on the shared workspace), e.g.
    "render dautu · 14 chunks: 45 %, 3 min left"; None when it reports nothing."""
    from ..records.progress import read_progress
    from ..workspace import Workspace
    from .human import human_seconds

    key, _, stage = task.partition("/")
    if not workspace or not stage or "/" in stage:
        return None
    try:
        record = read_progress(Workspace(Path(PathMap.from_env_and_options().to_local(workspace)), key))
    except (ReportageError, OSError, ValueError):
        return None
    if record is None or record.stage != stage or not record.tasks:
        return None
    t = record.tasks[0]
    left = f", {human_seconds(t.eta_s)} left" if t.eta_s is not None else ""
    return f"{t.task}: {t.fraction * 100:.0f} %{left}"


def show_status(state: dict[str, Any]) -> None:
    from .. import ui
    from .human import human_seconds

    if state["batch"] is None:
        ui.say("no batch has been submitted to this broker")
        return
    counts: dict[str, int] = {}
    for t in state["tasks"]:
        counts[t["state"]] = counts.get(t["state"], 0) + 1
    ui.table(f"batch {state['batch']} — " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())),
             ["task", "state", "worker", "running for", "took", "message"],
             [[t["task"], t["state"] or "", t["worker"] or "", human_seconds(t["for_s"]),
               human_seconds(t["seconds"]), t["message"] or ""] for t in state["tasks"]])
    ui.table("programmes", ["programme", "state", "problem"],
             [[p["programme"], "ok" if p["ok"] else "FAILED" if p["finished"] else "in progress", p["problem"] or ""]
              for p in state["programmes"]])
