"""Shared fixtures: small real media made on the fly, and a guard that the tools are installed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _tools_installed() -> None:
    missing = [t for t in ("ffmpeg", "ffprobe") if shutil.which(t) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed: run ./scripts/setup first")


@pytest.fixture()
def media_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "footage"
    folder.mkdir()
    return folder
