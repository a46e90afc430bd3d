"""The review room: a local web page where the editor, the translator and the producer watch a
programme, correct its cues, leave timecoded notes and approve what will be delivered.

The page is a client of the stages, not a second implementation: a cue saved here goes through
`subs.adopt.adopt_cues` (the code `reportage subtitles import` uses), lint is `subs.lint`,
search is `pipeline.search`. What the review room owns itself lives in `workspace/<id>/review/`:
`notes.json` and `approval.json` (checked in `state.py`, the records in `records/review.py`), and
`edits.json`, the cues a reviewer has saved.
"""
