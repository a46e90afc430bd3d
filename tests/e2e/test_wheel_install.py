"""A wheel built from the checkout runs on its own.

The wheel is installed into a fresh environment that takes its dependencies (and the bundled models)
from the environment running the tests but cannot see the checkout: no editable finder, no
PYTHONPATH, run from another folder. There `pipeline` and every file it ships (fonts, logo and
profiles from `assets/`, styles and the glossary from `subtitles/`) are the wheel's own, `reportage
doctor` passes, and a short generated programme is ingested, assembled, conformed and rendered with
a lower third drawn with the shipped fonts and the station logo, no file of the checkout handed to
ffmpeg.

Why: code that looks for its data in the repository works from a checkout and an editable install,
and fails in a wheel that never had the repository beside it (`pipeline/shipped.py`).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import mediagen

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "pipeline", "assets", "subtitles")
"""What a wheel is built from: the project's metadata, the package and the folders it ships."""
BUILD_FILES = ("LICENSE", "LICENSE.txt", "MANIFEST.in", "setup.py", "setup.cfg")
"""Files setuptools would also read, copied when the checkout has them."""
MANIFEST = """\
id: wheel
title: {vi: "Trà Vinh – Điểm hẹn", en: "Trà Vinh – Where Investors Meet"}
synopsis: {vi: "Thử", en: "Test"}
year: 2026
house: {width: 320, height: 180, fps: "25"}
footage: [a.mov]
timeline: {cut: [{clip: a, in: "00:00:00:00", out: "00:00:02:00"}]}
lower_thirds:
  - {name: "Lê Quốc Thắng", title: {vi: "Giám đốc Sở", en: "Director"}, at: "00:00:00:10", duration_s: 1.0}
deliverables: [web-720p]
credits: [{role: {vi: "Biên tập", en: "Editor"}, name: "Nguyễn Thị Thu Hà"}]
"""
SHIPPED = """\
import json, pipeline
from pipeline.asr.glossary import default_glossary_path
from pipeline.fonts import fonts_dir
from pipeline.profiles import available_profiles, profiles_dir
from pipeline.render.branding import default_logo
from pipeline.subs.style import STYLES_DIR, available_styles
print(json.dumps({"package": pipeline.__file__, "fonts": str(fonts_dir()), "profiles": str(profiles_dir()),
                  "glossary": str(default_glossary_path()), "styles": str(STYLES_DIR), "logo": str(default_logo()),
                  "profile_names": available_profiles(), "style_names": available_styles()}))
"""


@dataclass(frozen=True)
class Installed:
    """The fresh environment with the wheel in it."""

    python: Path
    reportage: Path
    site: Path
    env: dict[str, str]

    def run(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.reportage), *args], cwd=cwd, env=self.env, capture_output=True, text=True,
                              check=False, timeout=300)


def _can_build_here() -> bool:
    """Whether this environment has the build backend pyproject.toml asks for (setuptools 68 or later,
    with bdist_wheel), so the wheel is built without an isolated environment taken from the index."""
    try:
        version = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        return False
    major, minor = (int(part) for part in version.split(".")[:2])
    return (major, minor) >= (68, 0) and ((major, minor) >= (70, 1) or importlib.util.find_spec("wheel") is not None)


def _pip(*args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
                          capture_output=True, text=True, check=False, timeout=600)
    assert proc.returncode == 0, f"pip {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"


