"""A node remembers what it parsed of its peers' certificates and of its trust material, but
a certificate revoked, or a country taken off the trust list, after it was first judged is
refused at the very next request and in the very next answer (two country homes of one demo
network folder, in process)."""

from __future__ import annotations

import datetime
import json
import secrets

import pytest

from identity import keys, revocation, trust_list
from network.demo_network import DEMO_PASSPHRASE
from network.home import Home, init_country
from network.node import Node
from network.peers import answers
from network.peers.http_signatures import PeerAuthError, SignedBy, sign_request
from network.peers.node_judge import NodeJudge

URL = "http://127.0.0.1:9/v1/peer/verification-queries"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@pytest.fixture
def corridor(tmp_path):
    now = _now()
    net = tmp_path / "net"
    cn = init_country(tmp_path / "CN", "CN", net, "http://127.0.0.1:9", now)
    ru = init_country(tmp_path / "RU", "RU", net, "http://127.0.0.1:10", now)
    with Node(Home(ru.path)) as ru_node:
        yield cn, ru, ru_node, net


def _request(home: Home) -> tuple[dict[str, str], bytes]:
    body = json.dumps({"digest": "sha256:" + "0" * 64, "issuer": None, "knownSize": None})
    data = body.encode()
    headers = sign_request("POST", URL, data, home.node_key(), home.node_certificate(), _now())
    return {k.lower(): v for k, v in headers.items()}, data


def _verify(node: Node, home: Home) -> SignedBy:
    assert node.peers is not None
    headers, data = _request(home)
    return node.peers.requests.verify("POST", URL, headers, data, _now())


def _revoke_node_certificate(cn: Home, net) -> None:
    """The CN root revokes the CN node's certificate; the network folder publishes the CRL."""
    root_key = keys.load(cn.path / "roots" / "CN.key", DEMO_PASSPHRASE.encode())
    current = revocation.from_pem((cn.path / "crl" / "CN.crl").read_bytes())
    entries = [
        *revocation.entries_of(current),
        revocation.Revoked(cn.node_certificate().serial_number, _now()),
    ]
    crl = revocation.build_crl(
        cn.root("CN"), root_key, entries, revocation.crl_number(current) + 1, _now()
    )
    cn.network().publish_crl("CN", revocation.to_pem(crl))  # type: ignore[union-attr]


def _list_without(net, country: str) -> None:
    operator = keys.load(net / "operator.key", DEMO_PASSPHRASE.encode())
    current = trust_list.load((net / "trust-list.jws").read_text(), operator.public_key())
    kept = [e for c, e in current.entries.items() if c != country]
    signed = trust_list.sign(trust_list.build(kept, current.sequence + 1, _now()), operator)
    tmp = net / "trust-list.jws.tmp"
    tmp.write_text(signed + "\n")
    tmp.replace(net / "trust-list.jws")


def _answer(cn: Home, ru_node: Node, nonce: str) -> answers.CheckedAnswer:
    """A signed CN answer (about an unknown digest), checked by the RU node's judge."""
    assert ru_node.peers is not None
    question = answers.Question("sha256:" + "1" * 64, None, None, nonce)
    descriptor = ru_node.peers.descriptor("CN")
    assert descriptor is not None
    payload = answers.write_answer(question, "CN", descriptor.origin, None, "", None, _now())
    token = answers.sign_answer(payload, cn.node_key(), [cn.node_certificate(), cn.root("CN")])
    judge = ru_node.peers.judge
    return answers.check_answer(token, question, descriptor, lambda c: judge(c, _now()), None)


def test_a_node_certificate_revoked_after_it_was_judged_is_refused_at_the_next_request(
    corridor,
):
    cn, _, ru_node, net = corridor
    assert _verify(ru_node, cn).country == "CN"  # judged, and remembered
    assert _answer(cn, ru_node, secrets.token_urlsafe(12)).ok
    _revoke_node_certificate(cn, net)
    with pytest.raises(PeerAuthError) as refused:
        _verify(ru_node, cn)
    assert refused.value.check == "certificate"
    assert "revoked" in refused.value.reason
    failure = _answer(cn, ru_node, secrets.token_urlsafe(12)).failure
    assert failure is not None
    assert failure.name == "certificate"
    assert "revoked" in failure.reason


def test_a_country_taken_off_the_trust_list_after_it_was_judged_is_refused(corridor):
    cn, _, ru_node, net = corridor
    assert _verify(ru_node, cn).country == "CN"
    _list_without(net, "CN")
    with pytest.raises(PeerAuthError) as refused:
        _verify(ru_node, cn)
    assert refused.value.check == "certificate"
    assert "not a root on the trust list" in refused.value.reason
    failure = _answer(cn, ru_node, secrets.token_urlsafe(12)).failure
    assert failure is not None
    assert failure.name == "certificate"


def test_an_unreadable_trust_list_refuses_every_node(corridor):
    cn, _, ru_node, net = corridor
    assert _verify(ru_node, cn).country == "CN"
    (net / "trust-list.jws").write_text("not a trust list\n")
    with pytest.raises(PeerAuthError) as refused:
        _verify(ru_node, cn)
    assert "cannot be read" in refused.value.reason


class _CountingHome(Home):
    loads = 0

    def trust_list(self) -> trust_list.TrustList:
        _CountingHome.loads += 1
        return super().trust_list()


def test_the_trust_material_is_loaded_again_only_when_a_file_of_it_changed(corridor):
    cn, ru, _, net = corridor
    home = _CountingHome(ru.path)
    judge = NodeJudge(home)
    cert = cn.node_certificate()
    for _ in range(3):
        assert judge.judge(cert, _now())[0] == "CN"
    assert _CountingHome.loads == 1
    _revoke_node_certificate(cn, net)  # a new CRL file in the network folder
    country, reason = judge.judge(cert, _now())
    assert country is None
    assert "revoked" in reason
    assert _CountingHome.loads == 2
