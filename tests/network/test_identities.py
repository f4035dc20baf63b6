"""The node's ledger identities: a ledger certificate is known by its DER fingerprint (two
organisations' certificates may share a serial number and must not be confused)."""

import datetime

from cryptography.hazmat.primitives import serialization

from identity import keys
from identity.trust_store import TrustStore, der_fingerprint
from network.identities import HomeIdentities
from tests.identity.test_trust_store import _with_serial
from tests.pki import Root

NOW = datetime.datetime.now(datetime.UTC)


def test_two_ledger_certificates_with_one_serial_are_told_apart(demo_home):
    ccpit = demo_home.credentials("cn-ccpit")
    cosco = demo_home.credentials("cn-cosco")
    root_key = keys.load(demo_home.path / "roots" / "CN.key", demo_home.passphrase())
    root = Root("CN", ccpit.root, root_key)
    twin = _with_serial(cosco.ledger_cert, ccpit.ledger_cert.serial_number, root)
    (demo_home.path / "orgs" / "cn-cosco" / "ledger.crt").write_bytes(
        twin.public_bytes(serialization.Encoding.PEM)
    )
    identities = HomeIdentities(
        demo_home, TrustStore(demo_home.trust_list(), demo_home.revocation_lists())
    )
    first, _ = identities.authenticate("cn-ccpit", der_fingerprint(ccpit.ledger_cert), NOW)
    second, _ = identities.authenticate("cn-cosco", der_fingerprint(twin), NOW)
    assert (first.id, second.id) == ("cn-ccpit", "cn-cosco")
    assert identities.certificate(der_fingerprint(twin)) == twin.public_bytes(
        serialization.Encoding.DER
    )
