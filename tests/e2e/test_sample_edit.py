"""dulich is driven by an NLE edit file: the FCP7 XML the sample generator writes (as Premiere Pro
exports one) assembles, through the real CLI, to the same timeline as the equivalent typed cut list.

The footage is the generator's --small set (3-second clips; the edit is scaled to them by the
generator). The cut list is the generator's own reading of the ground truth's `edit` section, in
each clip's source timecode, so the two paths share nothing but the footage: the XML's record and
source frames (sequence rate, ticks, file rates) against assemble's cut-list arithmetic.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import itertools
import json
import shutil
import subprocess
import sys
import unicodedata
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
GENERATOR = REPO / "scripts" / "make-sample-footage"
EXAMPLES = REPO / "examples"
REPORTAGE = str(Path(sys.executable).parent / "reportage")
EDIT_LINE = "timeline: {edit: footage/dulich/dulich-edit.xml}\n"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not all(shutil.which(tool) for tool in ("ffmpeg", "ffprobe", "espeak-ng")),
        reason="needs ffmpeg, ffprobe and espeak-ng",
    ),
]


def _load_generator() -> ModuleType:
    """The generator script (no .py suffix), for its reading of the ground truth's `edit`."""
    loader = importlib.machinery.SourceFileLoader("make_sample_footage", str(GENERATOR))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = module  # dataclasses look their module up while the class is built
    loader.exec_module(module)
    return module


gen = _load_generator()


def _cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([REPORTAGE, "--workspace", str(folder / "ws"), *args], cwd=folder, text=True,
                          capture_output=True, timeout=300, check=False)


def _manifest_text() -> str:
    """examples/dulich.yaml as shipped, with the house frame at the small footage's 320x180 (so
    ingest does not scale every clip up to 1080 on two cores)."""
    text = (EXAMPLES / "dulich.yaml").read_text(encoding="utf-8")
    assert text.count(EDIT_LINE) == 1, "examples/dulich.yaml is driven by the generated edit file"
    for old, new in (("  width: 1920\n", "  width: 320\n"), ("  height: 1080\n", "  height: 180\n")):
        assert text.count(old) == 1
        text = text.replace(old, new)
    return text


def _small_edit() -> Any:
    clips = [c for c in gen.CLIPS if c.programme == "dulich"]
    return gen.load_edit(gen.load_script("dulich"), clips, small=True)


Assembled = tuple[Path, dict[str, Any], dict[str, Any]]


