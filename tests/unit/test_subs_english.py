"""English cues on the Vietnamese time: a translator's sentence longer than the Vietnamese takes the
silence after it rather than losing words to "…"."""

from __future__ import annotations

from fractions import Fraction

from pipeline.subs import load_style
from pipeline.subs.english import EnglishSpan, english_cues

RATE = Fraction(25)
LONG = "Rows of ancient trees with strange, protruding roots surround the perfectly square pond."


def test_english_too_long_for_its_time_borrows_the_silence_after_it() -> None:
    style = load_style("en")
    spans = [EnglishSpan((1, 2), 13_640, 18_000, LONG), EnglishSpan((3,), 20_600, 22_400, "Right next to it.")]
    cues, cue_map = english_cues(spans, style, RATE)
    text = " ".join(" ".join(c.lines) for c in cues)
    assert "…" not in text and "strange, protruding roots" in text
    assert not any(entry.get("shortened") for entry in cue_map)
    first = [cues[k - 1] for k in cue_map[0]["en"]]
    assert first[-1].end_ms > 18_000  # into the silence …
    assert first[-1].end_ms <= 20_600 - 80  # … but not onto the next sentence (2-frame gap)
    assert all(c.cps <= style.max_cps_hard for c in first)


def test_english_that_fits_keeps_the_vietnamese_time() -> None:
    style = load_style("en")
    cues, _ = english_cues([EnglishSpan((1,), 1_000, 4_000, "A short line.")], style, RATE)
    assert (cues[0].start_ms, cues[0].end_ms) == (1_000, 4_000)


def test_a_cue_does_not_end_on_an_article() -> None:
    """The sample's machine sentence laid over two cues read "…received the / highest tax rate…"."""
    from pipeline.script.english import share_out

    sentence = ("The first investor in the Định An Economic Zone received the highest tax rate benefit "
                "for corporate income and land rent.")
    assert share_out(sentence, [1, 1])[0].endswith(" received the")  # without the style's word list
    kept = share_out(sentence, [1, 1], avoid_after={"the", "a", "an"})
    assert len(kept) == 2 and " ".join(kept) == sentence
    assert kept[0].endswith(" received")
