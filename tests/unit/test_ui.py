"""Lines for the editor are not wrapped when stderr is a file or a pipe (issue 15: error lines wrapped
at about 160 columns in logs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_a_long_error_line_stays_one_line_when_not_a_terminal(tmp_path: Path) -> None:
    deep = tmp_path / ("Phóng sự về Trà Vinh, tập một " * 8).strip() / "chương trình.yaml"
    reportage = Path(sys.executable).with_name("reportage")
    proc = subprocess.run([str(reportage), "render", str(deep)], capture_output=True, text=True, check=False,
                          timeout=60)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ") and str(deep) in lines[0] and len(lines[0]) > 300
    assert "Traceback" not in proc.stderr


def test_say_does_not_wrap_into_a_pipe() -> None:
    code = "from pipeline import ui; ui.say('x' * 400 + ' end')"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert proc.stderr.splitlines() == ["x" * 400 + " end"]
