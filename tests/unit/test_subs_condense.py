from fractions import Fraction

from pipeline.subs import Cue, lint, load_style
from pipeline.subs.condense import collapse_repeats, fit_cues


def test_repetition_loops_collapse() -> None:
    assert collapse_repeats("It's okay, it's okay, it's okay, it's okay.") == "It's okay."
    assert collapse_repeats("Trà Vinh welcomes investors.") == "Trà Vinh welcomes investors."


def test_long_machine_english_borrows_silence_then_shortens() -> None:
    style = load_style("en")
    long_text = ("The province is calling for investment in the Định An economic zone, in seaports, logistics, "
                 "renewable energy and in the processing of coconut and shrimp for export markets")
    cues = [Cue(1, 0, 2000, (long_text,)), Cue(2, 2600, 4600, ("Thank you.",))]
    fitted, shortened = fit_cues(cues, style, Fraction(25))
    assert fitted[0].end_ms == 2600 - 80  # borrowed the silence up to the minimum gap
    assert shortened == [1] and " ".join(fitted[0].lines).endswith("…")
    assert lint(fitted, style, Fraction(25)).ok
    assert fitted[1].lines == ("Thank you.",)


def test_vulgar_mishearing_is_flagged_for_the_editor() -> None:
    style = load_style("vi")
    report = lint([Cue(1, 0, 3000, ("Lồn cho tàu biển trọng tải lớn",))], style, Fraction(25))
    assert [i.rule for i in report.issues] == ["sensitive-word"]
    assert report.ok  # a warning: the editor decides


def test_a_cut_never_ends_on_an_article_a_conjunction_or_a_preposition() -> None:
    """Seen on real speech: "the more it depends on the father's wisdom and the…"."""
    from pipeline.subs.condense import _shorten

    text = "the more it depends on the father's wisdom and the mother's patience"
    assert _shorten(text, 50, {"the", "a", "an"}) == "the more it depends on the father's wisdom…"
    assert _shorten("in the", 4, {"the"}) == "in…", "one word at least"
    assert _shorten("short enough", 40) == "short enough"
