"""The relying path finds an envelope's signature without parsing the document before it
(``formats._trailing_signature``): for any valid JSON it finds either nothing or exactly the
top-level "signature" member's value, however the JSON is spaced or what its strings hold."""

import json

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from network.verification.formats import _trailing_signature

# Strings that look like the tail the scan reads: quotes, escapes, braces, the key itself.
TRICKY = st.sampled_from(
    [
        "signature",
        '"signature":"a.b.c"}',
        '\\"signature\\":\\"a\\"}',
        "a.b.c",
        "}",
        '"',
        "\\",
        ",",
        "{",
    ]
)
TEXT = st.one_of(st.text(max_size=12), TRICKY, st.lists(TRICKY, max_size=4).map("".join))
KEYS = st.one_of(st.just("signature"), st.just("kind"), TEXT)
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), TEXT)
JSON = st.recursive(
    LEAVES,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=12,
)
SPACING = st.sampled_from(
    [{}, {"indent": 2}, {"separators": (",", ":")}, {"separators": (" ,\n", " :\t")}]
)


@settings(max_examples=500, deadline=None)
@given(
    JSON,
    st.one_of(
        JSON.map(lambda v: (v, False)),
        st.from_regex(r"[A-Za-z0-9_.-]{1,40}", fullmatch=True).map(lambda t: (t, True)),
    ),
    SPACING,
    st.sampled_from(["", " ", "\n", " \r\n\t"]),
    st.booleans(),
)
def test_the_value_found_is_the_top_level_signature_or_nothing(value, last, spacing, trail, escape):
    signature, jws_like = last
    obj = value if isinstance(value, dict) else {"document": value}
    obj = {k: v for k, v in obj.items() if k != "signature"} | {"signature": signature}
    data = (json.dumps(obj, ensure_ascii=escape, **spacing) + trail).encode()
    found = _trailing_signature(data)
    assert found is None or found == orjson.loads(data)["signature"]
    if jws_like:  # a compact JWS's characters: always found
        assert found == signature


@settings(max_examples=300, deadline=None)
@given(JSON, SPACING)
def test_without_a_last_signature_member_nothing_is_found(value, spacing):
    data = json.dumps(value, **spacing).encode()
    found = _trailing_signature(data)
    parsed = orjson.loads(data)
    if found is not None:
        assert isinstance(parsed, dict)
        assert found == parsed["signature"]
        assert list(parsed)[-1] == "signature"


def test_bytes_that_only_look_like_it_are_not_read_as_it():
    for data in (
        b'{"a":"x\\"signature\\":\\"abc\\"}"}',  # inside a string
        b'{"x": {"signature":"a.b.c"}}',  # a nested member
        b'{"xsignature":"a.b.c"}',  # another key
        b'["signature", "a.b.c"]',
        b'{"signature":"a\\u002eb"}',  # an escape: the value is not as written
        b'{"signature":"\xc3\xa9"}',  # not ASCII
        b'"signature":"a.b.c"}',
        b"",
        b"}",
    ):
        assert _trailing_signature(data) is None, data
    assert _trailing_signature(b'{"x": 1, "signature" : "a.b.c" } \n') == "a.b.c"
