"""The clips ingest hands on for early transcription (`run._EarlyTranscripts`) never outlive the
ingest stage: a run whose ingest fails waits for the transcription already queued, as one that
succeeds does, so nothing writes into the workspace after the walk has reported."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

from pipeline.errors import ReportageError
from pipeline.run import Stage, run_programme


@dataclass
class _Clip:
    clip_id: str
    status: str = "ingested"
    has_audio: bool = True


class _Fake:
    """Stands in for a stage of the walk: what `run_programme` calls on one."""

    def __init__(self, name: str, run: Any) -> None:
        self.name, self._run = name, run

    def run(self, *args: Any, **kwargs: Any) -> Any:
        return self._run(*args, **kwargs)

    def settings(self, programme: Any = None) -> Any:
        return None

    def proceed(self, programme: Any, report: Any) -> bool:
        return True

    def work(self, ws: Any) -> Any:
        return SimpleNamespace(failed_upstream=lambda: [])


def test_a_failed_ingest_waits_for_the_clip_it_queued_for_transcription() -> None:
    finished = threading.Event()

    def transcribe(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.5)
        finished.set()
        return SimpleNamespace(ok=True, up_to_date=False, to_dict=dict)

    def ingest(programme: Any, ws: Any, settings: Any, progress: Any, on_clip: Any) -> Any:
        on_clip(_Clip("phong_van"))
        raise ReportageError("the second clip is unreadable")

    stages = cast(list[Stage], [_Fake("ingest", ingest), _Fake("transcribe", transcribe)])
    report = run_programme(cast(Any, SimpleNamespace(id="dautu")), cast(Any, None), stages=stages)
    assert report.stopped_after == "ingest"
    assert finished.is_set()  # the queued transcription ended before the walk returned
