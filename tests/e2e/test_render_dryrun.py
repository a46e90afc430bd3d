"""`render --dry-run` measures the programme's sound once (issue 15: it decoded it three times, once
to measure and twice to settle the limiter's gain). A dry run prints the commands, whose loudness
correction needs the measurement; settling a limited correction is left to the render, and the
report says that the gain shown is the prediction."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from pipeline.media import ffmpeg
from pipeline.media.ffmpeg import run_ffmpeg, safe_input
from pipeline.render.branding import BrandingSettings
from pipeline.stages.render import Settings, render_programme
from pipeline.timeline import Segment, Timeline
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace

pytestmark = pytest.mark.slow

MANIFEST = """\
id: peaky
title: {vi: "Thử", en: "Test"}
synopsis: {vi: "Thử", en: "Test"}
year: 2026
house: {width: 160, height: 90, fps: "25"}
footage: [a.mov]
timeline: {cut: [{clip: a, in: "00:00:00:00", out: "00:00:02:00"}]}
deliverables: [web-720p]
"""


def test_dry_run_measures_once_and_settles_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "programme.yaml").write_text(MANIFEST, encoding="utf-8")
    clip = tmp_path / "a.mov"
    # quiet speech-like tone with a loud click every second: the web target needs a limiter
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=gray:size=160x90:rate=25:duration=3",
                "-f", "lavfi", "-i", "aevalsrc=0.9*sin(2*PI*440*t)*lt(mod(t\\,1)\\,0.01)+0.03*sin(2*PI*300*t)"
                ":s=48000:d=3", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "pcm_s16le", "-ac", "2",
                "-f", "mov", safe_input(clip)])
    ws = Workspace(tmp_path / "workspace", "peaky")
    timeline = Timeline("peaky", Fraction(25), 160, 90, 48000, (Segment("a", str(clip), 0, 50, 0, True),), ())
    ws.timeline_json.parent.mkdir(parents=True)
    ws.timeline_json.write_text(json.dumps(timeline.to_dict()), encoding="utf-8")
    sound_passes: list[list[str]] = []
    real = ffmpeg.run_ffmpeg

    def counting(args: Any, **kw: Any) -> str:
        if any("ebur128@programme" in a or "ebur128@trial_" in a for a in args):
            sound_passes.append(list(args))
        return real(args, **kw)

    monkeypatch.setattr(ffmpeg, "run_ffmpeg", counting)
    report = render_programme(load_manifest(tmp_path / "programme.yaml"), ws,
                              Settings(dry_run=True, branding=BrandingSettings(0, 0, 0)))
    assert len(sound_passes) == 1
    assert report.commands and report.deliverables[0].status == "planned"
    assert any("web-720p: dry run: the limiter's gain" in w for w in report.warnings)
    assert not any(Path(d.file).exists() for d in report.deliverables)