@pytest.fixture(scope="module")
def assembled(tmp_path_factory: pytest.TempPathFactory) -> Assembled:
    """(folder, timeline from the edit, timeline from the cut list), one ingest for both."""
    folder = tmp_path_factory.mktemp("sample-edit")
    done = subprocess.run([str(GENERATOR), "--small", "--out", str(folder / "footage")], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "wrote dulich/dulich-edit.xml" in done.stdout
    shutil.copy(EXAMPLES / "glossary.yaml", folder / "glossary.yaml")
    text = _manifest_text()
    (folder / "dulich.yaml").write_text(text, encoding="utf-8")
    for args in (("ingest", "dulich.yaml"), ("--json", "assemble", "dulich.yaml")):
        proc = _cli(folder, *args)
        assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["notes"] == [], "the edit has nothing the programme leaves out"
    from_edit = json.loads((folder / "ws" / "dulich" / "timeline.json").read_text(encoding="utf-8"))

    cut = "timeline:\n  cut:\n" + "".join(
        f'    - {{clip: {clip}, in: "{tc_in}", out: "{tc_out}"}}\n' for clip, tc_in, tc_out in _small_edit().cut_list()
    )
    (folder / "dulich-cut.yaml").write_text(text.replace(EDIT_LINE, cut), encoding="utf-8")
    proc = _cli(folder, "assemble", "dulich-cut.yaml")  # same id, same workspace: the same ingest
    assert proc.returncode == 0, proc.stderr
    from_cut = json.loads((folder / "ws" / "dulich" / "timeline.json").read_text(encoding="utf-8"))
    return folder, from_edit, from_cut


def test_the_edit_file_assembles_to_the_cut_lists_timeline(assembled: Assembled) -> None:
    _, from_edit, from_cut = assembled
    assert from_edit["segments"] == from_cut["segments"], "same clips, same source and record frames"
    assert from_edit["shot_changes_ms"] == from_cut["shot_changes_ms"]
    assert from_edit["duration_frames"] == from_cut["duration_frames"]
    assert from_edit["rate"] == "25/1"
    assert not from_edit.get("transitions") and not from_edit.get("audio"), "cuts only; sound follows the picture"
    clips = [s["clip_id"] for s in from_edit["segments"]]
    assert clips == [e.clip.clip_id for e in _small_edit().events]
    assert len(clips) == 6 and clips[0] == clips[-1] == "dulich_03_ghe_ngo", "one clip used twice"
    assert all(a["rec_out_frame"] == b["rec_in_frame"] for a, b in itertools.pairwise(from_edit["segments"]))
    phone = next(s for s in from_edit["segments"] if s["clip_id"] == "dulich_04_keo_dua")
    # 3 frames of 29.97 fps (30-frame counting) = 100 ms = house frame 2.5, rounded to even as a cut list does
    assert _small_edit().cut_list()[4][1] == "00:00:00:03" and phone["src_in_frame"] == 2


def test_the_edits_markers_arrive_with_their_vietnamese_text(assembled: Assembled) -> None:
    _, from_edit, from_cut = assembled
    markers = [(m["frame"], m["name"]) for m in from_edit["markers"]]
    assert markers == list(zip(_small_edit().marker_frames(), ["Lễ hội Ok Om Bok", "Ao Bà Om"], strict=True))
    assert all(unicodedata.is_normalized("NFC", name) for _, name in markers)
    narration = next(s for s in from_edit["segments"] if s["clip_id"] == "dulich_01_ao_ba_om")
    assert narration["rec_in_frame"] <= markers[1][0] < narration["rec_out_frame"], "on the narration's event"
    assert not from_cut.get("markers"), "a typed cut list has none"


def test_the_edit_file_is_what_premiere_writes(assembled: Assembled) -> None:
    """Sequence at 25 fps from 10:00:00:00; V1 and linked A1/A2; each file described once, by its
    original's absolute path; the drone clip (no sound) has no audio items."""
    folder = assembled[0]
    root = ET.parse(folder / "footage" / "dulich" / "dulich-edit.xml").getroot()
    assert root.tag == "xmeml"
    sequence = root.find("sequence")
    assert sequence is not None
    assert sequence.findtext("rate/timebase") == "25" and sequence.findtext("rate/ntsc") == "FALSE"
    assert sequence.findtext("timecode/string") == "10:00:00:00" and sequence.findtext("timecode/frame") == "900000"
    video = sequence.findall("media/video/track")
    audio = sequence.findall("media/audio/track")
    assert len(video) == 1 and len(audio) == 2
    assert [t.get("currentExplodedTrackIndex") for t in audio] == ["0", "1"]
    v1 = video[0].findall("clipitem")
    assert len(v1) == 6 and all(len(t.findall("clipitem")) == 5 for t in audio)
    described = [f for f in root.iter("file") if f.find("pathurl") is not None]
    assert len(described) == 5, "five files, the one used twice described once"
    for file in described:
        url = file.findtext("pathurl") or ""
        assert url.startswith("file://localhost/")
        path = Path(urllib.parse.unquote(url.removeprefix("file://localhost")))
        assert path == folder / "footage" / "dulich" / (file.findtext("name") or "") and path.is_file()
    phone = next(f for f in described if f.findtext("name") == "VID_20260315_164233.mp4")
    assert phone.findtext("rate/timebase") == "30" and phone.findtext("rate/ntsc") == "TRUE"
    drone = next(i for i in v1 if i.findtext("name") == "dulich_02_ba_dong.mov")
    assert [link.findtext("mediatype") for link in drone.findall("link")] == ["video"]
    first = v1[0]
    assert [link.findtext("mediatype") for link in first.findall("link")] == ["video", "audio", "audio"]
