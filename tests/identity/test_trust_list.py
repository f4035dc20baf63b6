import base64
import json

import pytest

from identity import keys, trust_list
from identity.keys import KeyType
from identity.roles import Role
from identity.trust_list import CountryEntry, TrustListError
from tests.pki import NOW, make_root, make_trust_list


def test_round_trip_keeps_roots_roles_and_algorithms():
    cn, sg = make_root("CN"), make_root("SG")
    operator = keys.generate(KeyType.P256)
    tl = make_trust_list(cn, sg, roles=frozenset({Role.CUSTOMS}), algorithms=frozenset({"ES256"}))
    loaded = trust_list.load(trust_list.sign(tl, operator), operator.public_key())
    assert set(loaded.entries) == {"CN", "SG"}
    assert loaded.entries["SG"].root == sg.cert
    assert loaded.entries["CN"].roles == frozenset({Role.CUSTOMS})
    assert loaded.entries["CN"].algorithms == frozenset({"ES256"})
    assert loaded.entry_for_root(cn.cert).country == "CN"
    assert loaded.entry_for_root(make_root("CN").cert) is None


def test_a_list_signed_by_another_key_is_refused():
    tl = make_trust_list(make_root("CN"))
    token = trust_list.sign(tl, keys.generate(KeyType.P256))
    with pytest.raises(TrustListError, match="signature"):
        trust_list.load(token, keys.generate(KeyType.P256).public_key())


def test_an_edited_list_is_refused():
    operator = keys.generate(KeyType.ED25519)
    token = trust_list.sign(make_trust_list(make_root("CN")), operator)
    head, body, sig = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=="))
    payload["countries"][0]["roles"].append("customs")
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    with pytest.raises(TrustListError, match="signature"):
        trust_list.load(f"{head}.{forged}.{sig}", operator.public_key())


def test_unsupported_algorithms_and_duplicates_are_refused():
    cn = make_root("CN")
    with pytest.raises(TrustListError, match="SM2"):
        trust_list.build([CountryEntry("CN", cn.cert, frozenset(), frozenset({"SM2"}))], 1, NOW)
    entry = CountryEntry("CN", cn.cert, frozenset(), frozenset({"ES256"}))
    with pytest.raises(TrustListError, match="twice"):
        trust_list.build([entry, entry], 1, NOW)
    with pytest.raises(TrustListError, match="not a root of it"):
        trust_list.build([CountryEntry("SG", cn.cert, frozenset(), frozenset())], 1, NOW)
