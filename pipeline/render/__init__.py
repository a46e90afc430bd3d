"""Helpers of the render stage: the ffmpeg plan as data (`plan`), where branding goes (`branding`),
the broadcast leader (`leader`), and the render record `renders/render.json` with what each
deliverable's freshness depends on (`state`). The stage itself is `pipeline/stages/render.py`."""
