"""The sample-footage generator makes every format quirk it promises, and the sample manifests fit it.

Runs `scripts/make-sample-footage --small` once into a temporary folder (a few seconds), then checks
each quirk with ffprobe rather than trusting the generator's word: a quirk that silently stopped
being made would leave ingest's handling of it untested.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pipeline.script import read_script
from pipeline.timecode import Timecode
from pipeline.validate import load_manifest, probed_problems
from tests.unit.test_validate import video_info

REPO = Path(__file__).resolve().parents[2]
GENERATOR = REPO / "scripts" / "make-sample-footage"
EXAMPLES = REPO / "examples"

pytestmark = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("ffmpeg", "ffprobe", "espeak-ng")),
    reason="needs ffmpeg, ffprobe and espeak-ng",
)


def _load_generator() -> ModuleType:
    """Import the generator script (it has no .py suffix) to read its clip table."""
    loader = importlib.machinery.SourceFileLoader("make_sample_footage", str(GENERATOR))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = module  # dataclasses look their module up while the class is built
    loader.exec_module(module)
    return module


gen = _load_generator()
CLIPS: dict[str, Any] = {clip.clip_id: clip for clip in gen.CLIPS}


def run_generator(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(GENERATOR), "--small", "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The small footage, generated once for the module; also the generator's printed output."""
    out = tmp_path_factory.mktemp("sample") / "footage"
    done = run_generator(out)
    assert done.returncode == 0, done.stderr
    return out, done.stdout


def clip_path(root: Path, clip_id: str) -> Path:
    clip = CLIPS[clip_id]
    return root / str(clip.programme) / str(clip.file)


