"""NLE interchange through OpenTimelineIO: the editor's cut in (FCP7 XML, FCPXML, OTIO, CMX3600 EDL),
the assembled programme with its subtitles and notes back out.

formats.py    which adapter reads and writes each format, and the adapters' known losses worked around
edit.py       an OTIO timeline as plain events in frames (picture, transitions, audio, markers)
match.py      which ingested clip each event uses (file name, reel, source timecode)
placement.py  events + matches → timeline segments at the programme rate, as ingest conformed them
plan.py       what an export writes (timeline, footage, start, markers, subtitles), for either writer
export.py     the assembled programme as an OTIO timeline linked to the original footage
edl.py        a CMX3600 EDL written directly (V1, the real start timecode, ASCII marker text)
"""
