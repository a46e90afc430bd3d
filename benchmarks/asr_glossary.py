"""Does the glossary help recognition, or put its terms into speech that never said them?

    .venv/bin/python benchmarks/asr_glossary.py [--threads 2] [--cache decodes.json] [--texts]

Two sets of espeak-ng Vietnamese speech (`-v vi -s 150 -a 50`, as the sample footage is made):
  (a) with terms  every clip of the sample programmes that has speech, its sentences as the ground
                  truth scripts (`examples/scripts/*.json`) have them, one second apart; 30 glossary
                  names are said.
  (b) without     WITHOUT_TERMS below: everyday sentences that name nothing in the glossary but hold
                  syllables close to its terms ("bà con", "trà sữa", "sông hầu như", "ba đồng",
                  "cầu ngang", "càng long lanh", "chùa ân cần" …), one clip each.
The glossary is the house one merged with the sample programmes' (`examples/glossary.yaml`).

Each clip is decoded once per decoder, and every correction is applied to those decodes:
  decoders     bare      faster-whisper's WhisperModel.transcribe(language="vi", beam_size=5), else defaults
               plain     our engine (VAD, word timings, guards) with no glossary bias
               novad     … and without VAD (what is left of the difference to bare)
               prompt    … with the glossary as initial prompt, as before ("Phóng sự về …", old guards)
               names     … with a prompt that is only names ("Trà Vinh, Trà Cú, …")
               two       … with a 12-token prompt of names; about: "Về …" (a shorter sentence)
               hotwords  … with the `prompt` text as hotwords (every 30 s window)
               now       what the stage does now (`prepare_settings(TranscribeSettings())`)
  corrections  none      nothing after decoding
               loose     glossary correction as it was before (`LOOSE_CORRECTION`): any folded match
                         or listed mishearing is respelled, lower case or not
               strict    the default now (`CorrectionSettings()`): close to the term's spelling (or
                         a mishearing as written), and written as a name (see the class)
  perfect      the references themselves as the text, corrected: what correction alone does to
               speech recognised without a single error.
Columns: WER on each set; names right on (a) (terms said whose exact spelling appears; the
`term_hits` of benchmarks/asr.py); leaked = glossary terms, as spelled (capitals count), in the
output more often than in what was said; syll. = capitalised words of a glossary name or of a
prompt that the reference does not contain ("Phóng" for "Tôi"); cpu s/s = CPU seconds per second of
speech (CTranslate2's threads spin when the machine is busy: compare it only on an idle machine).
Whisper falls back to sampling (temperature > 0) on uncertain stretches, which no seed fixes here,
so two runs of one decoder can differ by a name or two.

Measured on 2 shared cores (the machine busy, load 5–13), 211 s of speech:
  before (prompt + loose)   WER (a) 0.733, names 8/30, leaked (b) 0; syll. (a) 3 (Phóng, Ba, Ba);
                            perfect (b): 8 terms put in (Ba Động, sông Hậu, kẹo dừa, chùa Âng,
                            Cầu Ngang, Càng Long, ghe ngo, thạch dừa), WER 0.050 from correction alone
  now (prompt + strict)     three runs: WER (a) 0.710–0.728, names 7–8/30, leaked (a) 0, (b) 0,
                            syll. (a) 0, WER (b) 0.783–0.808, syll. (b) 0 (1, a trailing "Cú.", in
                            the run before the guard dropped lone tails of the prompt);
                            perfect (b): 0 terms, WER 0.000; perfect (a): 30/30
  bare faster-whisper       WER (a) 0.724, (b) 0.867, names 0/30
The one name strict correction gives up against loose on the same decodes is "duyên hại" for Duyên
Hải, lower case: the everyday word "coastal" that the house glossary marks `match: none`, which the
sample programmes' glossary overrides.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import json
import subprocess
import sys
import tempfile
import time
import unicodedata
import wave
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

if not __package__:  # run as a script: make `benchmarks.asr_whisper_prompt` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.asr_whisper_prompt import term_hits, wer, words_of
from pipeline.asr.engine import FasterWhisperTranscriber, TranscribeSettings
from pipeline.asr.glossary import (
    LOOSE_CORRECTION,
    CorrectionSettings,
    Glossary,
    bias_text,
    correct_transcript,
    load_glossary,
)
from pipeline.asr.guards import GuardSettings
from pipeline.asr.model import resolve_model
from pipeline.asr.transcript import ModelRef, Transcript, TranscriptSegment
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.stages.transcribe import prepare_settings

ROOT = Path(__file__).resolve().parents[1]
ESPEAK = ("-v", "vi", "-s", "150", "-a", "50")
GAP_MS = 1000

WITHOUT_TERMS = (
    "Bà con trong xóm rủ nhau đi uống trà sữa.",
    "Cô giáo dạy các em học thuộc bảng cửu chương.",
    "Chiếc áo dài duyên dáng được may bằng lụa tơ tằm.",
    "Hồi đó mỗi ổ bánh mì chỉ có giá ba đồng.",
    "Mùa khô năm nay nước sông hầu như cạn kiệt.",
    "Người dân trồng dứa rồi làm kẹo dứa bán cho khách.",
    "Các sư trong chùa ân cần đón tiếp khách thập phương.",
    "Cây cầu ngang qua con kênh nhỏ trước nhà.",
    "Đôi mắt em càng long lanh dưới ánh nắng.",
    "Trước sân có tượng ông phỗng bằng đá ong.",
    "Sáng sớm chiếc ghe ngô cập bến chợ nổi.",
    "Bà ngoại bưng ra một đĩa thạch dứa mát lạnh.",
)
"""Everyday Vietnamese that names nothing in the glossary, each with syllables close to its terms."""


@dataclasses.dataclass(frozen=True)
class Clip:
    name: str
    reference: str
    sentences: tuple[str, ...]


def clips_with_terms() -> list[Clip]:
    """The sample programmes' clips with speech, their sentences from the ground-truth scripts."""
    out: list[Clip] = []
    for script in sorted((ROOT / "examples" / "scripts").glob("*.json")):
        data = json.loads(script.read_text(encoding="utf-8"))
        for clip_id, clip in sorted(data.get("clips", {}).items()):
            sentences = tuple(u["vi"] for u in clip.get("utterances", []))
            if sentences:
                out.append(Clip(clip_id, " ".join(sentences), sentences))
    return out


