from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from pipeline.media.ingest_args import (
    House,
    IngestOutputs,
    conform_reasons,
    ingest_args,
    picture_chain,
    picture_reasons,
    read_shot_log,
)
from pipeline.media.probe import AudioStream, MediaInfo, VideoStream

HOUSE = House(1920, 1080, Fraction(25), 48000)


def video(**over: object) -> VideoStream:
    base: dict[str, object] = dict(
        index=0, codec="h264", profile="High", width=1920, height=1080, sar="1:1", pix_fmt="yuv420p",
        r_frame_rate="25/1", avg_frame_rate="25/1", field_order="progressive", rotation=0, color_space="bt709",
        color_transfer="bt709", color_primaries="bt709", color_range="tv", bit_rate=None, nb_frames=None,
    )
    base.update(over)
    return VideoStream(**base)  # type: ignore[arg-type]


def info(v: VideoStream | None, audio: tuple[AudioStream, ...] = (), vfr: bool = False) -> MediaInfo:
    return MediaInfo("x.mov", "mov", 1, 3000, None, v, audio, 0, 0, None, None, vfr=vfr)


STEREO = (AudioStream(1, "pcm_s24le", 48000, 2, "stereo", 24),)


def test_matching_source_needs_no_conform() -> None:
    assert conform_reasons(info(video(), STEREO), HOUSE) == []


def test_reasons_name_each_mismatch() -> None:
    phone = info(video(width=1920, height=1080, rotation=90, r_frame_rate="30000/1001",
                       avg_frame_rate="7740000/315251"), (AudioStream(1, "aac", 44100, 1, "mono", None),), vfr=True)
    assert conform_reasons(phone, HOUSE) == [
        "rotated 90°", "29.970 fps", "variable frame rate", "audio 44100 Hz", "audio 1 channel(s)",
    ]
    assert phone.rate == Fraction(30000, 1001)


def test_interlaced_chain_deinterlaces_top_field_first() -> None:
    chain = picture_chain(info(video(field_order="tt"), STEREO), HOUSE)
    # already 1920×1080 BT.709: deinterlaced and made CFR, no scaler pass
    assert chain == "bwdif=mode=send_frame:parity=tff,fps=25/1,setsar=1"
    pal_sd = picture_chain(info(video(field_order="bb", width=720, height=576, sar="64:45",
                                      color_space="bt470bg")), HOUSE)
    assert pal_sd.startswith("bwdif=mode=send_frame:parity=bff,fps=25/1,scale=1920:1080:")
    assert pal_sd.endswith("pad=1920:1080:(ow-iw)/2:(oh-ih)/2:black,setsar=1")
    assert "in_color_matrix=auto:out_color_matrix=bt709" in pal_sd


def test_a_half_height_proxy_of_an_interlaced_source_is_one_field() -> None:
    """A 540-line proxy of 1080i takes the first field (540 lines already): no deinterlacer runs."""
    chain = picture_chain(info(video(field_order="tt", pix_fmt="yuv422p"), STEREO), HOUSE, height=540,
                          scaler="fast_bilinear")
    assert chain.startswith("field=type=top,fps=25/1,scale=960:540:flags=fast_bilinear:")
    assert "bwdif" not in chain and "force_original_aspect_ratio" not in chain
    bottom_first = picture_chain(info(video(field_order="bb")), HOUSE, height=540)
    assert bottom_first.startswith("field=type=bottom,")
    # PAL SD has 288 lines a field, fewer than the proxy shows: deinterlaced as before
    pal_sd = picture_chain(info(video(field_order="bb", width=720, height=576, sar="64:45")), HOUSE, height=540)
    assert pal_sd.startswith("bwdif=mode=send_frame:parity=bff,") and "force_original_aspect_ratio" in pal_sd
    # a 4:3 picture in 1080i (1440×1080 square-pixelled) is fitted by its shown shape, pillar-boxed
    four_three = picture_chain(info(video(field_order="tt", width=1440)), HOUSE, height=540)
    assert "scale=720:540:" in four_three and "pad=960:540:(ow-iw)/2:(oh-ih)/2:black" in four_three


