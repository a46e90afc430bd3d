"""Typed records that stages hand to each other on disk, each with one owner that writes it: one module
per record, the writer and a typed reader side by side.

| record | file | written by | read by |
|---|---|---|---|
| `IngestRecord` (records/ingest.py) | `ingest/<clip>/ingest.json` | ingest | transcribe, assemble, render, search |
| `MediaInfo` (records/probe.py) | `ingest/<clip>/probe.json` | ingest | ingest, assemble, conform, nle |
| `ShotList` (records/shots.py) | `ingest/<clip>/shots.json` | ingest | assemble |
| `Timeline` (pipeline/timeline.py) | `timeline.json` | assemble | subtitles, render, qc, package |
| `Transcript` (pipeline/asr/transcript.py) | `transcripts/<clip>.json` | transcribe | subtitles, search, qc |
| `SubtitlesRecord` (records/subtitles.py) | `subtitles/<id>.subtitles.json` | subtitles | qc, review, export |
| `ReviewedCues` (records/reviewed.py) | `review/edits.json` | review, subtitles import | subtitles, review |
| `RenderRecord` (pipeline/render/state.py) | `renders/render.json` | render | qc, package, review |
| chunk store (render/chunkstore.py) | `cache/chunks/<key>.*`, `plan.json` | render, `render --assist` | render |
| `ProgressRecord` (records/progress.py) | `progress.json` | the runner (`run.Stage.run`) | review, batch status |
| `DeliverableRecord` (pipeline/qc/record.py) | `qc/deliverables/<name>.json` | qc | qc, review |
| range measurements (pipeline/qc/rangecache.py) | `qc/ranges/<key>.json` | qc | qc |
| subtitle verdicts (pipeline/qc/record.py) | `qc/subtitles/<lang>.json` | qc | qc |
| `QCReport` (records/qc.py) | `qc/report.json` | qc | qc, package, review, export, batch |
| `Note`, `Approval` (records/review.py) | `review/notes.json`, `review/approval.json` | review | package, export |
| `PackageRecord` (records/package.py) | `delivery/package.json` | package | batch |

A record names a file in the programme folder relative to that folder and footage outside it
absolutely (`Workspace.stored` writes, `Workspace.resolve` reads; an older record's absolute path
still reads), so a workspace copied, restored or mounted elsewhere reviews, approves and packages
its own files.

Nobody outside a record's module parses its JSON, and nobody parses another module's display text: a
reader takes the numbers and names from these. A failure a record carries (a stage outcome, a failed
clip, a batch result) is `errors.Failure`'s fields (`problem`, `path`, `hint`), not a line to split.
"""
