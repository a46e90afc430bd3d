"""Helpers of the render stage: the ffmpeg plan as data (`plan`), where branding goes (`branding`),
and what was rendered from which inputs (`state`). The stage itself is `pipeline/stages/render.py`."""
