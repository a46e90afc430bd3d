"""`reportage doctor`: is everything this machine needs in place? One row per check."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

from .asr.model import model_report
from .errors import ReportageError
from .fonts import SUBTITLE_FAMILY, check_vietnamese, fonts_dir
from .publish.vendor import vendor_report
from .translate.gguf_model import gguf_report


def _tool(name: str, args: list[str]) -> dict[str, Any]:
    path = shutil.which(name)
    if not path:
        return {"check": name, "ok": False, "detail": f"not installed — run ./scripts/setup (apt-get install {name})"}
    proc = subprocess.run([path, *args], capture_output=True, check=False)
    first = (proc.stdout or proc.stderr).decode("utf-8", "replace").strip().splitlines()
    return {"check": name, "ok": proc.returncode == 0, "detail": first[0] if first else path}


def _fonts() -> list[dict[str, Any]]:
    rows = []
    for font in sorted(fonts_dir().glob("*.ttf")):
        try:
            check_vietnamese(font)
            rows.append({"check": f"font {font.name}", "ok": True, "detail": "every Vietnamese letter present"})
        except ReportageError as exc:
            rows.append({"check": f"font {font.name}", "ok": False, "detail": exc.one_line()})
    if not rows:
        rows.append({"check": "fonts", "ok": False, "detail": f"no {SUBTITLE_FAMILY} fonts in {fonts_dir()}"})
    return rows


def _model() -> dict[str, Any]:
    report = model_report()
    if report.get("error"):
        return {"check": "whisper model", "ok": False, "detail": report["error"]}
    detail = (f"{report['model_name']} sha256 {str(report['sha256'])[:12]}… verified; ctranslate2 "
              f"{report['ctranslate2_version']}; CUDA devices: {report['cuda_device_count']}")
    return {"check": "whisper model", "ok": bool(report.get("hash_ok")), "detail": detail}


def _vietnamese_model() -> dict[str, Any]:
    """The Vietnamese CTC recogniser (taken out of the viet-asr wheel and verified)."""
    from .asr.ctc_model import model_report as ctc_report

    report = ctc_report()
    if report.get("error"):
        return {"check": "vietnamese recogniser", "ok": False,
                "detail": report["error"] + " — or set asr: {engine: whisper} in the manifest"}
    detail = (f"viet-asr {report['version']}: model sha256 {str(report['sha256'])[:12]}… verified; "
              f"onnxruntime {_version('onnxruntime')}")
    return {"check": "vietnamese recogniser", "ok": bool(report.get("hash_ok")), "detail": detail}


def _version(dist: str) -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _language_model() -> dict[str, Any]:
    """The llama backend's default model (joined and verified) and whether llama.cpp imports."""
    from .translate.llama_backend import llama_class

    report = gguf_report()
    fallback = " — the llama backend will use whisper instead"
    if report.get("error"):
        return {"check": "language model", "ok": False, "detail": report["error"] + fallback}
    try:
        llama_class()
    except ReportageError as exc:
        return {"check": "language model", "ok": False, "detail": exc.one_line() + fallback}
    detail = (f"{report['model_name']} sha256 {str(report['sha256'])[:12]}… verified "
              f"({report['size_bytes'] / 1e9:.2f} GB); llama-cpp-python {report['llama_cpp_version']}")
    return {"check": "language model", "ok": True, "detail": detail}


def _stream_packager() -> dict[str, Any]:
    """Shaka Packager for the HLS/DASH streaming package (from its wheel, hash and version checked)."""
    from .publish.packager import packager_report

    report = packager_report()
    if report.get("error"):
        return {"check": "shaka packager", "ok": False, "detail": report["error"]}
    detail = (f"{report['packager_version']} ({report['package']} {report['version']}): sha256 "
              f"{str(report['sha256'])[:12]}… verified")
    return {"check": "shaka packager", "ok": True, "detail": detail}


def checks() -> list[dict[str, Any]]:
    """Tools, fonts and models, each with ok and a detail line."""
    return [
        _tool("ffmpeg", ["-version"]),
        _tool("ffprobe", ["-version"]),
        _tool("espeak-ng", ["--version"]),
        *_fonts(),
        _model(),
        _vietnamese_model(),
        _language_model(),
        _stream_packager(),
        vendor_report(),  # the web package's player page: video.js from set-up, checked
    ]
