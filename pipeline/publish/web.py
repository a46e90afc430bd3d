"""The web package (`publish/web/`), assembled from what the render already made: the ladder's rungs
packaged as HLS and DASH (`packager.py`), the player page and its README (`page.py`), a progressive MP4
for CMSs that take one file, the subtitles beside it, a poster — then judged by our own validator
(`streamcheck.py`) before anyone hosts it.

Nothing here decodes the programme again for its picture: the rungs are outputs of the render pass
(`Profile.ladder`), Shaka Packager only re-wraps them, and the progressive MP4 is the 720p rung and the
ladder's sound joined by stream copy. Only the poster reads a handful of frames.

Layout (every address in it relative, so a portal hosts the folder as it is):

    index.html  embed.html  embed-mp4.html  README.txt  poster.jpg  player/…
    <ID>.mp4  <ID>.vi.vtt  <ID>.en.vtt
    stream/master.m3u8  stream/manifest.mpd  stream/video_540p/…  stream/subtitles_vi/…
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import fsutil
from ..errors import MediaError, WorkspaceError
from ..manifest import Programme
from ..media.ffmpeg import run_ffmpeg, safe_input
from ..profiles import Profile
from ..records.publish import PublishedWeb
from ..render.state import RenderedDeliverable
from .packager import LANGUAGE_NAMES, Rendition, package_stream
from .page import CreditLine, PlayerFacts, transcript_from_subtitles, write_player_page
from .social.thumbs import even_times, pick_frame
from .streamcheck import StreamReport, verify_stream

STREAM_DELIVERABLE = "web-stream"
"""The deliverable whose rungs the web package streams (`assets/profiles/web-stream.yaml`)."""
STREAM_FOLDER = "stream"
POSTER = "poster.jpg"
POSTER_WIDTH = 1280
PROGRESSIVE_HEIGHT = 720
"""The progressive MP4 is the rung closest to 720p at or below it (the largest when none is): what a
CMS's own player streams without stalling on most connections."""


@dataclass(frozen=True)
class WebPackage:
    """What `build_web` wrote and what the validator said of it."""

    folder: Path
    progressive: str
    renditions: tuple[str, ...]
    subtitles: tuple[str, ...]
    duration_s: float
    report: StreamReport
    packager_version: str
    files: int
    size_bytes: int

    def to_record(self, folder: str) -> PublishedWeb:
        """The record's part for this package; `folder` relative to the programme folder."""
        failures = tuple(f"{r.rule} at {r.where()}: {r.detail}" for r in self.report.failures())
        passed = len({r.rule for r in self.report.results} - {r.rule for r in self.report.failures()})
        return PublishedWeb(folder=folder, page="index.html", embed="embed.html",
                            master=f"{STREAM_FOLDER}/master.m3u8", mpd=f"{STREAM_FOLDER}/manifest.mpd",
                            progressive=self.progressive, renditions=self.renditions, subtitles=self.subtitles,
                            duration_s=self.duration_s, rules_passed=passed, failures=failures,
                            notes=self.report.notes, packager_version=self.packager_version, files=self.files,
                            size_bytes=self.size_bytes)


def rungs_in_order(entry: RenderedDeliverable, profile: Profile, house: tuple[int, int]) -> list[Rendition]:
    """The ladder's rung files in the profile's order (the master lists them so: players start on the
    first), each with its height and nominal rate; a WorkspaceError naming a rung the render record
    has but the folder lacks, and one the profile asks for that was never rendered."""
    rungs = profile.rung_profiles(*house)
    found: list[Rendition] = []
    recorded = {f.name for f in entry.files}
    for rung in rungs:
        name = Profile.rung_file(rung)
        path = entry.path / name
        if name not in recorded or not path.is_file():
            raise WorkspaceError(f"the {rung.video.height}p rung of {entry.name} is missing", path=path,
                                 hint="run `reportage render MANIFEST` again")
        found.append(Rendition(path, rung.video.height, None))
    return found


def _progressive_source(renditions: Sequence[Rendition]) -> Rendition:
    at_most = [r for r in renditions if r.height <= PROGRESSIVE_HEIGHT]
    return max(at_most, key=lambda r: r.height) if at_most else max(renditions, key=lambda r: r.height)


