import json
import random

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from chaincode.canonical import (
    CanonicalizationError,
    canonical_bytes,
    digest,
    parse_json,
)
from chaincode.identifiers import is_doc_id

# JSON values that RFC 8785 can represent exactly: integers within I-JSON's safe range.
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
documents = st.dictionaries(st.text(max_size=8), json_values, min_size=1, max_size=6)


def _shuffled(value, rng):
    if isinstance(value, dict):
        items = [(k, _shuffled(v, rng)) for k, v in value.items()]
        rng.shuffle(items)
        return dict(items)
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


@settings(max_examples=200)
@given(documents, st.integers(0, 2**32), st.sampled_from([None, 0, 2, "\t"]))
def test_key_order_and_whitespace_do_not_change_the_digest(doc, seed, indent):
    text = json.dumps(
        _shuffled(doc, random.Random(seed)), indent=indent, ensure_ascii=seed % 2 == 0
    )
    assert digest(parse_json(text)) == digest(doc)
    assert is_doc_id(digest(doc))


def _paths(value, prefix=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))
    yield prefix


def _changed(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value - 1 if value > 0 else value + 1  # stays within I-JSON's range
    if isinstance(value, float):
        return value + 1.0 if abs(value) < 2**52 else -value if value else 1.0
    if isinstance(value, str):
        return value + "x"
    if value is None:
        return 0
    if isinstance(value, list):
        return [*value, None]
    return {**value, "\x00new": None}


@settings(max_examples=200)
@given(documents, st.data())
def test_any_changed_value_changes_the_digest(doc, data):
    path = data.draw(st.sampled_from(list(_paths(doc))))
    if not path:
        return
    changed = json.loads(json.dumps(doc))
    target = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = _changed(target[path[-1]])
    assert digest(changed) != digest(doc)


def test_digest_is_sha256_of_rfc8785_bytes():
    assert canonical_bytes({"b": 1.0, "a": "中", "c": [1e21, 1e-7]}) == (
        '{"a":"中","b":1,"c":[1e+21,1e-7]}'.encode()
    )
    assert digest({}) == "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"a": 1, "a": 2}', "duplicate key"),
        ('{"a": NaN}', "NaN"),
        ('{"a": Infinity}', "Infinity"),
        ("{not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
    ],
)
def test_ambiguous_or_broken_json_is_refused(text, fragment):
    with pytest.raises(CanonicalizationError, match=fragment):
        parse_json(text)


def test_integers_beyond_ijson_range_are_refused():
    with pytest.raises(CanonicalizationError):
        canonical_bytes({"n": 2**60})


# Everything rfc8785 might be given, including what it refuses: the fast path must write
# exactly its bytes, or refuse exactly when it refuses.
any_text = st.text(st.characters(codec=None, blacklist_categories=()), max_size=10)
wide_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats()
    | st.sampled_from([5.0, -0.0, 1e-4, 9.999e-5, 2.0**53, 2.0**53 + 2, 1e16, 1e21, 123.456])
    | st.sampled_from([float("inf"), float("-inf"), float("nan")])
    | st.sampled_from([1e-6, 2.5e-6, 9.9e-7, 1e-7, 1.5e-5, 4503599627370495.5, 1e20, 1e21])
    | any_text
)
wide_values = st.recursive(
    wide_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children, children)
        | st.dictionaries(any_text | st.integers(0, 3), children, max_size=4)
    ),
    max_leaves=20,
)


def _reference(value):
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError):
        return CanonicalizationError


def _ours(value):
    try:
        return canonical_bytes(value)
    except CanonicalizationError:
        return CanonicalizationError


@settings(max_examples=1500)
@given(wide_values)
def test_canonical_bytes_are_rfc8785s_bytes(value):
    assert _ours(value) == _reference(value)


@pytest.mark.parametrize(
    "value",
    [
        {"\U0001f600": 1, "\ufb33": 2},  # JCS sorts by UTF-16 units, Python by code points
        {"a": "\ud800"},  # a lone surrogate
        {"\ud800": "a"},  # one in a key, which rfc8785 itself lets escape as UnicodeEncodeError
        {"n": 48650.0, "m": [-0.0, 1.5e-5, 0.0001, 1e16, 2.0**53 + 2]},
        {"small": [1e-6, 2.5e-6, 1e-7], "large": [1.5e16, 1e20, 1e21]},  # orjson differs here
        {"s": "tab\there \x00\x1f\x7f \u2028"},
        ("a", 1),
        {1: "non-string key"},
    ],
)
def test_canonical_bytes_match_rfc8785_on_the_edges(value):
    assert _ours(value) == _reference(value)


def test_a_lone_surrogate_anywhere_is_a_canonicalization_error():
    for value in ({"\ud800": 1}, {"a": ["\udfff"]}):
        with pytest.raises(CanonicalizationError, match="non-UTF-8"):
            canonical_bytes(value)


def test_integral_numbers_are_read_as_ints_without_changing_the_digest():
    parsed = parse_json('{"a": 5.0, "b": 1e20, "c": -0.0, "d": 1.5, "e": 2.5e1}')
    assert parsed == {"a": 5, "b": 1e20, "c": 0, "d": 1.5, "e": 25}
    assert [type(parsed[k]) for k in "abcde"] == [int, float, int, float, int]
    as_floats = {"a": 5.0, "b": 1e20, "c": -0.0, "d": 1.5, "e": 25.0}
    assert canonical_bytes(parsed) == rfc8785.dumps(as_floats)
