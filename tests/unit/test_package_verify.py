"""`reportage verify` requires the manifests a bag declares and the ones reportage writes: a deleted
manifest is a problem named in one line, never a bag that verifies on what is left."""

from __future__ import annotations

from pathlib import Path

import bagit
import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.package.verify import verify_bag


def _bag(folder: Path, software: str | None = "reportage 1.0 (bagit-python)",
         checksums: tuple[str, ...] = ("sha256", "md5")) -> Path:
    folder.mkdir()
    (folder / "master.mxf").write_bytes(b"picture" * 100)
    (folder / "sheet.json").write_text("{}", encoding="utf-8")
    info = {"Bagging-Software": software} if software else {}
    bagit.make_bag(str(folder), bag_info=info, checksums=list(checksums), processes=1)
    return folder


def test_an_intact_bag_is_valid(tmp_path: Path) -> None:
    result = verify_bag(_bag(tmp_path / "bag"))
    assert result.ok and result.files == 2


@pytest.mark.parametrize("name", ["manifest-sha256.txt", "manifest-md5.txt", "tagmanifest-sha256.txt",
                                  "tagmanifest-md5.txt"])
def test_a_deleted_manifest_of_a_reportage_bag_is_invalid(tmp_path: Path, name: str) -> None:
    bag = _bag(tmp_path / "bag")
    (bag / name).unlink()
    result = verify_bag(bag)
    assert not result.ok
    assert any(p.startswith(f"{name}: missing") for p in result.problems), result.problems


def test_the_command_fails_naming_the_missing_manifest(tmp_path: Path) -> None:
    bag = _bag(tmp_path / "bag")
    (bag / "manifest-sha256.txt").unlink()
    run = CliRunner().invoke(cli, ["verify", str(bag)])
    assert run.exit_code == 1
    assert "FAIL manifest-sha256.txt: missing" in run.output and "INVALID" in run.output
    assert "exists in manifest but was not found" not in run.output  # bagit's own warning is not the report


def test_a_foreign_bag_needs_sha256_but_not_md5(tmp_path: Path) -> None:
    assert verify_bag(_bag(tmp_path / "sha", software=None, checksums=("sha256",))).ok
    md5_only = verify_bag(_bag(tmp_path / "md5", software=None, checksums=("md5",)))
    assert not md5_only.ok and any(p.startswith("manifest-sha256.txt: missing") for p in md5_only.problems)


def test_a_missing_tag_file_listed_in_a_tag_manifest_is_named(tmp_path: Path) -> None:
    bag = _bag(tmp_path / "bag", software=None)
    (bag / "bag-info.txt").unlink()
    result = verify_bag(bag)
    assert not result.ok and any(p.startswith("bag-info.txt: missing") for p in result.problems)
