"""The trust store: what it remembers is keyed by DER fingerprint, and every reason it gives
is built for the call's own times."""

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from identity import revocation
from identity.certificates import Purpose, signature_hash
from identity.trust_store import TrustStore, der_fingerprint
from tests.pki import NOW, empty_crl, make_root, make_signer, make_trust_list

LATER = NOW + datetime.timedelta(hours=3)


def _with_serial(cert: x509.Certificate, serial: int, root) -> x509.Certificate:
    """The same certificate re-issued by ``root`` with a chosen serial number."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(cert.subject)
        .issuer_name(root.cert.subject)
        .public_key(cert.public_key())
        .serial_number(serial)
        .not_valid_before(cert.not_valid_before_utc)
        .not_valid_after(cert.not_valid_after_utc)
    )
    for ext in cert.extensions:
        if not isinstance(ext.value, x509.AuthorityKeyIdentifier):
            builder = builder.add_extension(ext.value, ext.critical)
    return builder.sign(root.key, signature_hash(root.key))


def test_every_reason_names_its_own_time():
    root = make_root("CN")
    signer = make_signer(root)
    store = TrustStore(make_trust_list(root), {"CN": empty_crl(root)})
    first = store.chain(signer.chain, NOW, Purpose.DOCUMENT, "ES256")
    second = store.chain(signer.chain, LATER, Purpose.DOCUMENT, "ES256")
    assert first.ok
    assert second.ok
    assert f"valid at {NOW.isoformat()}" in first.reason
    assert f"valid at {LATER.isoformat()}" in second.reason
    # A remembered chain is still judged for validity at each time.
    too_late = NOW + datetime.timedelta(days=800)
    assert not store.chain(signer.chain, too_late, Purpose.DOCUMENT, "ES256").ok


def test_revocation_reasons_are_built_per_call():
    root = make_root("CN")
    signer = make_signer(root)
    revoked = revocation.Revoked(signer.cert.serial_number, NOW)
    crl = revocation.build_crl(root.cert, root.key, [revoked], 2, NOW)
    store = TrustStore(make_trust_list(root), {"CN": crl})
    entry = store.trust_list.entries["CN"]
    before = store.revocation(signer.cert, entry, NOW - datetime.timedelta(minutes=1), NOW)
    after = store.revocation(signer.cert, entry, LATER, NOW, "the anchoring")
    assert before.ok
    assert "after the signature" in before.reason
    assert not after.ok
    assert f"before the anchoring at {LATER.isoformat()}" in after.reason


def test_certificates_with_one_serial_from_two_roots_are_told_apart():
    """Serial numbers are unique per issuer only; the store keys by DER fingerprint."""
    cn, sg = make_root("CN"), make_root("SG")
    serial = 4242
    cn_cert = _with_serial(make_signer(cn).cert, serial, cn)
    sg_cert = _with_serial(make_signer(sg).cert, serial, sg)
    assert der_fingerprint(cn_cert) != der_fingerprint(sg_cert)
    revoked = revocation.Revoked(serial, NOW)
    crls = {
        "CN": revocation.build_crl(cn.cert, cn.key, [revoked], 2, NOW),
        "SG": empty_crl(sg),
    }
    store = TrustStore(make_trust_list(cn, sg), crls)
    judged = {
        country: store.judge([cert], LATER, Purpose.DOCUMENT, "ES256", LATER)
        for country, cert in (("CN", cn_cert), ("SG", sg_cert))
    }
    assert judged["CN"].chain.entry.country == "CN"
    assert judged["SG"].chain.entry.country == "SG"
    assert not judged["CN"].ok
    assert "revoked" in judged["CN"].reason
    assert judged["SG"].ok, judged["SG"].reason


def test_a_crl_signed_by_another_key_fails_every_time():
    root, other = make_root("CN"), make_root("CN")
    signer = make_signer(root)
    forged = revocation.build_crl(root.cert, other.key, [], 1, NOW)
    store = TrustStore(make_trust_list(root), {"CN": forged})
    for _ in range(2):
        judged = store.judge(signer.chain, NOW, Purpose.DOCUMENT, "ES256", NOW)
        assert not judged.ok
        assert "not signed by its root" in judged.reason


def test_anchoring_remembered_by_object_answers_only_for_the_same_chain_and_purpose():
    """The store remembers anchoring by the certificate objects too: each chain and purpose
    still gets what a fresh store finds for it, remembered or not (another root object, no
    root, another purpose, a DER-equal copy of the leaf)."""
    root, other = make_root("CN"), make_root("CN")
    leaf = make_signer(root).cert
    copy = x509.load_der_x509_certificate(leaf.public_bytes(serialization.Encoding.DER))
    trust_list = make_trust_list(root)
    store = TrustStore(trust_list, {"CN": empty_crl(root)})
    cases = [
        ([leaf], Purpose.DOCUMENT),
        ([leaf, root.cert], Purpose.DOCUMENT),
        ([leaf, other.cert], Purpose.DOCUMENT),
        ([leaf], Purpose.LEDGER),
        ([copy], Purpose.DOCUMENT),
    ]
    expected = [TrustStore(trust_list, {}).anchored(chain, purpose) for chain, purpose in cases]
    assert not isinstance(expected[0], str)
    assert isinstance(expected[2], str)  # another root than the listed one
    for _ in range(2):  # the second round answers from what the store remembered
        assert [store.anchored(chain, purpose) for chain, purpose in cases] == expected
