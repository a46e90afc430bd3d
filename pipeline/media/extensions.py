"""Which file names are footage: the extensions of camera, phone and NLE video, and of the audio
formats voice-overs arrive in.

One list for everyone who asks: a manifest glob picks up only these files, a batch folder counts them
as footage, and a probe that finds no stream says what the extension promised. A file with no
extension (a Mac's README, a card's index) is not footage; a manifest names such a file with `file:`.
"""

from __future__ import annotations

VIDEO_EXTS = frozenset({".mov", ".mp4", ".m4v", ".mxf", ".mts", ".m2ts", ".ts", ".mkv", ".webm", ".avi", ".mpg",
                        ".mpeg", ".dv"})
AUDIO_EXTS = frozenset({".wav", ".bwf", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".oga", ".opus", ".aif", ".aiff"})
MEDIA_EXTS = VIDEO_EXTS | AUDIO_EXTS