def _build_wheel(folder: Path) -> Path:
    """A wheel of the checkout, built from a copy of what it is made of (nothing is written into the
    checkout); the links in pipeline/_data are copied as links, so the copy's point into the copy."""
    src = folder / "src"
    src.mkdir()
    for name in (*SOURCES, *(f for f in BUILD_FILES if (ROOT / f).exists())):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, src / name)
    here = ("--no-build-isolation", "--no-index") if _can_build_here() else ()  # else pip fetches the backend
    _pip("wheel", "-q", "--no-deps", *here, "-w", str(folder / "dist"), str(src))
    wheels = sorted((folder / "dist").glob("reportage-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    folder = tmp_path_factory.mktemp("wheel")
    wheel = _build_wheel(folder)
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    _pip("--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel))
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True, cwd=folder).stdout.strip())
    # The dependencies are this environment's: its site-packages as plain path entries. A .pth line
    # adds a folder to sys.path without reading the .pth files in it, so the editable install's
    # finder there (which maps `pipeline` to the checkout) never runs.
    ours = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (site / "_reportage_test_deps.pth").write_text("".join(f"{p}\n" for p in ours), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "REPORTAGE_WORKSPACE")}
    return Installed(python, venv / "bin" / "reportage", site, env)


def _inside(path: str | Path, folder: Path) -> bool:
    return Path(path).resolve().is_relative_to(folder.resolve())


def test_the_package_and_everything_it_ships_come_from_the_wheel(installed: Installed, tmp_path: Path) -> None:
    proc = subprocess.run([str(installed.python), "-c", SHIPPED], cwd=tmp_path, env=installed.env,
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    for key in ("package", "fonts", "profiles", "glossary", "styles", "logo"):
        assert _inside(found[key], installed.site), f"{key}: {found[key]} is not the wheel's"
        assert not _inside(found[key], ROOT), f"{key}: {found[key]} is the checkout's"
        assert Path(found[key]).exists(), f"{key}: {found[key]} is missing from the wheel"
    assert found["profile_names"] == sorted(p.stem for p in (ROOT / "assets" / "profiles").glob("*.yaml"))
    assert found["style_names"] == sorted(p.stem for p in (ROOT / "subtitles" / "styles").glob("*.yaml"))
    shipped_fonts = sorted(p.name for p in (ROOT / "assets" / "fonts").iterdir())
    assert sorted(p.name for p in Path(found["fonts"]).iterdir()) == shipped_fonts


def test_doctor_passes_from_the_wheel(installed: Installed, tmp_path: Path) -> None:
    proc = installed.run("--json", "doctor", cwd=tmp_path)
    rows = json.loads(proc.stdout)
    assert proc.returncode == 0, [row for row in rows if not row["ok"]]
    fonts = [row for row in rows if row["check"].startswith("font ")]
    assert len(fonts) == len(list((ROOT / "assets" / "fonts").glob("*.ttf"))) and all(row["ok"] for row in fonts)


def test_a_programme_renders_from_the_wheel(installed: Installed, tmp_path: Path) -> None:
    (tmp_path / "programme.yaml").write_text(MANIFEST, encoding="utf-8")
    mediagen.clip_25p_mov(tmp_path / "a.mov", seconds=2.5)
    logs = []
    for stage in ("ingest", "assemble", "conform", "render"):
        proc = installed.run("-vv", "--workspace", "ws", stage, "programme.yaml", cwd=tmp_path)
        assert proc.returncode == 0, f"{stage}:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
        logs.append(proc.stderr)
    log = "\n".join(logs)  # -vv: every ffmpeg and ffprobe command line
    logo = installed.site / "pipeline" / "_data" / "assets" / "branding" / "logo.png"
    assert f"file:{logo}" in log, "the default logo is the wheel's"
    for folder in ("assets", "subtitles", "pipeline"):
        assert str(ROOT / folder) not in log, f"ffmpeg was handed a file from the checkout's {folder}/"
    # drawn in this process with the shipped fonts, which the first test found in the wheel
    assert list((tmp_path / "ws" / "wheel" / "graphics").glob("lower-third-*.mov"))
    record = json.loads((tmp_path / "ws" / "wheel" / "renders" / "render.json").read_text(encoding="utf-8"))
    rendered = tmp_path / "ws" / "wheel" / record["deliverables"]["web-720p"]["file"]  # relative to the programme
    probe = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(rendered)],
                                      capture_output=True, text=True, check=True).stdout)
    video = next(s for s in probe["streams"] if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (1280, 720)
