"""A batch of N small programmes on this machine: `--jobs 1` against the default, as a ratio.

Both runs start from an empty workspace and use the same tiny real programmes (320x180, 2.5 s of
espeak-ng Vietnamese speech, one web deliverable), so the ratio shows what running programmes
side by side gains (or costs) here. Usage: .venv/bin/python benchmarks/batch.py [N]
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.batch.local import default_jobs
from tests.e2e.test_batch_local import FAST, make_batch

REPORTAGE = str(Path(sys.executable).parent / "reportage")


def timed_batch(folder: Path, ws: Path, jobs: int) -> float:
    shutil.rmtree(ws, ignore_errors=True)
    began = time.monotonic()
    proc = subprocess.run([REPORTAGE, "--workspace", str(ws), "-q", "batch", "--jobs", str(jobs), *FAST, str(folder)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"batch --jobs {jobs} failed: {proc.stderr[-2000:]}")
    return time.monotonic() - began


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    root = Path(tempfile.mkdtemp(prefix="reportage-bench-batch-"))
    try:
        folder = make_batch(root, good=tuple(f"p{i}" for i in range(n)), bad=False)
        jobs = default_jobs()
        one = timed_batch(folder, root / "ws1", 1)
        many = timed_batch(folder, root / "ws2", jobs)
        print(f"{n} programmes: --jobs 1 {one:.1f} s, --jobs {jobs} (default) {many:.1f} s, "
              f"ratio default/1 = {many / one:.2f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
