"""The pages' parts on their own: catalogs, sessions, QR text, verdicts, field labels."""

import datetime
import re
from importlib.resources import files

import pytest

from api.http.pages import i18n
from api.http.pages.fields import fields_of, humanize
from api.http.pages.lookup import NotAReferenceError, parse_reference, qr_text
from api.http.pages.sessions import IDLE, LIFETIME, SessionStore
from api.http.pages.site import local_path
from api.http.pages.verdicts import Verdict, read_report, verdict_of
from chaincode.records import Actor
from identity.roles import Role

T0 = datetime.datetime(2026, 3, 12, 8, 0, tzinfo=datetime.UTC)
DIGEST = "sha256:" + "0a" * 32


# --- catalogs -------------------------------------------------------------------------


def test_catalogs_have_the_same_keys_and_placeholders():
    catalogs = i18n.Catalogs()
    english = catalogs["en"].messages
    for code in ("zh", "ru"):
        other = catalogs[code].messages
        assert set(other) == set(english), code
        for key, text in english.items():
            assert i18n.placeholders(other[key]) == i18n.placeholders(text), (code, key)
            assert other[key].strip(), (code, key)


def _used_keys() -> set[str]:
    root = files("api.http.pages")
    text = "".join(
        p.read_text("utf-8")
        for folder in (root, root.joinpath("templates"))
        for p in folder.iterdir()
        if p.name.endswith((".py", ".html"))
    )
    keys = set(re.findall(r"""\bt\(\s*['"]([a-z_]+\.[a-z_.]+)['"]""", text))
    keys |= set(re.findall(r"""PageError\(\s*\d+,\s*"([a-z_.]+)\"""", text))
    keys |= set(re.findall(r'"(desk\.field\.[a-z]+)"', text))
    keys |= set(re.findall(r'"(lookup\.[a-z_]+)"', text))
    return keys


def test_every_message_the_pages_use_is_in_english():
    english = i18n.Catalogs()["en"].messages
    missing = sorted(k for k in _used_keys() if k not in english)
    assert not missing


def test_every_dynamic_label_is_translated():
    from chaincode.documents.registry import DocumentKind
    from chaincode.records import DocState
    from chaincode.transactions import Op
    from identity.checks import CheckName
    from network.verification.pipeline import ORDER

    english = i18n.Catalogs()["en"].messages
    wanted = {f"kind.{k.value}" for k in DocumentKind}
    wanted |= {f"state.{s.value}" for s in DocState}
    wanted |= {f"op.{o.value}" for o in Op}
    wanted |= {f"check.{c.value}" for c in (*ORDER, *CheckName)}
    wanted |= {f"verdict.{v.value}" for v in Verdict}
    assert wanted <= set(english)


def test_a_missing_key_shows_as_itself_and_values_fill_in():
    t = i18n.Catalogs()["ru"]
    assert t("no.such.key") == "no.such.key"
    assert "cn-gacc" in t("nav.signed_in_as", org="cn-gacc")


@pytest.mark.parametrize(
    ("cookie", "header", "chosen"),
    [
        ("zh", "ru", "zh"),
        (None, "fr-FR, ru;q=0.8, en;q=0.5", "ru"),
        (None, "zh-CN,zh;q=0.9", "zh"),
        ("xx", "de", "en"),
        (None, None, "en"),
    ],
)
def test_language_negotiation(cookie, header, chosen):
    assert i18n.negotiate(cookie, header) == chosen


# --- sessions -------------------------------------------------------------------------

ACTOR = Actor("cn-cosco", "CN", frozenset({Role.CARRIER}))


def test_a_session_lives_while_used_and_ends_idle_or_old(tmp_path):
    store = SessionStore(tmp_path / "sessions.db")
    token, session = store.create(ACTOR, T0)
    assert session.actor == ACTOR
    assert store.get(token, T0 + IDLE / 2).org == "cn-cosco"
    # Used every half idle period, it lives until its lifetime ends, and not after.
    at = T0
    while at + IDLE / 2 < T0 + LIFETIME:
        at += IDLE / 2
        assert store.get(token, at) is not None, at
    assert store.get(token, T0 + LIFETIME) is None
    token, _ = store.create(ACTOR, T0)
    assert store.get(token, T0 + IDLE + datetime.timedelta(seconds=1)) is None
    store.close()