def write_progressive(renditions: Sequence[Rendition], target: Path) -> str:
    """`<ID>.mp4`: the rung nearest 720p with the ladder's sound (the first rung's), by stream copy, index
    first (faststart) so a browser plays it while it downloads. Returns the file name."""
    picture, sound = _progressive_source(renditions), renditions[0]
    with fsutil.atomic_path(target, min_bytes=1) as tmp:
        inputs = ["-i", safe_input(picture.path)]
        maps = ["-map", "0:v:0"]
        if sound.path != picture.path:
            inputs += ["-i", safe_input(sound.path)]
            maps += ["-map", "1:a:0"]
        else:
            maps += ["-map", "0:a:0"]
        run_ffmpeg([*inputs, *maps, "-c", "copy", "-movflags", "+faststart", "-f", "mp4", safe_input(tmp)],
                   subject=target)
    return target.name


def write_poster(video: Path, duration_s: float, target: Path) -> float:
    """`poster.jpg` at 1280 px wide: the sharpest lit, moving frame among a few spread over the
    programme (`social/thumbs.pick_frame`, the thumbnails' own rule). Returns its time."""
    best, _ = pick_frame(video, even_times(duration_s))
    with fsutil.atomic_path(target, min_bytes=1) as tmp:
        run_ffmpeg(["-ss", f"{best.time_s:.3f}", "-i", safe_input(video), "-map", "0:v:0", "-frames:v", "1",
                    "-vf", f"scale={POSTER_WIDTH}:-2", "-q:v", "3", "-update", "1", "-f", "image2",
                    safe_input(tmp)], subject=target)
    return best.time_s


def _copy(source: Path, target: Path) -> None:
    with fsutil.atomic_path(target, min_bytes=1) as tmp:
        shutil.copyfile(source, tmp)


def _credits(programme: Programme) -> tuple[CreditLine, ...]:
    return tuple(CreditLine(c.role.vi, c.role.en, c.name) for c in programme.manifest.credits)


def build_web(programme: Programme, entry: RenderedDeliverable, profile: Profile, house: tuple[int, int],
              subtitles: Mapping[str, Path], folder: Path, *, default_subtitle: str = "vi") -> WebPackage:
    """Write the whole web package into `folder` (the caller builds it beside its final place and
    renames it in whole) and judge its stream. `subtitles`: WebVTT per language (vi and en; a
    language without cues is left out of the stream, and the page then lacks its track)."""
    renditions = rungs_in_order(entry, profile, house)
    if not renditions:
        raise MediaError(f"{entry.name} has no rung to stream", path=entry.path,
                         hint="run `reportage render MANIFEST` again")
    carried = {lang: path for lang, path in subtitles.items() if path.is_file()}
    if "vi" not in carried or "en" not in carried:
        missing = ", ".join(lang for lang in ("vi", "en") if lang not in carried)
        raise WorkspaceError(f"no {missing} WebVTT subtitles to publish", path=next(iter(subtitles.values()), folder),
                             hint="run `reportage subtitles make MANIFEST` (the page carries both languages)")
    stem = programme.id
    package = package_stream(renditions, carried, folder / STREAM_FOLDER, entry.duration_s,
                             audio_language=programme.manifest.language or "vi", default_subtitle=default_subtitle,
                             names=LANGUAGE_NAMES)
    progressive = write_progressive(renditions, folder / f"{stem}.mp4")
    vtt = {lang: f"{stem}.{lang}.vtt" for lang in carried}
    for lang, path in carried.items():
        _copy(path, folder / vtt[lang])
    write_poster(folder / progressive, entry.duration_s, folder / POSTER)
    title, synopsis = programme.title, programme.manifest.synopsis
    facts = PlayerFacts(
        title_vi=title.vi, title_en=title.en, synopsis_vi=synopsis.vi if synopsis else "",
        synopsis_en=synopsis.en if synopsis else "", duration_s=entry.duration_s, poster=POSTER,
        progressive_mp4=progressive, vtt_vi=vtt["vi"], vtt_en=vtt["en"],
        transcript_vi=transcript_from_subtitles(carried["vi"]), transcript_en=transcript_from_subtitles(carried["en"]),
        credits=_credits(programme), master_playlist=f"{STREAM_FOLDER}/master.m3u8")
    write_player_page(folder, facts)
    report = verify_stream(folder / STREAM_FOLDER)
    members = [p for p in folder.rglob("*") if p.is_file()]
    return WebPackage(folder=folder, progressive=progressive,
                      renditions=tuple(f"{r.height}p" for r in renditions), subtitles=tuple(package.subtitles),
                      duration_s=package.duration_s, report=report, packager_version=package.packager_version,
                      files=len(members), size_bytes=sum(p.stat().st_size for p in members))
