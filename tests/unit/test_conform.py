from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from pipeline.media.conform import House, IngestOutputs, conform_reasons, ingest_args, picture_chain
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
    assert chain.startswith("bwdif=mode=send_frame:parity=tff,fps=25/1,scale=1920:1080:")
    assert chain.endswith("pad=1920:1080:(ow-iw)/2:(oh-ih)/2:black,setsar=1")


def test_one_decode_feeds_every_output() -> None:
    args = ingest_args(info(video(field_order="tt"), STEREO), Path("/m/-clip.mxf"), HOUSE,
                       IngestOutputs(Path("/w/c.mov"), Path("/w/p.mp4"), Path("/w/a.wav")))
    assert args[:2] == ["-i", "file:/m/-clip.mxf"]
    assert args.count("-i") == 1
    graph = args[args.index("-filter_complex") + 1]
    assert "split=2[vconf][vprox0]" in graph and "asplit=3[aconf0][aprox0][aasr0]" in graph
    assert "[aasr0]aformat=channel_layouts=mono,aresample=16000[aasr]" in graph
    assert args[-1] == "file:/w/a.wav" and "file:/w/c.mov" in args and "file:/w/p.mp4" in args


def test_two_mono_tracks_are_merged_and_silence_added_when_no_audio() -> None:
    xdcam = (AudioStream(1, "pcm_s24le", 48000, 1, "mono", 24), AudioStream(2, "pcm_s24le", 48000, 1, "mono", 24))
    graph = ingest_args(info(video(), xdcam), Path("a.mxf"), HOUSE, IngestOutputs(Path("c.mov"), None, None))
    assert "[0:1][0:2]amerge=inputs=2" in graph[graph.index("-filter_complex") + 1]
    silent = ingest_args(info(video(width=320, height=180)), Path("b.mp4"), HOUSE,
                         IngestOutputs(Path("c.mov"), Path("p.mp4"), None))
    assert "anullsrc=channel_layout=stereo:sample_rate=48000,atrim=end=3.000[aconf]" in silent[
        silent.index("-filter_complex") + 1]