def test_signing_out_deletes_the_session_and_tokens_are_not_stored(tmp_path):
    path = tmp_path / "sessions.db"
    store = SessionStore(path)
    token, _ = store.create(ACTOR, T0)
    assert token.encode() not in path.read_bytes()
    store.end(token)
    assert store.get(token, T0) is None
    assert store.count() == 0
    assert store.get("x" * 500, T0) is None
    assert store.get(None, T0) is None
    store.close()


def test_local_path_refuses_other_sites():
    assert local_path("/desk?x=1") == "/desk?x=1"
    for bad in ("https://evil.example", "//evil.example", "/\\evil", "", None, "desk", "/a\nb"):
        assert local_path(bad) == "/"


# --- QR text --------------------------------------------------------------------------


def test_qr_text_round_trips_and_names_another_node():
    text = qr_text("https://node.example:8443/", DIGEST)
    assert text == f"https://node.example:8443/verify?digest={DIGEST}"
    assert parse_reference(text, "https://node.example:8443").elsewhere is None
    assert parse_reference(text, "http://127.0.0.1:8000").elsewhere == "https://node.example:8443"
    assert parse_reference(" " + DIGEST + "\n", "x").digest == DIGEST
    assert parse_reference(DIGEST[7:].upper(), "x").digest == DIGEST


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "lookup.empty"),
        ("hello", "lookup.not_a_reference"),
        ("ftp://x/verify?digest=" + DIGEST, "lookup.not_a_reference"),
        ("https://x/verify?digest=sha256:12", "lookup.bad_digest"),
        (f"https://x/verify?digest={DIGEST}&digest={DIGEST}", "lookup.bad_digest"),
        ("x" * 3000, "lookup.too_long"),
    ],
)
def test_text_that_is_no_qr_code_says_what_was_expected(text, key):
    with pytest.raises(NotAReferenceError) as info:
        parse_reference(text, "https://node.example")
    assert info.value.key == key


def test_qr_text_needs_a_digest():
    with pytest.raises(ValueError, match="not a document digest"):
        qr_text("https://x", "sha256:zz")


# --- verdicts -------------------------------------------------------------------------


def _check(name, status):
    return {"name": name, "status": status, "reason": f"{name} {status}"}


def test_verdicts_cannot_be_misread():
    passed = [_check("signature", "pass"), _check("anchored", "pass")]
    assert verdict_of({"valid": True, "checks": passed}) is Verdict.VALID
    assert verdict_of({"valid": True, "checks": []}) is Verdict.UNKNOWN
    assert verdict_of({"valid": True, "checks": [*passed, _check("x", "fail")]}) is Verdict.INVALID
    partly = [*passed, _check("inclusion", "not_checked")]
    assert verdict_of({"valid": False, "checks": partly}) is Verdict.UNKNOWN
    assert verdict_of({"valid": False, "checks": []}) is Verdict.INVALID


def test_new_checks_facts_and_answers_show_without_page_changes():
    report = {
        "valid": True,
        "checks": [_check("pint-envelope", "pass")],
        "facts": {"issuer": "cn-gacc", "platform": "WAVE", "kind": "ebl"},
        "issuerNode": {"answer": "valid", "node": "cn.example"},
    }
    view = read_report(report)
    assert view.verdict is Verdict.VALID
    assert [c.name for c in view.checks] == ["pint-envelope"]
    assert [f.key for f in view.facts] == ["kind", "issuer", "platform"]
    assert view.extras[0].label == "Issuer node"
    assert {c.label for c in view.extras[0].children} == {"Answer", "Node"}


# --- field labels ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("transportDocumentReference", "Transport document reference"),
        ("UNLocationCode", "UN location code"),
        ("hsCode", "HS code"),
        ("id", "ID"),
        ("grossWeightKg", "Gross weight kg"),
        ("issuerNode", "Issuer node"),
    ],
)
def test_humanize(key, label):
    assert humanize(key) == label


def test_fields_are_bounded_and_link_documents():
    deep: dict = {"a": DIGEST}
    for _ in range(50):
        deep = {"next": deep}
    fields = fields_of({"deep": deep, "many": list(range(10)), "items": [{"x": 1}] * 10})
    assert fields[1].value == "0, 1, 2, 3, 4, 5, 6, 7, 8, 9"
    assert [c.label for c in fields[2].children] == [str(i) for i in range(1, 11)]
    node = fields[0]
    depth = 0
    while node.children:
        node = node.children[0]
        depth += 1
    assert depth <= 13
    assert node.value == "…"
    assert fields_of({"doc": DIGEST})[0].document
    huge = fields_of({f"k{i}": i for i in range(100)}, limit=10)
    assert [f.value for f in huge[10:]] == ["…"] * 90
