"""The glossary must not put its terms into speech that does not contain them (real model, real
espeak-ng speech, the sample programmes' glossary, the stage's default settings).

Expected: each clip below names nothing in the glossary, though it holds syllables close to its
terms ("trà sữa", "sông hầu như", "ba đồng") or starts the way a prompt could continue ("Tôi đang
đứng tại …" came out "Phóng tài …" under the prompt "Phóng sự về Trà Vinh và Trà Cú."). Whatever
the recogniser mishears, no glossary term and no capitalised word of the prompt may appear that was
not said. benchmarks/asr_glossary.py measures the same on more speech.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.asr_glossary import leaked_name_syllables, leaked_terms, name_vocabulary
from pipeline.asr.engine import FasterWhisperTranscriber, TranscribeSettings
from pipeline.asr.glossary import load_glossary
from pipeline.asr.transcript import Transcript
from pipeline.fsutil import read_json
from pipeline.stages.transcribe import prepare_settings, transcribe_programme
from pipeline.workspace import Workspace
from tests.asr_fixtures import espeak_available, make_programme, speech_wav, write_ingest

pytestmark = [
    pytest.mark.model,
    pytest.mark.slow,
    pytest.mark.skipif(not espeak_available(), reason="needs espeak-ng and ffmpeg"),
]

ROOT = Path(__file__).resolve().parents[2]
SAID = {
    "a-interview": "Tôi đang đứng tại một trong những nhà máy lớn nhất cả nước.",
    "b-roll": "Bà con rủ nhau đi uống trà sữa. Mùa khô nước sông hầu như cạn. Bánh mì giá ba đồng.",
}


def test_speech_without_terms_gets_no_terms(tmp_path: Path) -> None:
    glossary_yaml = (ROOT / "examples" / "glossary.yaml").read_text(encoding="utf-8")
    programme = make_programme(tmp_path / "prog", glossary_yaml)
    ws = Workspace(tmp_path / "ws", programme.id)
    for clip_id, text in SAID.items():
        write_ingest(ws, clip_id, duration_ms=8000)
        speech_wav(ws.audio16k(clip_id), text, lead_silence_ms=300)
    settings = TranscribeSettings(cpu_threads=2)
    report = transcribe_programme(programme, ws, settings, FasterWhisperTranscriber(), clips=tuple(SAID))
    assert report.ok, report.to_dict()
    glossary = load_glossary(programme=programme.glossary_path())
    used = prepare_settings(settings, glossary)
    vocabulary = name_vocabulary(glossary, " ".join(t for t in (used.initial_prompt, used.hotwords) if t))
    for clip_id, said in SAID.items():
        heard = Transcript.from_json(read_json(ws.transcript_json(clip_id))).text
        assert heard, f"{clip_id}: nothing recognised, so nothing shown"
        assert leaked_terms(glossary, said, heard) == [], f"{clip_id}: {heard!r}"
        assert leaked_name_syllables(vocabulary, said, heard) == [], f"{clip_id}: {heard!r}"