def clips_without_terms() -> list[Clip]:
    return [Clip(f"no-terms-{i:02d}", text, (text,)) for i, text in enumerate(WITHOUT_TERMS, 1)]


def speak(folder: Path, clip: Clip) -> Path:
    """The clip's sentences spoken by espeak-ng, GAP_MS apart, as 16 kHz mono WAV (what ingest makes)."""
    frames: list[bytes] = []
    silence = b"\0\0" * (16000 * GAP_MS // 1000)
    for index, sentence in enumerate(clip.sentences):
        raw, wav = folder / f"{clip.name}.{index}.raw.wav", folder / f"{clip.name}.{index}.wav"
        subprocess.run(["espeak-ng", *ESPEAK, "-w", str(raw), sentence], check=True, capture_output=True)
        run_ffmpeg(["-i", str(raw), "-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le", str(wav)], subject=wav)
        with wave.open(str(wav)) as handle:
            frames += [silence, handle.readframes(handle.getnframes())]
    out = folder / f"{clip.name}.wav"
    with wave.open(str(out), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        handle.writeframes(b"".join([*frames, silence]))
    return out


def glossary() -> Glossary:
    return load_glossary(programme=ROOT / "examples" / "glossary.yaml")


BEFORE_TEMPLATE = "Phóng sự về {terms}."
"""The prompt's template before this benchmark (TranscribeSettings.bias_template then)."""


def decoders(gloss: Glossary, threads: int) -> dict[str, TranscribeSettings | None]:
    """Each decoder's settings (None: bare faster-whisper), glossary text filled in explicitly so a
    change of defaults does not change what a row measures."""
    old_guards = GuardSettings(echo_lone_word_probability=0.0)  # the guards before this benchmark
    base = TranscribeSettings(cpu_threads=threads, glossary_bias="off", initial_prompt=None, hotwords=None,
                              guards=old_guards)
    before = bias_text(gloss, 24, BEFORE_TEMPLATE)
    names = bias_text(gloss, 24, "{terms}.")
    two = bias_text(gloss, 12, "{terms}.")
    about = bias_text(gloss, 16, "Về {terms}.")
    return {
        "bare": None,
        "plain": base,
        "novad": dataclasses.replace(base, vad_filter=False),
        "prompt": dataclasses.replace(base, glossary_bias="prompt", initial_prompt=before),
        "names": dataclasses.replace(base, glossary_bias="prompt", initial_prompt=names),
        "two": dataclasses.replace(base, glossary_bias="prompt", initial_prompt=two),
        "about": dataclasses.replace(base, glossary_bias="prompt", initial_prompt=about),
        "hotwords": dataclasses.replace(base, glossary_bias="hotwords", hotwords=before),
        "now": prepare_settings(TranscribeSettings(cpu_threads=threads), gloss),
    }


CORRECTIONS: dict[str, CorrectionSettings | None] = {
    "none": None,
    "loose": LOOSE_CORRECTION,
    "strict": CorrectionSettings(),
}
BEFORE = ("prompt", "loose")
"""The configuration before this benchmark: the glossary as prompt, then loose correction."""


def decode_missing(result: dict[str, Any], clips: Sequence[Clip], gloss: Glossary, threads: int,
                   save: Callable[[], None]) -> None:
    """Decode every (decoder, clip) that `result` lacks, saving after each clip."""
    from faster_whisper import WhisperModel

    info = resolve_model(None)
    if result.setdefault("model", info.sha256) != info.sha256:
        raise SystemExit("the saved decodes were made with another model; delete the file")
    ours = FasterWhisperTranscriber(info)
    bare: Any = None
    decodes: dict[str, dict[str, Any]] = result.setdefault("decodes", {})
    cpu: dict[str, float] = result.setdefault("cpu_s", {})
    audio: dict[str, float] = result.setdefault("audio_s", {})
    made_with: dict[str, Any] = result.setdefault("settings", {})
    for name, settings in decoders(gloss, threads).items():
        wanted = json.loads(json.dumps(settings.cache_fields() if settings else None))
        if made_with.get(name, wanted) != wanted:  # the decoder means something else now: decode again
            decodes.pop(name, None)
            cpu.pop(name, None)
        made_with[name] = wanted
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for clip in clips:
            todo = [name for name in decoders(gloss, threads) if clip.name not in decodes.get(name, {})]
            if not todo:
                continue
            wav = speak(folder, clip)
            with wave.open(str(wav)) as handle:
                audio[clip.name] = handle.getnframes() / 16000
            for name in todo:
                settings = decoders(gloss, threads)[name]
                began = time.process_time()
                if settings is None:
                    if bare is None:
                        bare = WhisperModel(str(info.path), device="cpu", compute_type="int8", cpu_threads=threads)
                    segments, _ = bare.transcribe(str(wav), language="vi", beam_size=5)
                    result_t = _text_transcript(clip.name, " ".join(s.text.strip() for s in segments))
                else:
                    result_t = ours.transcribe(wav, settings, clip_id=clip.name)
                cpu[name] = cpu.get(name, 0.0) + time.process_time() - began
                decodes.setdefault(name, {})[clip.name] = result_t.to_json()
                print(f"  {name:8} {clip.name:24} {result_t.text[:100]}", file=sys.stderr, flush=True)
            save()


def _text_transcript(clip_id: str, text: str) -> Transcript:
    """Bare faster-whisper's text as a transcript (one segment, no words) so it scores alike."""
    segment = TranscriptSegment(0, 0, text, 0.0, 0.0, 1.0)
    return Transcript(clip_id, "vi", 0, "", ModelRef("bare", ""), (segment,))


@dataclasses.dataclass
class Score:
    """Sums over one set of clips for one variant."""

    errors: float = 0.0
    ref_words: int = 0
    hits: int = 0
    said: int = 0
    leaked: list[str] = dataclasses.field(default_factory=list)
    leaked_syllables: list[str] = dataclasses.field(default_factory=list)

    @property
    def wer(self) -> float:
        return self.errors / max(1, self.ref_words)


def leaked_terms(gloss: Glossary, reference: str, hypothesis: str) -> list[str]:
    """Glossary terms, as spelled, in the hypothesis more often than in the reference. Capitals
    count ("Cây Cầu Ngang" for "cây cầu ngang" is the district put where nobody named it), except a
    lower-case term's first letter at the start of a sentence."""
    ref, hyp = list(_written_words(reference)), list(_written_words(hypothesis))
    leaks: list[str] = []
    for term in sorted({t.vi for t in gloss.terms}):
        extra = _occurrences(hyp, term) - _occurrences(ref, term)
        leaks += [term] * max(0, extra)
    return leaks


def _occurrences(words: Sequence[str], term: str) -> int:
    target = term.split()
    first = {target[0], target[0][:1].upper() + target[0][1:]}
    return sum(1 for i in range(len(words) - len(target) + 1)
               if words[i] in first and list(words[i + 1 : i + len(target)]) == target[1:])


def leaked_name_syllables(vocabulary: set[str], reference: str, hypothesis: str) -> list[str]:
    """Capitalised words of a glossary name or the prompt that the reference does not hold."""
    ref = collections.Counter(words_of(reference))
    hyp = collections.Counter(w for w in _written_words(hypothesis) if w[:1].isupper() and w in vocabulary)
    out: list[str] = []
    for word, count in hyp.items():
        out += [word] * max(0, count - ref[word.casefold()])
    return sorted(out)


def _written_words(text: str) -> Iterator[str]:
    for token in unicodedata.normalize("NFC", text).split():
        core = token.strip(".,;:!?\"'()[]…-–")
        if core:
            yield core


def name_vocabulary(gloss: Glossary, prompt: str | None) -> set[str]:
    """Syllables of the glossary's names and of the prompt, as written (capitalised ones only)."""
    words = {w for t in gloss.terms for w in t.vi.split()}
    words |= set(_written_words(prompt or ""))
    return {w for w in words if w[:1].isupper()}


def score(
    clips: Sequence[Clip], texts: dict[str, str], gloss: Glossary, vocabulary: set[str]
) -> Score:
    total = Score()
    for clip in clips:
        text = texts[clip.name]
        total.errors += wer(clip.reference, text) * len(words_of(clip.reference))
        total.ref_words += len(words_of(clip.reference))
        hits, said = term_hits(gloss, clip.reference, text)
        total.hits, total.said = total.hits + hits, total.said + said
        total.leaked += leaked_terms(gloss, clip.reference, text)
        total.leaked_syllables += leaked_name_syllables(vocabulary, clip.reference, text)
    return total


def corrected_texts(decodes: dict[str, Any], correction: CorrectionSettings | None, gloss: Glossary) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, data in decodes.items():
        transcript = Transcript.from_json(data)
        if correction is not None:
            transcript = correct_transcript(transcript, gloss, correction)[0]
        out[name] = transcript.text
    return out


def perfect_texts(clips: Sequence[Clip], correction: CorrectionSettings | None, gloss: Glossary) -> dict[str, str]:
    """The references as a recogniser that heard every word would write them (sentence case, no
    capitals it could not hear for ordinary words), corrected: what correction does to right text."""
    out: dict[str, str] = {}
    for clip in clips:
        text = clip.reference
        if correction is not None:
            segment = TranscriptSegment(0, 0, text, 0.0, 0.0, 1.0)
            text = correct_transcript(Transcript(clip.name, "vi", 0, "", ModelRef("ref", ""), (segment,)),
                                      gloss, correction)[0].text
        out[clip.name] = text
    return out


def variants(names: Sequence[str]) -> Iterator[tuple[str, str]]:
    for decoder in names:
        for correction in (("none",) if decoder in ("bare", "novad") else CORRECTIONS):
            yield decoder, correction


def report(result: dict[str, Any], with_terms: list[Clip], without: list[Clip], gloss: Glossary,
           show: Callable[[str], None] = print) -> None:
    settings = decoders(gloss, 2)
    vocabulary = name_vocabulary(gloss, " ".join(s.initial_prompt or s.hotwords or "" for s in settings.values() if s))
    audio_s = sum(result["audio_s"].values())
    show(f"{len(with_terms)} clips with glossary terms (a), {len(without)} without (b); {audio_s:.0f} s of speech")
    for name, s in settings.items():
        if s is not None and (s.initial_prompt or s.hotwords):
            show(f"  {name}: {s.glossary_bias} {s.initial_prompt or s.hotwords!r}")
    show(f"{'decoder':9} {'correction':10} {'WER (a)':>8} {'names (a)':>10} {'leaked (a)':>10} {'syll. (a)':>9} "
         f"{'WER (b)':>8} {'leaked (b)':>10} {'syll. (b)':>9} {'cpu s/s':>8}")
    leaks_seen: dict[str, list[str]] = {}
    for decoder, correction in variants([d for d in settings if d in result["decodes"]]):
        texts = corrected_texts(result["decodes"][decoder], CORRECTIONS[correction], gloss)
        a = score(with_terms, texts, gloss, vocabulary)
        b = score(without, texts, gloss, vocabulary)
        mark = "  <- before" if (decoder, correction) == BEFORE else "  <- now" if (decoder, correction) == NOW else ""
        cpu = result["cpu_s"].get(decoder, 0.0) / audio_s
        show(f"{decoder:9} {correction:10} {a.wer:8.3f} {f'{a.hits}/{a.said}':>10} {len(a.leaked):10d} "
             f"{len(a.leaked_syllables):9d} {b.wer:8.3f} {len(b.leaked):10d} {len(b.leaked_syllables):9d} "
             f"{cpu:8.3f}{mark}")
        for part, sums in (("a", a), ("b", b)):
            if sums.leaked or sums.leaked_syllables:
                leaks_seen[f"({part}) {decoder}+{correction}"] = sums.leaked + [f"~{s}" for s in sums.leaked_syllables]
    show("Correction alone, on the references as a perfect recogniser would write them:")
    for correction, chosen in CORRECTIONS.items():
        a = score(with_terms, perfect_texts(with_terms, chosen, gloss), gloss, vocabulary)
        b = score(without, perfect_texts(without, chosen, gloss), gloss, vocabulary)
        show(f"{'perfect':9} {correction:10} {a.wer:8.3f} {f'{a.hits}/{a.said}':>10} {len(a.leaked):10d} "
             f"{len(a.leaked_syllables):9d} {b.wer:8.3f} {len(b.leaked):10d} {len(b.leaked_syllables):9d}")
        if b.leaked:
            leaks_seen[f"(b) perfect+{correction}"] = b.leaked
    show("What leaked (~: a capitalised syllable of a name or of a prompt that was not said):")
    for variant, leaks in leaks_seen.items():
        show(f"  {variant:22} {', '.join(leaks)}")


NOW = ("now", "strict")
"""The configuration the code defaults to now: the stage's settings, strict correction."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cache", type=Path, help="keep the decodes in this JSON file; decode only what it lacks")
    parser.add_argument("--texts", action="store_true", help="print each clip's text per variant")
    args = parser.parse_args()

    gloss = glossary()
    with_terms, without = clips_with_terms(), clips_without_terms()
    result: dict[str, Any] = {}
    if args.cache and args.cache.is_file():
        result = json.loads(args.cache.read_text(encoding="utf-8"))

    def save() -> None:
        if args.cache:
            args.cache.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")

    decode_missing(result, [*with_terms, *without], gloss, args.threads, save)
    report(result, with_terms, without, gloss)
    if args.texts:
        for decoder, correction in variants([d for d in decoders(gloss, 2) if d in result["decodes"]]):
            texts = corrected_texts(result["decodes"][decoder], CORRECTIONS[correction], gloss)
            print(f"\n## {decoder} + {correction}")
            for clip in [*with_terms, *without]:
                with contextlib.suppress(KeyError):
                    print(f"{clip.name:24} {texts[clip.name]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
