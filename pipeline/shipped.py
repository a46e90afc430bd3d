"""Where the files shipped beside the code are: fonts, the logo and the deliverable profiles
(`assets/`), the subtitle styles and the house glossary (`subtitles/`).

They live at the top of the repository, where editors and translators look for them. `pipeline/_data/`
links to both folders, and pyproject.toml makes everything under it package data, so a wheel carries
real copies where the links are. The code looks in one place, beside the package, whether it runs
from a checkout, an editable install or an installed wheel; in a checkout the link is followed, so
the paths it hands out (to ffmpeg, in messages) name the repository's own folders.
"""

from __future__ import annotations

from pathlib import Path

_DATA = Path(__file__).resolve().parent / "_data"


def shipped(*parts: str) -> Path:
    """A shipped file or folder by its path under the repository's top: `shipped("assets", "fonts")`."""
    return _DATA.joinpath(*parts).resolve()