def test_one_decode_feeds_every_output() -> None:
    out = IngestOutputs(Path("/w/c.mov"), Path("/w/p.mp4"), Path("/w/a.wav"), Path("/w/poster.jpg"),
                        Path("/w/thumbs.jpg"), Path("/w/shots log.txt"))
    args = ingest_args(info(video(field_order="tt"), STEREO), Path("/m/-clip.mxf"), HOUSE, out)
    assert args[:2] == ["-i", "file:/m/-clip.mxf"]
    assert args.count("-i") == 1
    graph = args[args.index("-filter_complex") + 1]
    assert "split=2[vconf][vsmall0]" in graph and "asplit=3[aconf0][aprox0][aasr0]" in graph
    assert "[vsmall0]scale=960:540:flags=fast_bilinear[vsmall]" in graph
    assert "[vsmall]split=3[vprox][vposter0][vtiny0]" in graph
    # the poster is the first frame a third of the way in (3 s at 25 fps: frame 25), nothing after it
    assert "[vposter0]select=gte(n\\,25)*isnan(prev_selected_t)[vposter]" in graph
    assert "[vstrip0]fps=1/0.3750,tile=8x1[vstrip]" in graph
    assert ("[vshots0]crop=190:106,scale=16:9:flags=area,scdet=threshold=20,"
            "metadata=mode=print:key=lavfi.scd.time:file=/w/shots log.txt,nullsink") in graph
    assert "[aasr0]aformat=channel_layouts=mono,aresample=16000[aasr]" in graph
    assert args[-1] == "file:/w/a.wav"
    for path in ("c.mov", "p.mp4", "poster.jpg", "thumbs.jpg"):
        assert f"file:/w/{path}" in args
    conform = args[args.index("[vconf]"):args.index("file:/w/c.mov")]
    assert conform[conform.index("-c:v") + 1] == "libx264" and "-bf" in conform
    proxy = args[args.index("[vprox]"):args.index("file:/w/p.mp4")]
    assert proxy[proxy.index("-c:a") + 1:proxy.index("-c:a") + 4] == ["aac", "-aac_coder", "fast"]


def test_a_picture_that_matches_is_copied_when_only_the_sound_is_converted() -> None:
    mono = (AudioStream(1, "pcm_s16le", 48000, 1, "mono", 16),)
    clip = info(video(), mono)
    assert picture_reasons(clip, HOUSE) == [] and conform_reasons(clip, HOUSE) == ["audio 1 channel(s)"]
    args = ingest_args(clip, Path("i.mov"), HOUSE, IngestOutputs(Path("c.mov"), Path("p.mp4"), Path("a.wav")))
    conform = args[args.index("-map"):args.index("file:c.mov")]
    assert conform[:4] == ["-map", "0:v:0", "-map", "[aconf]"] and conform[conform.index("-c:v") + 1] == "copy"
    graph = args[args.index("-filter_complex") + 1]
    # nothing is encoded at house size: the proxy is scaled straight from the decode
    assert "[vconf]" not in graph and "scale=960:540:force_original_aspect_ratio=decrease:flags=fast_bilinear" in graph


def test_shots_are_judged_inside_the_pillar_box_of_a_portrait_clip() -> None:
    phone = info(video(rotation=90), STEREO)
    graph = ingest_args(phone, Path("v.mp4"), HOUSE, IngestOutputs(None, Path("p.mp4"), None,
                                                                     shots=Path("s.txt")))
    graph_text = graph[graph.index("-filter_complex") + 1]
    assert "[vshots0]crop=58:106,scale=16:29:flags=area,scdet" in graph_text


def test_shot_log_keeps_cuts_half_a_second_apart(tmp_path: Path) -> None:
    log = tmp_path / "s.txt"
    log.write_text("frame:0 pts:0 pts_time:0.2\nlavfi.scd.time=0.2\n"
                   "frame:187 pts:95744 pts_time:7.48\nlavfi.scd.time=7.48\n"
                   "lavfi.scd.time=7.52\nlavfi.scd.time=14.96\nlavfi.scd.time=19.9\n", encoding="utf-8")
    assert read_shot_log(log, 20000) == [7480, 14960]
    assert read_shot_log(tmp_path / "none.txt", 20000) == []


def test_two_mono_tracks_are_merged_and_silence_added_when_no_audio() -> None:
    xdcam = (AudioStream(1, "pcm_s24le", 48000, 1, "mono", 24), AudioStream(2, "pcm_s24le", 48000, 1, "mono", 24))
    graph = ingest_args(info(video(), xdcam), Path("a.mxf"), HOUSE, IngestOutputs(Path("c.mov"), None, None))
    assert "[0:1][0:2]amerge=inputs=2" in graph[graph.index("-filter_complex") + 1]
    silent = ingest_args(info(video(width=320, height=180)), Path("b.mp4"), HOUSE,
                         IngestOutputs(Path("c.mov"), Path("p.mp4"), None))
    assert "anullsrc=channel_layout=stereo:sample_rate=48000,atrim=end=3.000[aconf]" in silent[
        silent.index("-filter_complex") + 1]
