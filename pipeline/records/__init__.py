"""Typed records that stages hand to each other on disk, each with one owner that writes it: one module
per record, the writer and a typed reader side by side.

| record | file | written by | read by |
|---|---|---|---|
| `IngestRecord` (records/ingest.py) | `ingest/<clip>/ingest.json` | ingest | transcribe, assemble, render, search |
| `Timeline` (pipeline/timeline.py) | `timeline.json` | assemble | subtitles, render, qc, package |
| `Transcript` (pipeline/asr/transcript.py) | `transcripts/<clip>.json` | transcribe | subtitles, search, qc |
| `SubtitlesRecord` (records/subtitles.py) | `subtitles/<id>.subtitles.json` | subtitles | qc, review, export |
| `RenderRecord` (pipeline/render/state.py) | `renders/render.json` | render | qc, package, review |
| `DeliverableRecord` (pipeline/qc/record.py) | `qc/deliverables/<name>.json` | qc | qc, review |
| subtitle verdicts (pipeline/qc/record.py) | `qc/subtitles/<lang>.json` | qc | qc |
| `QCReport` (pipeline/stages/qc.py) | `qc/report.json` | qc | package, review, export, batch |
| notes, approval (pipeline/review/state.py) | `review/notes.json`, `review/approval.json` | review | package, export |

Nobody parses another stage's display text: a reader takes the numbers and names from these.
"""
