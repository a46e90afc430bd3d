"""`reportage transcribe` and `reportage search`: Vietnamese speech to text, and finding it again."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .. import ui
from ..manifest import Programme
from ..validate import load_manifest
from .common import Ctx, clips_option, manifest_arg, pass_ctx


def show_transcribe(c: Ctx, programme: Programme, report: Any) -> None:
    """The transcribe table, and one line per failed clip."""
    if c.as_json:
        return
    if report.up_to_date:
        ui.say(f"transcribe: {programme.id} up to date ({len(report.clips)} clips, nothing to do)", c.quiet)
    elif not c.quiet:
        rows = [[cl.clip_id, cl.status, f"{cl.audio_ms / 1000:.1f} s" if cl.audio_ms else "—", str(cl.words),
                 str(cl.dropped), str(cl.corrections), cl.message] for cl in report.clips]
        rtf = report.real_time_factor
        title = f"transcribe {programme.id}: model {report.model_name}"
        if rtf:
            title += f", real-time factor {rtf:.2f}"
        ui.table(title, ["clip", "status", "audio", "words", "dropped", "glossary fixes", "note"], rows)
    for clip in report.failed:
        ui.console.print(f"error: {clip.clip_id}: {clip.message}", markup=False)


@click.command()
@manifest_arg
@clips_option
@click.option("--engine", type=click.Choice(["vietctc", "whisper", "combined"]),
              help="Recogniser (default: the manifest's asr.engine, else vietctc).")
@click.option("--model", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="A CTranslate2 Whisper model folder to use instead of the bundled base model (implies whisper).")
@click.option("--language", help="Spoken language (default: the manifest's, usually vi).")
@click.option("--beam", type=click.IntRange(1, 10), help="Beam size (default 5; 1 is about twice as fast).")
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True)
@click.option("--compute-type", default="default", show_default=True,
              help="CTranslate2 compute type (default: int8 on CPU, float16 on CUDA).")
@pass_ctx
def transcribe(c: Ctx, manifest: Path, clips: tuple[str, ...], engine: str | None, model: Path | None,
               language: str | None, beam: int | None, device: str, compute_type: str) -> None:
    """Transcribe every ingested clip (offline), with word timings, confidences and glossary spellings."""
    from ..run import stage

    programme = load_manifest(manifest)
    settings = stage("transcribe").settings(programme, engine=engine, language=language, beam=beam, device=device,
                                            compute_type=compute_type, model=model)
    c.stage_command(programme, "transcribe", show_transcribe, settings, clips or None)


@click.command()
@manifest_arg
@click.argument("query")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@pass_ctx
def search(c: Ctx, manifest: Path, query: str, limit: int) -> None:
    """Find what was said in the rushes: diacritic- and case-insensitive ("du lich" finds "du lịch")."""
    from ..search import search as search_transcripts

    programme = load_manifest(manifest)
    hits = search_transcripts(programme, c.workspace(programme), query, limit)
    if c.as_json:
        ui.emit_json([h.to_dict() for h in hits])
        return
    if not hits:
        ui.say(f"search: nothing found for {query!r} in {programme.id}")
        sys.exit(1)
    ui.table(f"{len(hits)} hit(s) for {query!r}", ["clip", "timecode", "words"],
             [[h.clip_id, h.timecode, h.context] for h in hits])
