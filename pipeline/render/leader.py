"""The broadcast leader as a file of its own: encoded once, cached, joined to the programme by copy.

Inside the one-pass graph a leader would delay its deliverable's programme by its length (60 s for
XDCAM), and ffmpeg 5.1's `split` then holds every decoded programme frame of those 60 s for it while
the other deliverables run ahead (18 GiB of raw 1080 frames measured on the sample programme). So
the pass encodes only the programme body, and the leader — bars and tone, slate, black — is its own
short encode with exactly the body's encoder settings, cached by content hash like the graphics (it
changes only with the slate's text, the profile or ffmpeg). The two are joined by the concat
demuxer with stream copy: the body starts with a fresh GOP, so the join needs no re-encode, and the
muxer writes one file whose timecode starts at the leader (09:59:00:00 for a 10:00:00:00 programme).
"""

from __future__ import annotations

import glob
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..fsutil import atomic_path, sha256_file, write_text
from ..media import ffmpeg
from ..media import graphs as g
from ..media.encode import output_args
from ..profiles import Profile
from .join import join_chunks_args, quoted

LEADER_VERSION = 1


@dataclass(frozen=True)
class LeaderSpec:
    """What one leader shows and how it is encoded: the deliverable's profile, the slate's lines, the font."""

    profile: Profile
    slate_lines: tuple[str, ...]
    font: Path

    def key(self) -> str:
        """Content hash: the leader's own argument list (it names every encoder option and the slate
        text), the font's bytes and the ffmpeg that encodes it."""
        blob = json.dumps({"version": LEADER_VERSION, "args": leader_args(self, Path("OUT")),
                           "font": sha256_file(self.font), "ffmpeg": ffmpeg.version()},
                          ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def leader_args(spec: LeaderSpec, output: Path) -> list[str]:
    """The leader's ffmpeg arguments: graph sources only (no input file), the body's encoder options.

    The picture gets the same scan marking, pixel format and colour tags as the programme body, so
    the concat demuxer sees one stream. The bars are not legalised: SMPTE bars carry a −2 % PLUGE
    step on purpose, and QC skips the leader.
    """
    p = spec.profile
    chains = g.leader(p.leader, width=p.video.width, height=p.video.height, fps=p.video.fps,
                      slate_lines=spec.slate_lines, fontfile=spec.font, out_v="ld_v", out_a="ld_a",
                      sample_rate=p.audio.sample_rate, prefix="ld")
    chains.append(g.chain("ld_v", g.encoder_ready(p, legal=False), "ld_vout"))
    audio, maps = g.audio_for(p, "ld_a", prefix="ld_a")
    chains += audio
    outputs: list[str] = []
    for label in ["ld_vout", *maps]:
        outputs += ["-map", f"[{label}]"]
    return ["-filter_complex", g.graph(chains), *outputs, *output_args(p), ffmpeg.safe_input(output)]


def leader_path(cache_dir: Path, spec: LeaderSpec) -> Path:
    """Where `spec`'s leader lives (whether or not it has been made yet)."""
    return cache_dir / f"leader-{spec.profile.name}-{spec.key()}{spec.profile.container.extension}"


def ensure_leader(cache_dir: Path, spec: LeaderSpec, *, dry_run: bool = False) -> tuple[Path, bool]:
    """The cached leader file for `spec` and whether it was made now (encoded only when missing)."""
    path = leader_path(cache_dir, spec)
    if path.exists() or dry_run:
        return path, False
    with atomic_path(path) as tmp:
        ffmpeg.run_ffmpeg(leader_args(spec, tmp), duration_s=spec.profile.leader.total_s, subject=path)
    for stale in cache_dir.glob(f"leader-{glob.escape(spec.profile.name)}-*{spec.profile.container.extension}"):
        if stale != path:  # a leader is ~400 MB at 50 Mb/s; only the current slate's is worth keeping
            stale.unlink(missing_ok=True)
    return path, True


def write_concat_list(list_file: Path, leader: Path, leader_s: float, body: Path) -> None:
    """An ffconcat script: the leader with its exact duration (so the body's timestamps follow it
    frame-exactly), then the body."""
    write_text(list_file, "ffconcat version 1.0\n"
                          f"file {quoted(leader)}\nduration {leader_s:g}\n"
                          f"file {quoted(body)}\n")


def join_args(list_file: Path, profile: Profile, output: Path,
              metadata: Sequence[tuple[str, str]] = ()) -> list[str]:
    """Leader + body → one file by stream copy, with the profile's container options and start timecode."""
    return join_chunks_args(list_file, None, profile, output, metadata)
