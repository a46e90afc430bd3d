"""The programme's narration script: read from the formats a Vietnamese newsroom writes it in.

`read_script(path)` gives a `Script` of `ScriptLine`s (Vietnamese, the translator's English when
there is one, speaker, clip) in the order written; the aligner maps them onto the speech.
"""

from .model import Script, ScriptError, ScriptLine
from .read import read_script

__all__ = ["Script", "ScriptError", "ScriptLine", "read_script"]
