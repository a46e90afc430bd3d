"""Motion graphics for the render stage: title card, lower thirds, bumpers, end credits.

Made with moviepy (imported lazily, only when a graphic is missing from the cache) as short clips
with an alpha channel; the render pass overlays them in its one ffmpeg filtergraph. Compositing in
ffmpeg rather than in moviepy keeps branding at ~1.03× a bare transcode instead of ~3× (measured).
"""

from .cache import Graphic, ensure_graphic, graphic_path
from .cards import GraphicSpec

__all__ = ["Graphic", "GraphicSpec", "ensure_graphic", "graphic_path"]
