"""Temporaries a killed process leaves (`.proxy.k3j9x0ab.part.mp4`): each stage clears its own, found by
the exact name `fsutil` gives them, and nothing else."""

from __future__ import annotations

from pathlib import Path

from pipeline import fsutil
from pipeline.run import stage
from pipeline.stages import conform, ingest
from pipeline.workspace import Workspace
from tests.asr_fixtures import make_programme


def test_the_pattern_is_the_names_fsutil_gives(tmp_path: Path) -> None:
    target = tmp_path / "proxy.mp4"
    made = [fsutil._temp_beside(target, tag, suffix).name
            for tag, suffix in (("", None), (".scratch", ".txt"), (".body", None), (".burn", ".ass"))]
    pattern = fsutil.leftover_pattern(target)
    assert all(pattern.fullmatch(name) for name in made), made
    for other in (".proxy-partner.mp4", "proxy.part.mp4", ".proxyx.abcd1234.part.mp4", ".proxy.abcd1234.part.mp4.keep",
                  ".proxy.abc.part.mp4", ".poster.abcd1234.part.jpg"):
        assert not pattern.fullmatch(other), other
    assert sorted(p.name for p in fsutil.clear_leftovers(target)) == sorted(made)


def test_ingest_clears_only_its_own_temporaries(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", "demo")
    folder = ws.ingest_dir("a")
    folder.mkdir(parents=True)
    own = [".proxy.abcd1234.part.mp4", ".audio16k.zz_9yyyy.part.wav", ".shots.scratch.q1q2q3q4.part.txt",
           ".probe.abcdefgh.part.json", ".ingest.a1b2c3d4.part.json", ".thumbs.abcdefgh.part.jpg"]
    others = [".conform.abcdefgh.part.mov", "proxy.mp4", "notes.txt", ".proxy.keep"]
    for name in own + others:
        (folder / name).write_bytes(b"x")
    assert sorted(p.name for p in ingest.clear_leftovers(ws, "a")) == sorted(own)
    assert sorted(p.name for p in folder.iterdir()) == sorted(others)
    assert ingest.clear_leftovers(ws, "never-ingested") == []


def test_conform_clears_its_own_temporary_before_anything_else(tmp_path: Path) -> None:
    programme = make_programme(tmp_path / "prog")
    ws = Workspace(tmp_path / "ws", programme.id)
    folder = ws.ingest_dir("a")
    folder.mkdir(parents=True)
    (folder / ".conform.abcdefgh.part.mov").write_bytes(b"x" * 1000)
    (folder / ".proxy.abcd1234.part.mp4").write_bytes(b"x")
    outcome = conform._conform_one(programme, ws, "a", lambda _p: None, stage("conform").work(ws))
    assert outcome.status == "failed"  # no ingest record: but the leftover is gone first
    assert sorted(p.name for p in folder.iterdir()) == [".proxy.abcd1234.part.mp4"]


def test_a_stop_deletes_temporaries_whose_block_never_began(tmp_path: Path) -> None:
    """A signal that lands after a temporary is created and before the block that owns it is entered
    (its `finally` never runs) still loses nothing and leaves nothing: the stop deletes it."""
    import os
    import signal

    import pytest

    from pipeline.lock import Interrupted, stop_on_signals

    done = tmp_path / "done.mov"
    fsutil.write_bytes(done, b"kept")
    blocks = [fsutil.atomic_path(tmp_path / "sound.mov"), fsutil.scratch_path(tmp_path / "sound.mov", ".burn", ".ass"),
              fsutil.atomic_dir(tmp_path / "stream")]  # held, never exited: as if the signal came first
    caught = [block.__enter__() for block in blocks]
    (caught[2] / "segment.m4s").write_bytes(b"x")
    assert all(p.exists() for p in caught)
    with pytest.raises(Interrupted), stop_on_signals():
        os.kill(os.getpid(), signal.SIGTERM)
        signal.sigtimedwait([], 0)  # lets the handler run here
        raise AssertionError("the signal was not turned into Interrupted")
    assert [p for p in caught if p.exists()] == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["done.mov"] and done.read_bytes() == b"kept"
