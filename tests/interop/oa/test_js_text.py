"""JavaScript's text of numbers and strings, against node itself."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interop.oa.js_text import js_json, js_keys, js_number, js_string
from tests.interop.oa.judge import judge

KNOWN = [
    (0, "0"),
    (-0.0, "0"),
    (5.0, "5"),
    (48650.0, "48650"),
    (0.1, "0.1"),
    (1e-7, "1e-7"),
    (1.5e-6, "0.0000015"),
    (0.000001, "0.000001"),
    (123e-20, "1.23e-18"),
    (1e21, "1e+21"),
    (1e20, "100000000000000000000"),
    (123456789012345680000.0, "123456789012345680000"),
    (2**53, "9007199254740992"),
    (2**53 + 1, "9007199254740992"),  # JavaScript rounds it to the nearest double
    (-2.5, "-2.5"),
    (1.7976931348623157e308, "1.7976931348623157e+308"),
    (5e-324, "5e-324"),
]


@pytest.mark.parametrize(("value", "text"), KNOWN)
def test_known_numbers(value: float, text: str) -> None:
    assert js_number(value) == text


def test_not_json_numbers_are_refused() -> None:
    for bad in (math.nan, math.inf, -math.inf, 10**400):
        with pytest.raises(ValueError, match=r"JSON number|range"):
            js_number(bad)


def test_known_numbers_agree_with_node() -> None:
    values = [v for v, _ in KNOWN if not isinstance(v, int) or abs(v) <= 2**53]
    assert judge({"op": "numbers", "values": values})["texts"] == [js_number(v) for v in values]


@settings(max_examples=5, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=False, allow_infinity=False),
            st.integers(min_value=-(2**53), max_value=2**53),
            st.floats(min_value=-1e-5, max_value=1e-5),
            st.floats(min_value=1e15, max_value=1e23),
        ),
        min_size=200,
        max_size=200,
    )
)
def test_numbers_agree_with_node(values: list[float]) -> None:
    assert judge({"op": "numbers", "values": values})["texts"] == [js_number(v) for v in values]


@settings(max_examples=5, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(exclude_categories=())), min_size=100, max_size=100))
def test_strings_agree_with_node(values: list[str]) -> None:
    # hypothesis's text includes control characters, non-BMP characters and lone surrogates
    assert judge({"op": "stringify", "values": values})["texts"] == [js_string(v) for v in values]


def test_lone_surrogates_are_escaped_as_javascript_does() -> None:
    assert js_string("a\ud800b") == '"a\\ud800b"'
    assert js_string("\U0001f600") == '"\U0001f600"'
    assert js_string('é\n"\\\x01') == '"é\\n\\"\\\\\\u0001"'


def test_objects_stringify_in_javascript_key_order() -> None:
    value = {"b": 1, "10": 2, "a": [True, None, {}], "2": "x", "01": 0.5}
    assert list(js_keys(value)) == ["2", "10", "b", "a", "01"]
    assert js_json(value) == judge({"op": "stringify", "values": [value]})["texts"][0]
