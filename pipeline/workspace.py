"""Where every artefact of a programme lives on disk, in one place.

Stages ask this module for paths instead of building them, so the layout documented in the README
is the layout on disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Workspace:
    """The folder `<root>/<programme-id>/` and the paths inside it."""

    root: Path
    programme_id: str

    @property
    def dir(self) -> Path:
        return self.root / self.programme_id

    @property
    def catalogue_path(self) -> Path:
        return self.dir / "catalogue.sqlite"

    def ingest_dir(self, clip_id: str) -> Path:
        return self.dir / "ingest" / clip_id

    def probe_json(self, clip_id: str) -> Path:
        return self.ingest_dir(clip_id) / "probe.json"

    def conform(self, clip_id: str) -> Path:
        """House-format working copy; absent when the source already matches the house format."""
        return self.ingest_dir(clip_id) / "conform.mov"

    def proxy(self, clip_id: str) -> Path:
        return self.ingest_dir(clip_id) / "proxy.mp4"

    def audio16k(self, clip_id: str) -> Path:
        """16 kHz mono PCM WAV for speech recognition; absent when the clip has no audio."""
        return self.ingest_dir(clip_id) / "audio16k.wav"

    def poster(self, clip_id: str) -> Path:
        return self.ingest_dir(clip_id) / "poster.jpg"

    def thumbs(self, clip_id: str) -> Path:
        return self.ingest_dir(clip_id) / "thumbs.jpg"

    def shots_json(self, clip_id: str) -> Path:
        return self.ingest_dir(clip_id) / "shots.json"

    @property
    def transcripts_dir(self) -> Path:
        return self.dir / "transcripts"

    def transcript_json(self, clip_id: str) -> Path:
        return self.transcripts_dir / f"{clip_id}.json"

    def transcript_txt(self, clip_id: str) -> Path:
        return self.transcripts_dir / f"{clip_id}.txt"

    @property
    def timeline_json(self) -> Path:
        return self.dir / "timeline.json"

    @property
    def subtitles_dir(self) -> Path:
        return self.dir / "subtitles"

    def subtitle(self, lang: str, ext: str) -> Path:
        """e.g. subtitle('vi', 'srt') → subtitles/<id>.vi.srt"""
        return self.subtitles_dir / f"{self.programme_id}.{lang}.{ext}"

    @property
    def graphics_dir(self) -> Path:
        return self.dir / "graphics"

    @property
    def loudness_cache_dir(self) -> Path:
        """The render's remembered audio-only measurements (`render/meter_cache.py`)."""
        return self.dir / "cache" / "loudness"

    def render_dir(self, deliverable: str) -> Path:
        return self.dir / "renders" / deliverable

    @property
    def qc_dir(self) -> Path:
        return self.dir / "qc"

    @property
    def delivery_dir(self) -> Path:
        return self.dir / "delivery"

    def ensure(self) -> None:
        """Create the programme folder (stages create their own sub-folders as they write)."""
        self.dir.mkdir(parents=True, exist_ok=True)
