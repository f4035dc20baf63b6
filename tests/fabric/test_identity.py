"""Identity enforced by Fabric itself (MSP validation and channel policy), reported clearly:
a revoked Fabric certificate, a certificate from a root that is not the country's, and an
organisation whose country is not a member of the channel."""

from __future__ import annotations

import datetime
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chaincode.documents.registry import DocumentKind
from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.transactions import Op
from identity.certificates import create_root
from ledger.fabric.gateway import Signer
from network.fabric import channel_config, msp
from network.fabric.network import channel_view
from network.node import Node
from tests.conftest import EXAMPLES

CO = {"kind": DocumentKind.CO, "country": "CN"}


def digest(n: int) -> str:
    return f"sha256:{0x1D000 + n:064x}"


@pytest.fixture
def node(fabric_chaincode, demo_home):
    with Node(demo_home, engine="fabric") as built:
        yield built


def as_signer(node: Node, org_id: str, signer: Signer) -> None:
    node.ledger._signer_cache[org_id] = signer


def fabric_refused(node: Node, org: str, **fields) -> Refusal:
    with pytest.raises(Refusal) as caught:
        node.submit(org, Op.ISSUE, **fields)
    refusal = caught.value
    assert refusal.kind is RefusalKind.FORBIDDEN
    assert refusal.rule.startswith(f"Fabric refused {org}'s proposal on channel cn-sg: "), refusal
    return refusal


def test_a_revoked_fabric_certificate_is_refused_by_msp_validation(
    node, demo_home, fabric_network, tmp_path
):
    spec = fabric_network.spec
    now = datetime.datetime.now(datetime.UTC)
    org = demo_home.credentials("cn-gacc").organisation
    second = msp.issue_client(demo_home, org, tmp_path / "cn-gacc-2", now)
    signer = Signer.load(
        "CNMSP", second.cert.read_bytes(), second.key.read_bytes(), demo_home.passphrase()
    )
    as_signer(node, "cn-gacc", signer)
    node.submit("cn-gacc", Op.ISSUE, doc=digest(1), **CO)  # valid until revoked

    serial = x509.load_pem_x509_certificate(second.cert.read_bytes()).serial_number
    crl = msp.revoke_fabric_certificate(fabric_network.home, spec.crypto("CN"), [serial], now)
    heights = {c: channel_view(spec, c) for c in spec.channels}
    channel_config.set_crl(spec, "CN", crl)
    deadline = time.monotonic() + 60
    while any(  # every peer has the configuration block
        any(h <= heights[c][p][0] for p, (h, _) in channel_view(spec, c).items())
        for c in spec.channels
    ):
        assert time.monotonic() < deadline, "the config update was not committed in 60 s"
        time.sleep(0.1)

    refusal = fabric_refused(node, "cn-gacc", doc=digest(2), **CO)
    assert "access denied" in refusal.rule
    assert "refused it as revoked: its CRL lists it" in refusal.rule
    assert node.ledger.document(digest(2)) is None
    node.ledger._signer_cache.pop("cn-gacc")  # the organisation's own certificate still works
    node.submit("cn-gacc", Op.ISSUE, doc=digest(3), **CO)


def test_a_certificate_from_a_root_outside_the_channel_is_refused(node, demo_home):
    now = datetime.datetime.now(datetime.UTC)
    forged_root_key = ec.generate_private_key(ec.SECP256R1())
    forged_root = create_root("CN", "Not the CN root", forged_root_key, now)
    key = ec.generate_private_key(ec.SECP256R1())
    org = demo_home.credentials("cn-gacc").organisation
    cert = msp.issue(
        forged_root, forged_root_key, msp.client_subject(org), key.public_key(), now, tls=False
    )
    as_signer(node, "cn-gacc", Signer("CNMSP", cert.public_bytes(serialization.Encoding.PEM), key))
    refusal = fabric_refused(node, "cn-gacc", doc=digest(4), **CO)
    assert "access denied" in refusal.rule
    assert "the certificate is not issued by the CN root in the channel's MSP" in refusal.rule
    assert node.ledger.document(digest(4)) is None


def test_an_organisation_of_a_country_outside_the_channel_is_refused(node):
    ebl = node.issue(
        DocumentKind.EBL, (EXAMPLES / "ebl_cnsha_sgsin.json").read_bytes(), "cn-cosco"
    ).document.digest
    node.submit("cn-exporter", Op.TRANSFER, doc=ebl, to="ru-importer")  # a party may hold it
    with pytest.raises(Refusal) as caught:
        node.submit("ru-importer", Op.TRANSFER, doc=ebl, to="sg-dbs")
    refusal = caught.value
    assert refusal.kind is RefusalKind.FORBIDDEN
    assert refusal.rule.startswith("Fabric refused ru-importer's proposal on channel cn-sg: ")
    assert "RU is not a member of the channel (members: CN, SG)" in refusal.rule
    assert node.ledger.document(ebl).holder == "ru-importer"
