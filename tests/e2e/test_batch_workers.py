"""`reportage batch --broker` with a real `redis-server` on a free local port and two real
`reportage worker` processes, on tiny real programmes: the batch completes across both workers;
a worker SIGKILLed mid-task (its whole process group, as when a machine dies) has its task
delivered again and completed by the other, with no partial or duplicate outputs; Redis stopped
and restarted (without persistence) is reported clearly, and the batch submitted again completes
with the finished work up to date."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_batch_local import FAST, leftovers, make_batch, summary_of

pytestmark = [pytest.mark.slow, pytest.mark.model]

REPORTAGE = str(Path(sys.executable).parent / "reportage")
REDIS = shutil.which("redis-server")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """A redis-server and two workers, each worker in its own process group."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.redis: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.env = dict(os.environ, REPORTAGE_HEARTBEAT_S="5", REPORTAGE_MAINTENANCE_CHANCE="200000",
                        REPORTAGE_REDIS_WAIT_S="60")

    def start_redis(self) -> None:
        assert REDIS is not None
        self.redis = subprocess.Popen([REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                       "--appendonly", "no", "--dir", str(self.root)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: self.ping(), 20)

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port).ping())
        except redis.ConnectionError:
            return False

    def stop_redis(self) -> None:
        assert self.redis is not None
        self.redis.terminate()
        self.redis.wait(20)

    def start_workers(self) -> None:
        for i in range(2):
            log = open(self.root / f"worker{i}.log", "wb")  # noqa: SIM115 (closed with the process)
            self.workers.append(subprocess.Popen([REPORTAGE, "worker", "--broker", self.url], stdout=log,
                                                 stderr=subprocess.STDOUT, env=self.env, start_new_session=True))

    def reportage(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([REPORTAGE, *args], capture_output=True, text=True, env=self.env, timeout=120)

    def status(self) -> dict[str, Any]:
        proc = self.reportage("--json", "batch", "--broker", self.url, "status")
        assert proc.returncode == 0, proc.stderr
        data: dict[str, Any] = json.loads(proc.stdout)
        return data

    def close(self) -> None:
        for w in self.workers:
            if w.poll() is None:
                os.killpg(w.pid, signal.SIGTERM)
        for w in self.workers:
            try:
                w.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(w.pid, signal.SIGKILL)
        if self.redis is not None and self.redis.poll() is None:
            self.redis.kill()
            self.redis.wait()


def wait_for(predicate: Callable[[], Any], timeout: float, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    if REDIS is None:
        pytest.skip("redis-server is not installed (Debian redis-server)")
    root = Path(tempfile.mkdtemp(prefix="reportage-workers-"))
    c = Cluster(root)
    c.start_redis()
    c.start_workers()
    try:
        yield c
    finally:
        c.close()
        shutil.rmtree(root, ignore_errors=True)


def submit(c: Cluster, ws: Path, folder: Path) -> dict[str, Any]:
    proc = c.reportage("--workspace", str(ws), "--json", "batch", "--broker", c.url, *FAST, str(folder))
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def test_a_killed_workers_task_completes_on_the_other_one(cluster: Cluster) -> None:
    folder = make_batch(cluster.root / "one", good=("dautu", "dulich"), bad=False)
    ws = cluster.root / "one" / "ws"
    submitted = submit(cluster, ws, folder)
    assert sorted(submitted["queued"]) == ["dautu", "dulich"]
    seen_workers: set[str] = set()

    def transcribing() -> dict[str, Any] | None:
        tasks = cluster.status()["tasks"]
        seen_workers.update(t["worker"] for t in tasks if t["state"] == "running")
        return next((t for t in tasks if t["state"] == "running" and "/transcribe/" in t["task"]), None)

    victim = wait_for(transcribing, 120)
    pid = int(victim["worker"].rsplit(":", 1)[1])
    group = os.getpgid(pid)
    killed = next(w for w in cluster.workers if w.pid == group)
    os.killpg(group, signal.SIGKILL)  # the whole machine, as it were: supervisor, worker, work, ffmpeg
    killed.wait(10)

    state = wait_for(lambda: (s := cluster.status())["done"] and s, 240, every=1.0)
    tasks = {t["task"]: t for t in state["tasks"]}
    again = tasks[victim["task"]]
    assert again["state"] == "done" and again["worker"] != victim["worker"], again
    assert len(seen_workers) == 2, seen_workers  # both workers took tasks before the kill
    summary = summary_of(ws)
    assert summary["mode"] == "distributed" and summary["totals"]["finished"] == 2, summary["programmes"]
    for p in summary["programmes"]:
        assert p["ok"] and [d["name"] for d in p["deliverables"]] == ["web-720p"] and len(p["bags"]) == 1
    assert leftovers(ws) == []
    renders = [p for p in ws.rglob("renders/*/*") if p.suffix in (".mp4", ".mxf")]
    assert len(renders) == 2, renders
    helpers = [t for t in tasks.values() if "/render/chunks/" in t["task"]]
    assert len(helpers) >= 2 and not [t for t in helpers if t["state"] == "failed"], helpers  # sent with each render
    transcripts = sorted(p.name for p in ws.glob("*/transcripts/*.json"))
    assert transcripts == ["phong_van.json", "phong_van.json"]  # one per programme, each once
    cluster.workers.remove(killed)


def test_redis_restarted_mid_batch_is_reported_and_the_batch_resubmitted_completes(cluster: Cluster) -> None:
    folder = make_batch(cluster.root / "two", good=("phucvu",), bad=False)
    ws = cluster.root / "two" / "ws"
    submit(cluster, ws, folder)
    wait_for(lambda: any(t["state"] == "running" for t in cluster.status()["tasks"]), 120)
    cluster.stop_redis()
    time.sleep(2)
    cluster.start_redis()  # empty: it kept nothing
    lost = cluster.reportage("batch", "--broker", cluster.url, "status")
    assert lost.returncode == 0 and "no batch has been submitted" in lost.stderr + lost.stdout, lost
    assert all(w.poll() is None for w in cluster.workers), "workers ride out the outage"

    submit(cluster, ws, folder)
    state = wait_for(lambda: (s := cluster.status())["done"] and s, 240, every=1.0)
    assert all(p["ok"] for p in state["programmes"]), state["programmes"]
    summary = summary_of(ws)
    (p,) = summary["programmes"]
    assert p["ok"] and len(p["bags"]) == 1
    assert leftovers(ws) == []
