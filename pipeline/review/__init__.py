"""The review room: a local web page where the editor, the translator and the producer watch a
programme, correct its cues, leave timecoded notes and approve what will be delivered.

The page is a client of the stages, not a second implementation: a cue saved here goes through
`subs.adopt.adopt_cues` (the code `reportage subtitles import` uses), lint is `subs.lint`,
search is `pipeline.search`. What the review room owns itself lives in `workspace/<id>/review/`:
`notes.json` and `approval.json` (checked in `state.py`, the records in `records/review.py`), and
`edits.json`, the cues a reviewer has saved or marked reviewed (`records/reviewed.py`). What stands
in the way of an approval is decided once, in `obstacles.py` (freshness from the stages' recorded
runs through `freshness.py`, which asks `pipeline.run`), for the page, the server and `package`.
"""