def ffprobe(path: Path) -> dict[str, Any]:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def streams(info: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [s for s in info["streams"] if s["codec_type"] == kind]


def packet_times(path: Path) -> list[int]:
    """Video packet timestamps in the stream's time base, in presentation order."""
    argv = ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts", "-of", "csv=p=0"]
    done = subprocess.run(
        [*argv, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return sorted(int(line.split(",")[0]) for line in done.stdout.split() if line.strip())


def mean_volume(path: Path, start: float, end: float) -> float:
    """Mean level (dBFS) of the first audio stream between two times, from ffmpeg's volumedetect."""
    done = subprocess.run(
        [
            "ffmpeg", "-hide_banner", "-nostats", "-nostdin", "-i", str(path), "-map", "0:a:0",
            "-af", f"atrim={start}:{end},volumedetect", "-f", "null", "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    match = re.search(r"mean_volume: (-?[\d.]+|-inf) dB", done.stderr)
    assert match, done.stderr
    return float(match[1])


def test_every_clip_is_made_and_reported(footage: tuple[Path, str]) -> None:
    root, stdout = footage
    for clip_id in CLIPS:
        assert clip_path(root, clip_id).is_file(), clip_id
    assert len([line for line in stdout.splitlines() if line.startswith("made ")]) == len(CLIPS) + 1
    leftovers = [p.name for p in root.rglob(".*") if p.name != gen.STAMP_NAME]
    assert not leftovers, f"temporary files left behind: {leftovers}"


def test_script_documents_beside_the_footage(footage: tuple[Path, str]) -> None:
    """--small makes the editor's scripts too (the whole script: it is what the editor has), stamped."""
    root, stdout = footage
    for doc in gen.SCRIPT_DOCUMENTS:
        path = root / doc.programme / doc.file
        assert path.is_file() and f"wrote {doc.programme}/{doc.file}" in stdout
        spoken = [u for e in gen.load_script(doc.programme).data["clips"].values() for u in e["utterances"]]
        assert len(read_script(path).lines) == len(spoken)
        stamp = json.loads((path.parent / gen.STAMP_NAME).read_text(encoding="utf-8"))
        assert stamp["scripts"][doc.file]["size"] == path.stat().st_size


def test_mov_is_25p_h264_with_pcm(footage: tuple[Path, str]) -> None:
    info = ffprobe(clip_path(footage[0], "dautu_01_dinh_an"))
    assert "mov" in info["format"]["format_name"]
    (video,) = streams(info, "video")
    assert video["codec_name"] == "h264"
    assert video["r_frame_rate"] == "25/1" and video["avg_frame_rate"] == "25/1"
    assert video.get("field_order", "progressive") == "progressive"
    assert Fraction(video["width"], video["height"]) == Fraction(16, 9)
    (audio,) = streams(info, "audio")
    assert audio["codec_name"].startswith("pcm_") and audio["sample_rate"] == "48000" and audio["channels"] == 2


def test_full_size_is_1080(footage: tuple[Path, str]) -> None:
    """--small shrinks the frame only; the full-size plan draws 1920x1080 and XDCAM's 50 Mb/s."""
    clip = CLIPS["dautu_05_dua_tom"]
    plan = gen.Plan()
    labels = [Path(f"label{i}.txt") for i in range(len(clip.shots))]
    gen.video_graph(plan, clip, gen.FULL_SIZE, clip.seconds, Path("font.ttf"), labels)
    argv = plan.argv("ffmpeg", Path("out.mxf")) + gen.encode_args(clip, gen.FULL_SIZE, False, "-fps_mode")
    assert "crop=1920:1080:" in " ".join(argv)  # drawn a little larger; the camera moves inside the margin
    assert argv[argv.index("-b:v") + 1] == "50000000"


def test_pictures_are_camera_like_and_broadcast_legal(footage: tuple[Path, str]) -> None:
    """Measured as QC measures a master (signalstats, blackdetect, freezedetect), every clip as its
    camera coded it: no frame with more than a tenth of EBU R103's 1 % of pixels outside Y 16–235 /
    C 16–240, nothing black, nothing frozen (sensor grain and a moving camera). The binary cells the
    samples once had came out of MPEG-2 a fifth illegal: tests/unit/test_qc_legal_area.py keeps them."""
    from pipeline.qc.checks import decode_fields
    from pipeline.qc.plan import LEGAL_AREA, area

    for clip_id in CLIPS:
        values = decode_fields(clip_path(footage[0], clip_id), has_audio=False).values
        frames = values["picture.legal"]
        assert len(frames) >= gen.SMALL_SECONDS * 25 * 0.9, clip_id
        worst = max(area(f) or 0.0 for f in frames)
        assert worst <= LEGAL_AREA / 10, f"{clip_id}: {worst:.2%} of a frame outside legal range"
        assert values["picture.black"] == [] and values["picture.freeze"] == [], clip_id


def test_every_cut_is_a_cut_to_the_shot_detector(footage: tuple[Path, str]) -> None:
    """Shots of one clip differ in framing or exposure, as a camera's set-ups do, so ingest's detector
    (scdet on 16-block-wide averages, its default threshold) finds each cut and nothing else: a grainy,
    moving camera-like picture scores far below it between cuts."""
    from pipeline.stages.ingest import Settings

    threshold = Settings().shot_threshold
    for clip_id, clip in CLIPS.items():
        done = subprocess.run(
            ["ffmpeg", "-hide_banner", "-nostdin", "-i", str(clip_path(footage[0], clip_id)), "-map", "0:v:0",
             "-vf", "scale=192:-2:flags=fast_bilinear,scale=16:-2:flags=area,scdet=threshold=100,"
             "metadata=mode=print:file=-", "-f", "null", "-"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        scores = [float(v) for v in re.findall(r"lavfi\.scd\.score=([\d.]+)", done.stdout)]
        cuts = [v for v in scores if v > threshold]
        assert len(cuts) == len(clip.shots) - 1, f"{clip_id}: scores above {threshold}: {cuts}"
        assert sorted(scores)[-len(clip.shots)] < threshold / 2, f"{clip_id}: a shot's own frames score high"


def test_phone_clip_is_rotated_and_variable_rate(footage: tuple[Path, str]) -> None:
    path = clip_path(footage[0], "dautu_03_duyen_hai")
    info = ffprobe(path)
    assert "mp4" in info["format"]["format_name"]
    (video,) = streams(info, "video")
    assert video["r_frame_rate"] == "30000/1001"
    assert video["width"] > video["height"], "coded landscape; the display matrix makes it portrait"
    rotations = [int(side["rotation"]) for side in video.get("side_data_list", []) if "rotation" in side]
    assert rotations and abs(rotations[0]) == 90, video.get("side_data_list")
    pts = packet_times(path)
    intervals = [b - a for a, b in itertools.pairwise(pts)]
    nominal = Fraction(video["time_base"].split("/")[1]) * Fraction(1001, 30000)
    assert len(set(intervals)) > 3, "frame durations should differ"
    assert max(intervals) > 1.5 * nominal, "a phone drops frames under load"
    (audio,) = streams(info, "audio")
    assert audio["codec_name"] == "aac" and audio["sample_rate"] == "48000"


def test_mxf_is_xdcam_hd422_interlaced(footage: tuple[Path, str]) -> None:
    for clip_id in ("dautu_05_dua_tom", "dulich_01_ao_ba_om"):
        info = ffprobe(clip_path(footage[0], clip_id))
        assert info["format"]["format_name"] == "mxf"
        (video,) = streams(info, "video")
        assert video["codec_name"] == "mpeg2video"
        assert video["pix_fmt"] == "yuv422p" and video["profile"] == "4:2:2"
        assert video["field_order"] == "tt"
        assert video["r_frame_rate"] == "25/1"
        audio = streams(info, "audio")
        assert len(audio) == 2, "XDCAM records each channel as its own mono track"
        assert all(a["codec_name"] == "pcm_s24le" and a["channels"] == 1 and a["sample_rate"] == "48000" for a in audio)


def test_interviews_have_mono_audio(footage: tuple[Path, str]) -> None:
    for clip_id in ("dautu_02_phong_van", "dulich_05_phong_van"):
        (audio,) = streams(ffprobe(clip_path(footage[0], clip_id)), "audio")
        assert audio["channels"] == 1, clip_id


def test_drone_clip_has_no_audio_stream(footage: tuple[Path, str]) -> None:
    info = ffprobe(clip_path(footage[0], "dulich_02_ba_dong"))
    assert streams(info, "audio") == []
    assert len(streams(info, "video")) == 1


def test_file_name_with_diacritics_and_spaces(footage: tuple[Path, str]) -> None:
    path = clip_path(footage[0], "dautu_02_phong_van")
    assert path.name == "Phỏng vấn Giám đốc Sở.mov"
    assert " " in path.name and not path.name.isascii()
    assert unicodedata.is_normalized("NFC", path.name)
    assert path.name in os.listdir(path.parent)  # stored as NFC on disk, not just resolvable


def test_speech_sits_where_the_script_says(footage: tuple[Path, str]) -> None:
    """Silent-ish before the first sentence (room tone or a low bed), clearly louder during it."""
    for clip_id, clip in CLIPS.items():
        if clip.audio != "speech":
            continue
        first = gen.load_script(clip.programme).utterances(clip_id)[0]
        path = clip_path(footage[0], clip_id)
        before = mean_volume(path, 0, first.start_ms / 1000 - 0.05)
        during = mean_volume(path, first.start_ms / 1000, min(first.end_ms / 1000, gen.SMALL_SECONDS))
        assert during > -35, f"{clip_id}: speech at {during} dBFS"
        assert during - before > 15, f"{clip_id}: speech {during} dB vs pause {before} dB"


def test_music_beds_are_quiet_but_present(footage: tuple[Path, str]) -> None:
    for clip_id in ("dautu_05_dua_tom", "dulich_03_ghe_ngo"):
        level = mean_volume(clip_path(footage[0], clip_id), 0, gen.SMALL_SECONDS)
        assert -45 < level < -20, f"{clip_id}: {level} dBFS"


def test_second_run_is_a_quick_no_op(footage: tuple[Path, str]) -> None:
    root, _ = footage
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}
    started = time.monotonic()
    done = run_generator(root)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "sample footage up to date"
    assert time.monotonic() - started < 5
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()} == before


def test_scripts_match_the_clips() -> None:
    """The ground truth: NFC Vietnamese, an English reference per sentence, timings inside clips."""
    for programme in gen.PROGRAMMES:
        script = gen.load_script(programme)
        gen.check_script([c for c in gen.CLIPS if c.programme == programme], script, timings=True)
        for clip_id, entry in script.data["clips"].items():
            for utt in entry["utterances"]:
                assert unicodedata.is_normalized("NFC", utt["vi"]), utt["vi"]
                assert utt["en"].strip() and utt["vi"].strip()
                assert 600 <= utt["end_ms"] - utt["start_ms"] <= 12_000, (clip_id, utt)


@pytest.mark.parametrize("programme", ["dautu", "dulich"])
def test_manifest_fits_the_footage(programme: str, footage: tuple[Path, str], tmp_path: Path) -> None:
    """The manifest loads, names exactly the generated files, and its cut fits the full-size clips."""
    root, _ = footage
    # The manifest resolves footage/… against its own folder: put a copy beside the generated tree.
    for name in (f"{programme}.yaml", "glossary.yaml"):
        shutil.copy(EXAMPLES / name, root.parent / name)
    # Loaded beside the generated footage: its `script:` is a generated document, which must exist.
    prog = load_manifest(root.parent / f"{programme}.yaml")
    assert prog.id == programme
    sources = {s.clip_id: s.path for s in prog.sources()}
    expected = {c.clip_id: root / programme / c.file for c in gen.CLIPS if c.programme == programme}
    assert sources == expected
    assert all(p.is_file() for p in sources.values())
    glossary = prog.glossary_path()
    assert glossary is not None and glossary.is_file()
    script = prog.script_path()
    assert script is not None and script.is_file(), "the manifest names the generated script document"
    assert read_script(script).lines

    rates = {cid: gen.FORMATS[CLIPS[cid].fmt].rate for cid in expected}
    infos = {cid: video_info(str(sources[cid]), CLIPS[cid].seconds, f"{r.numerator}/{r.denominator}")
             for cid, r in rates.items()}
    assert probed_problems(prog, infos) == []
    edit = gen.load_edit(gen.load_script(programme), [CLIPS[cid] for cid in expected], small=False)
    if prog.edit_path is not None:  # the cut is the generated NLE edit file, written from the ground truth
        assert edit is not None and prog.edit_path == root / programme / edit.file and prog.edit_path.is_file()
        cut = edit.cut_list()  # the full-size edit, checked against the full-size clips by load_edit
    else:
        assert edit is None, "a ground truth with an `edit` is the manifest's timeline"
        cut = [(e.clip, e.in_, e.out) for e in prog.manifest.timeline.cut or []]
    assert {clip for clip, _, _ in cut} == set(expected), "every clip is used in the cut"
    total = sum(Timecode.parse(o, rates[c]).seconds - Timecode.parse(i, rates[c]).seconds for c, i, o in cut)
    assert 45 <= total <= 90, f"programme runs {float(total):.1f} s"
    social = prog.manifest.social
    assert social is not None
    start, end = (Timecode.parse(t, prog.rate).seconds for t in (social.start, social.end))
    assert 15 <= end - start <= 30 and end <= total
    for lower_third in prog.manifest.lower_thirds:
        assert Timecode.parse(lower_third.at, prog.rate).seconds + Fraction(lower_third.duration_s) <= total
    assert set(prog.manifest.deliverables) == {"broadcast-xdcam", "web-1080p", "web-720p", "social-9x16", "web-stream"}
    credited = {credit.name for credit in prog.manifest.credits}
    assert set(prog.manifest.co_producers) <= credited and len(prog.manifest.co_producers) == 2


def test_edit_file_beside_the_footage(footage: tuple[Path, str]) -> None:
    """dulich's edit (FCP7 XML) is written with the footage, stamped by its bytes, scaled to --small."""
    root, stdout = footage
    edit = gen.load_edit(gen.load_script("dulich"), [c for c in gen.CLIPS if c.programme == "dulich"], small=True)
    path = root / "dulich" / edit.file
    assert f"wrote dulich/{edit.file}" in stdout
    assert path.read_bytes() == gen.edit_xml(edit, root / "dulich", gen.SMALL_SIZE, small=True)
    stamp = json.loads((path.parent / gen.STAMP_NAME).read_text(encoding="utf-8"))
    assert stamp["edits"][edit.file]["size"] == path.stat().st_size
    assert not (root / "dautu" / edit.file).exists(), "dautu keeps its typed cut list"
    for placed in edit.placed():  # every event inside its 3-second clip, at the house rate
        assert 0 <= placed.src_in < placed.src_out <= gen.SMALL_SECONDS * 25
    full = gen.load_edit(gen.load_script("dulich"), [c for c in gen.CLIPS if c.programme == "dulich"], small=False)
    assert [e.clip.file for e in full.events] == [e.clip.file for e in edit.events]
    assert full.placed()[-1].rec_out == 1716, "68.64 s at 25 fps, as the typed cut list ran"
    assert full.marker_frames() == [25, 160], "Ok Om Bok 1 s in; Ao Bà Om where the first narration starts"


def test_full_size_edit_places_as_its_cut_list(tmp_path: Path) -> None:
    """Read back through the importer (OpenTimelineIO's FCP7 reader), the full-size edit lands on the
    full-size clips at the frames assemble gives the same cut typed as a cut list (ms, then house
    frames), start 10:00:00:00, markers and Vietnamese intact. No media: the clips as ingest records them."""
    from pipeline.nle.edit import edit_from_otio
    from pipeline.nle.formats import read_edit
    from pipeline.nle.match import FootageClip
    from pipeline.nle.placement import place_edit

    clips = [c for c in gen.CLIPS if c.programme == "dulich"]
    edit = gen.load_edit(gen.load_script("dulich"), clips, small=False)
    path = tmp_path / edit.file
    path.write_bytes(gen.edit_xml(edit, tmp_path / "footage", gen.FULL_SIZE, small=False))
    house = Fraction(25)
    read = edit_from_otio(read_edit(path, "fcp7xml", house))
    assert read.rate == house and read.rec_tc(0) == "10:00:00:00"
    footage = [
        FootageClip(c.clip_id, tmp_path / "footage" / c.file, c.file, gen.FORMATS[c.fmt].rate, Fraction(0),
                    c.seconds * 1000, True, c.audio != "none")
        for c in clips
    ]  # fmt: skip
    placed = place_edit(read, footage, house, manifest=tmp_path / "dulich.yaml", edit_path=path)
    expected, rec = [], 0
    for clip_id, tc_in, tc_out in edit.cut_list():
        rate = gen.FORMATS[CLIPS[clip_id].fmt].rate
        src_in, src_out = (round(Fraction(Timecode.parse(t, rate).ms, 1000) * house) for t in (tc_in, tc_out))
        expected.append((clip_id, src_in, src_out, rec))
        rec += src_out - src_in
    assert [(s.clip_id, s.src_in_frame, s.src_out_frame, s.rec_in_frame) for s in placed.segments] == expected
    assert expected[4] == ("dulich_04_keo_dua", 12, 325, 1278), "the 29.97 phone clip, 30-frame counting"
    assert [(m.frame, m.name) for m in placed.markers] == [(25, "Lễ hội Ok Om Bok"), (160, "Ao Bà Om")]
    assert placed.audio == () and placed.transitions == () and placed.notes == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e["events"][1].update(file="C0013.MXF"), r"events\[1\]\.file 'C0013.MXF' is not one of"),
        (lambda e: e["events"][1].update(out="00:00:21:01"), r"events\[1\]\.out: 00:00:21:01 is past the end of C0012"),
        (lambda e: e["events"][4].update(out="00:00:13:29"), None),  # 30-frame counting for the phone clip
        (lambda e: e["events"][0].update(out="00:00:06:25"), r"events\[0\]\.out: .* out of range at 25"),
        (lambda e: e["events"][2].update(out="00:00:01:00"), r"events\[2\]: out 00:00:01:00 is not after in"),
        (lambda e: e["markers"][1].update(at="00:00:00:10"), r"markers\[1\]\.at 00:00:00:10 is outside event 2"),
        (lambda e: e["markers"][0].update(event=7), r"markers\[0\]\.event must be an event number 1–6"),
    ],
)
def test_edit_section_mistakes_are_named(change: Any, message: str | None) -> None:
    """A typo in the `edit` section is one line naming the field, before anything is rendered."""
    script = gen.load_script("dulich")
    change(script.data["edit"])
    clips = [c for c in gen.CLIPS if c.programme == "dulich"]
    if message is None:
        assert gen.load_edit(script, clips, small=False) is not None
        return
    with pytest.raises(gen.GenerationError, match=message):
        gen.load_edit(script, clips, small=False)
