"""Prefix matcher and number normalisation (no DB)."""

from __future__ import annotations

import pytest

from rating.engine import PrefixMatcher, RatingError, normalize_number


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("+34911223344", "34911223344"),
        ("0034911223344", "34911223344"),
        ("34911223344", "34911223344"),
        (" +34911 ", "34911"),
        ("+0034", "0034"),  # only one international marker is stripped
        ("", ""),
    ],
)
def test_normalize_number_strips_one_plus_or_double_zero(raw: str, normalised: str) -> None:
    assert normalize_number(raw) == normalised


@pytest.mark.parametrize("raw", ["34-911", "+34 911", "abc", "３４", "²3"])
def test_normalize_number_rejects_anything_but_ascii_digits(raw: str) -> None:
    with pytest.raises(RatingError) as error:
        normalize_number(raw)

    assert error.value.code == "bad_input"


def test_longest_prefix_is_matched_first() -> None:
    matcher = PrefixMatcher({"3": "three", "34": "spain", "346": "mobile", "*": "world"})

    assert matcher.match("34612") == ("346", "mobile")
    assert matcher.match("34912") == ("34", "spain")
    assert matcher.match("39") == ("3", "three")


def test_catch_all_matches_what_nothing_else_does() -> None:
    matcher = PrefixMatcher({"34": "spain", "*": "world"})

    assert matcher.match("44207") == ("*", "world")
    assert matcher.match("") == ("*", "world")


def test_no_catch_all_means_no_match() -> None:
    assert PrefixMatcher({"34": "spain"}).match("44207") is None


def test_matches_lists_every_candidate_longest_first_catch_all_last() -> None:
    matcher = PrefixMatcher({"*": "world", "34": "spain", "346": "mobile"})

    assert list(matcher.matches("3461")) == [("346", "mobile"), ("34", "spain"), ("*", "world")]


def test_number_shorter_than_a_prefix_does_not_match_it() -> None:
    assert PrefixMatcher({"34600": "x"}).match("346") is None


def test_thousands_of_prefixes_are_matched_exactly() -> None:
    matcher = PrefixMatcher({str(n): n for n in range(1000, 6000)} | {"*": -1})

    assert len(matcher) == 5001
    assert matcher.match("4242999") == ("4242", 4242)
    assert matcher.match("999") == ("*", -1)


def test_prefixes_are_normalised_and_duplicates_rejected() -> None:
    assert PrefixMatcher({"+34": "spain"}).match("349") == ("34", "spain")
    with pytest.raises(RatingError):
        PrefixMatcher({"+34": "a", "0034": "b"})
