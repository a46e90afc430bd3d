"""The programme's script on real speech: espeak-ng Vietnamese, the bundled Whisper model, a CSV
script with English for one sentence and none for another, a sentence the edit dropped and an
ad-lib nobody scripted. Expected: the scripted cues carry the script's words exactly, start within
200 ms of the speech, carry the translator's English; the ad-lib keeps its recognised words; the
record says what was not in the edit; a second run translates nothing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipeline.asr.engine import TranscribeSettings
from pipeline.fsutil import read_json
from pipeline.records.subtitles import CueOrigin, read_subtitles_record, subtitles_record_path
from pipeline.script.align import syllable_keys
from pipeline.stages.assemble import assemble_programme
from pipeline.stages.ingest import Settings as IngestSettings
from pipeline.stages.ingest import ingest_programme
from pipeline.stages.subtitles import cache_file, subtitles_programme
from pipeline.stages.transcribe import transcribe_programme
from pipeline.subs import lint, load_style, read_subtitles
from pipeline.timeline import load_timeline
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace
from tests.asr_fixtures import espeak_available, speech_mov, tc25

pytestmark = [pytest.mark.model, pytest.mark.slow,
              pytest.mark.skipif(not espeak_available(), reason="needs espeak-ng and ffmpeg")]

NARRATION = ("Luồng cho tàu biển trọng tải lớn vào sông Hậu đã mở ra con đường ngắn nhất từ biển Đông "
             "vào Đồng bằng sông Cửu Long.")
NARRATION_EN = ("The channel for large ships into the Hậu River has opened the shortest route from the "
                "East Sea into the Mekong Delta.")
SECOND = "Ven biển, nghề nuôi tôm nước lợ ứng dụng công nghệ cao đang phát triển mạnh."
DROPPED = "Chuỗi giá trị từ trái dừa đến thạch dừa đang thu hút nhiều doanh nghiệp."
ADLIB = "Xin chào các bạn, hôm nay trời nắng đẹp quá."
LEAD_MS = 600


def _keys(text: str) -> list[str]:
    return [k for token in text.split() for k in syllable_keys(token)]


def test_script_words_on_real_speech(tmp_path: Path) -> None:
    folder = tmp_path / "Chương trình"
    folder.mkdir()
    lengths = {name: speech_mov(folder, name, text, lead_silence_ms=LEAD_MS, size="160x90")
               for name, text in (("mot", NARRATION), ("hai", ADLIB), ("ba", SECOND))}
    with (folder / "Kịch bản.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["speaker", "vi", "en"])
        writer.writerow(["Lời bình", NARRATION, NARRATION_EN])
        writer.writerow(["Lời bình", DROPPED, "The value chain from coconut to coconut jelly draws many firms."])
        writer.writerow(["Lời bình", SECOND, ""])
    (folder / "p.yaml").write_text(
        "id: kichban\ntitle: {vi: Trà Vinh, en: Trà Vinh}\nsynopsis: {vi: Thử, en: Test}\n"
        "house: {width: 160, height: 90}\nfootage: [mot.mov, hai.mov, ba.mov]\n"
        "script: Kịch bản.csv\n"
        "timeline:\n  cut:\n"
        + "".join(f"    - {{clip: {c}, in: '00:00:00:00', out: '{tc25(lengths[c])}'}}\n" for c in ("mot", "hai", "ba"))
        + "translation: {backend: whisper, options: {beam_size: 1, cpu_threads: 2}}\n", encoding="utf-8")
    programme = load_manifest(folder / "p.yaml")
    ws = Workspace(tmp_path / "ws", programme.id)
    assert ingest_programme(programme, ws, IngestSettings(thumbnails=1, detect_shots=False)).ok
    assert transcribe_programme(programme, ws, TranscribeSettings(cpu_threads=2, beam_size=1, best_of=1)).ok
    assemble_programme(programme, ws)
    report = subtitles_programme(programme, ws)

    timeline = load_timeline(ws.timeline_json)
    starts = {seg.clip_id: timeline.frames_to_ms(seg.rec_in_frame) for seg in timeline.segments}
    record = read_json(subtitles_record_path(ws))
    vi = list(read_subtitles(ws.subtitle("vi", "srt")).cues)
    en = list(read_subtitles(ws.subtitle("en", "srt")).cues)
    typed = read_subtitles_record(ws)
    assert typed is not None and typed.languages["en"].cue_map is not None
    cue_map = typed.languages["en"].cue_map
    by_origin: dict[str, list[int]] = {}
    for entry in cue_map:
        for index in entry.vi:
            by_origin.setdefault(entry.sentence or str(entry.vi_origin), []).append(index)

    def text_of(indexes: list[int]) -> str:
        return " ".join(" ".join(vi[i - 1].lines) for i in indexes)

    # The scripted sentences: word for word the script, timed from the speech.
    assert text_of(by_origin["row 2"]) == NARRATION
    assert text_of(by_origin["row 4"]) == SECOND
    for row, clip in (("row 2", "mot"), ("row 4", "ba")):
        first = vi[by_origin[row][0] - 1]
        assert abs(first.start_ms - (starts[clip] + LEAD_MS)) <= 200, (row, first.start_ms, starts[clip])
    # The ad-lib keeps what was heard (its own words, not the script's).
    adlib = text_of(by_origin["recognised"])
    assert adlib and not set(_keys(adlib)) >= set(_keys(DROPPED))
    # English: the translator's sentence where the script has it, a machine draft where not.
    en_for = {}
    for entry in cue_map:
        en_for.setdefault(entry.sentence or "recognised", []).extend(" ".join(en[i - 1].lines) for i in entry.en)
    assert " ".join(en_for["row 2"]) == NARRATION_EN
    origins = {entry.sentence or "recognised": (entry.vi_origin, entry.en_origin) for entry in cue_map}
    assert origins == {"row 2": (CueOrigin.SCRIPT, CueOrigin.SCRIPT), "row 4": (CueOrigin.SCRIPT, CueOrigin.MACHINE),
                       "recognised": (CueOrigin.RECOGNISED, CueOrigin.MACHINE)}
    assert record["languages"]["en"]["machine_draft"] is True
    # What the edit did to the script, said.
    script = record["script"]
    assert [s["ref"] for s in script["not_in_edit"]] == ["row 3"]
    assert script["unscripted_speech"] and script["placed"] == 2
    for lang, cues in (("vi", vi), ("en", en)):
        assert not lint(cues, load_style(lang), timeline.rate).errors, lang
    assert not report.up_to_date

    # Nothing changed: nothing is translated again (the cache holds every machine cue).
    cached = read_json(cache_file(ws))["entries"]
    assert len(cached) == 2
    ws.subtitle("en", "srt").unlink()
    ws.subtitle("en", "vtt").unlink()
    again = subtitles_programme(programme, ws)
    assert not again.up_to_date
    assert again.languages[1].translated_now == 0
    assert list(read_subtitles(ws.subtitle("en", "srt")).cues) == en
