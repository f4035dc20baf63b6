import datetime

import pytest

from identity import revocation
from identity.certificates import Purpose
from identity.chain import check_revocation, validate_chain
from identity.keys import KeyType
from identity.roles import Role
from tests.pki import NOW, empty_crl, make_root, make_signer, make_trust_list

LATER = NOW + datetime.timedelta(days=1)


def test_a_good_chain_passes_with_and_without_the_root_in_x5c():
    root = make_root("CN")
    signer = make_signer(root, frozenset({Role.CARRIER, Role.BANK}))
    tl = make_trust_list(root, roles=frozenset({Role.CARRIER}))
    for chain in (signer.chain, [signer.cert]):
        result = validate_chain(chain, tl, NOW, Purpose.DOCUMENT, "ES256")
        assert result.ok, result.reason
        assert result.organisation == signer.org
    # bank is in the certificate but CN may not certify it on this trust list
    assert result.certified_roles == frozenset({Role.CARRIER})


def test_a_root_not_on_the_trust_list_fails():
    listed, rogue = make_root("CN"), make_root("CN")
    signer = make_signer(rogue)
    result = validate_chain(signer.chain, make_trust_list(listed), NOW, Purpose.DOCUMENT, "ES256")
    assert not result.ok
    assert "not on the trust list" in result.reason


def test_a_leaf_with_a_forged_issuer_name_fails():
    listed, rogue = make_root("CN"), make_root("CN")
    signer = make_signer(rogue)  # same issuer name as the listed root, other key
    tl = make_trust_list(listed)
    result = validate_chain([signer.cert], tl, NOW, Purpose.DOCUMENT, "ES256")
    assert not result.ok
    assert "not signed by the CN root" in result.reason


@pytest.mark.parametrize(
    ("at", "fragment"),
    [
        (NOW - datetime.timedelta(days=1), "not valid at"),
        (NOW + datetime.timedelta(days=800), "not valid at"),
    ],
)
def test_validity_is_judged_at_the_given_time(at, fragment):
    root = make_root("CN")
    signer = make_signer(root)
    result = validate_chain(signer.chain, make_trust_list(root), at, Purpose.DOCUMENT, "ES256")
    assert not result.ok
    assert fragment in result.reason


def test_a_ledger_certificate_cannot_sign_documents():
    root = make_root("CN")
    signer = make_signer(root, purpose=Purpose.LEDGER)
    result = validate_chain(signer.chain, make_trust_list(root), NOW, Purpose.DOCUMENT, "ES256")
    assert not result.ok
    assert "extended key usage" in result.reason


def test_the_algorithm_must_be_one_the_country_uses():
    root = make_root("SG")
    signer = make_signer(root, key_type=KeyType.ED25519)
    tl = make_trust_list(root, algorithms=frozenset({"ES256"}))
    result = validate_chain(signer.chain, tl, NOW, Purpose.DOCUMENT, "EdDSA")
    assert not result.ok
    assert "EdDSA is not allowed for SG: its trust-list entry allows ES256" in result.reason


def test_intermediates_and_ca_leaves_are_refused():
    root = make_root("CN")
    signer = make_signer(root)
    tl = make_trust_list(root)
    result = validate_chain(
        [signer.cert, signer.cert, root.cert], tl, NOW, Purpose.DOCUMENT, "ES256"
    )
    assert not result.ok
    assert "chain of 3" in result.reason
    result = validate_chain([root.cert, root.cert], tl, NOW, Purpose.DOCUMENT, "ES256")
    assert not result.ok


class TestRevocation:
    def setup_method(self):
        self.root = make_root("CN")
        self.signer = make_signer(self.root)
        self.entry = make_trust_list(self.root).entries["CN"]

    def crl_revoking_at(self, when):
        entry = revocation.Revoked(self.signer.cert.serial_number, when)
        return revocation.build_crl(self.root.cert, self.root.key, [entry], 2, NOW)

    def test_not_listed_passes(self):
        check = check_revocation(
            self.signer.cert, self.entry, {"CN": empty_crl(self.root)}, NOW, NOW
        )
        assert check.ok

    def test_revoked_before_the_signature_fails(self):
        crls = {"CN": self.crl_revoking_at(NOW)}
        check = check_revocation(self.signer.cert, self.entry, crls, LATER, LATER)
        assert not check.ok
        assert "before the signature" in check.reason

    def test_a_signature_made_before_the_revocation_still_passes(self):
        crls = {"CN": self.crl_revoking_at(LATER)}
        check = check_revocation(self.signer.cert, self.entry, crls, NOW, LATER)
        assert check.ok
        assert "after the signature" in check.reason

    def test_no_crl_a_foreign_crl_or_a_stale_crl_fails_closed(self):
        other = make_root("CN")
        cases = {
            "no revocation list": {},
            "not signed by its root": {
                "CN": revocation.build_crl(self.root.cert, other.key, [], 1, NOW)
            },
            "out of date": {"CN": empty_crl(self.root)},
        }
        for fragment, crls in cases.items():
            now = NOW + datetime.timedelta(days=400) if fragment == "out of date" else NOW
            check = check_revocation(self.signer.cert, self.entry, crls, NOW, now)
            assert not check.ok, fragment
            assert fragment in check.reason
