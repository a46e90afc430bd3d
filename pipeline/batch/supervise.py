"""`reportage worker`: a supervisor and the Dramatiq worker process it keeps running.

Dramatiq shuts a whole worker down when one of its processes dies, so the worker process is run
by a small supervisor that starts it again (after a pause that grows when it keeps dying). The
worker process consumes the `reportage` queue with one message prefetched per thread; every task
runs its work in a child process, so the broker heartbeat thread is never starved. SIGTERM,
SIGHUP or Ctrl-C stop the children cleanly (their tasks are sent again for someone else) and
then the worker.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

from .pathmap import ENV, PathMap

log = logging.getLogger("reportage.worker")


def worker_main(argv: Sequence[str] | None = None) -> None:
    """The Dramatiq worker process (started by `supervise`)."""
    parser = argparse.ArgumentParser(prog="python -m pipeline.batch.supervise")
    parser.add_argument("--broker", required=True)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from dramatiq import Worker

    from . import distributed
    from .spawn import RUNNING

    distributed._WORKER_URL[:] = [args.broker]
    broker = distributed.broker_for(args.broker)
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, on_signal)
    worker = Worker(broker, queues={distributed.QUEUE}, worker_threads=args.threads, worker_timeout=1000)
    worker.queue_prefetch = 1  # a message waiting in a busy worker's cache is a message nobody else can take
    worker.start()
    log.info("worker %s:%d consuming %s with %d thread(s)", os.uname().nodename, os.getpid(), args.broker,
             args.threads)
    while not stop.wait(1.0):
        pass
    log.info("stopping: the running tasks are stopped cleanly and sent again")
    for child in list(RUNNING):
        child.stop()
    worker.stop(timeout=120_000)
    sys.exit(0)


def supervise(broker: str, threads: int, pm: PathMap, *, quiet: bool = False) -> int:
    """Run the worker process until told to stop; start it again whenever it dies."""
    env = dict(os.environ)
    if pm.pairs:
        env[ENV] = ";".join(f"{a}={b}" for a, b in pm.pairs)
    argv = [sys.executable, "-m", "pipeline.batch.supervise", "--broker", broker, "--threads", str(threads)]
    stopping = threading.Event()
    current: list[subprocess.Popen[bytes]] = []

    def on_signal(signum: int, _frame: object) -> None:
        stopping.set()
        for proc in current:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)

    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, on_signal)
    pause = 1.0
    while not stopping.is_set():
        began = time.monotonic()
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL)
        current[:] = [proc]
        code = proc.wait()
        if stopping.is_set():
            # A second wait in case the signal arrived between Popen and wait.
            return 0
        pause = 1.0 if time.monotonic() - began > 60 else min(pause * 2, 30.0)
        if not quiet:
            print(f"reportage worker: the worker process ended ({code}); starting it again in {pause:.0f} s",
                  file=sys.stderr, flush=True)
        if stopping.wait(pause):
            return 0
    return 0


if __name__ == "__main__":
    worker_main()
