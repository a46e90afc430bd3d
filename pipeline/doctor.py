"""`reportage doctor`: is everything this machine needs in place? One row per check."""

from __future__ import annotations

import importlib
import shutil
import subprocess
from typing import Any


def _tool(name: str, args: list[str]) -> dict[str, Any]:
    path = shutil.which(name)
    if not path:
        return {"check": name, "ok": False, "detail": f"not installed — run ./scripts/demo (apt-get install {name})"}
    proc = subprocess.run([path, *args], capture_output=True, check=False)
    first = (proc.stdout or proc.stderr).decode("utf-8", "replace").strip().splitlines()
    return {"check": name, "ok": proc.returncode == 0, "detail": first[0] if first else path}


def checks() -> list[dict[str, Any]]:
    """Tools, fonts and model, each with ok and a detail line."""
    results = [
        _tool("ffmpeg", ["-version"]),
        _tool("ffprobe", ["-version"]),
        _tool("espeak-ng", ["--version"]),
    ]
    try:
        fonts = importlib.import_module("pipeline.fonts")
        results.extend(fonts.font_report())
    except (ImportError, AttributeError):
        results.append({"check": "fonts", "ok": False, "detail": "font checks are not installed"})
    try:
        model = importlib.import_module("pipeline.asr.model")
        report = model.model_report()
        results.append({"check": "whisper model", "ok": bool(report.get("ok", True)), "detail": str(report)})
    except ImportError:
        results.append({"check": "whisper model", "ok": False, "detail": "speech recognition is not installed"})
    except Exception as exc:
        results.append({"check": "whisper model", "ok": False, "detail": str(exc)})
    return results
