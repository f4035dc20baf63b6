"""Bearer tokens' chains judged once and kept (identity.tokens.ChainJudgements): a kept
chain saves the judging, never a check that would now fail."""

import datetime

import pytest

from identity import revocation, tokens
from identity.trust_store import TrustStore
from tests.pki import NOW, empty_crl, make_root, make_signer, make_trust_list

AUDIENCE = "https://node.example"


class _Counting(TrustStore):
    judged = 0

    def judge(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.judged += 1
        return super().judge(*args, **kwargs)


def _store(root, crl):
    return _Counting(make_trust_list(root), {root.country: crl})


def _token(signer, now=NOW):
    return tokens.mint(signer.key, signer.chain, signer.org.id, AUDIENCE, now)


def test_a_chain_is_judged_once_for_many_tokens():
    root = make_root()
    signer = make_signer(root)
    trust = _store(root, empty_crl(root))
    kept = tokens.ChainJudgements(trust)
    claims = [tokens.verify(_token(signer), trust, AUDIENCE, NOW, kept) for _ in range(5)]
    assert trust.judged == 1
    assert {c.organisation.id for c in claims} == {signer.org.id}
    assert len({c.jti for c in claims}) == 5  # five tokens, each read and checked
    assert claims[0].certified_roles == claims[-1].certified_roles


def test_a_kept_chain_is_judged_again_once_the_revocation_list_is_out_of_date():
    root = make_root()
    signer = make_signer(root)
    crl = revocation.build_crl(root.cert, root.key, [], 1, NOW, datetime.timedelta(hours=1))
    trust = _store(root, crl)
    kept = tokens.ChainJudgements(trust, ttl=datetime.timedelta(days=1))
    tokens.verify(_token(signer), trust, AUDIENCE, NOW, kept)
    later = NOW + datetime.timedelta(hours=1, seconds=1)
    with pytest.raises(tokens.TokenError, match="out of date"):
        tokens.verify(_token(signer, later), trust, AUDIENCE, later, kept)
    assert trust.judged == 2


def test_a_revocation_dated_later_ends_the_keeping_at_its_date():
    root = make_root()
    signer = make_signer(root)
    when = NOW + datetime.timedelta(minutes=10)
    revoked = revocation.Revoked(signer.cert.serial_number, when)
    crl = revocation.build_crl(root.cert, root.key, [revoked], 1, NOW)
    trust = _store(root, crl)
    kept = tokens.ChainJudgements(trust, ttl=datetime.timedelta(days=1))
    tokens.verify(_token(signer), trust, AUDIENCE, NOW, kept)
    after = when + datetime.timedelta(seconds=1)
    with pytest.raises(tokens.TokenError, match="revoked"):
        tokens.verify(_token(signer, after), trust, AUDIENCE, after, kept)


def test_a_chain_that_fails_is_judged_every_time():
    root, stranger = make_root(), make_root("SG")
    signer = make_signer(stranger)
    trust = _store(root, empty_crl(root))
    kept = tokens.ChainJudgements(trust)
    for _ in range(2):
        with pytest.raises(tokens.TokenError):
            tokens.verify(_token(signer), trust, AUDIENCE, NOW, kept)
    assert trust.judged == 2


def test_judgements_of_another_trust_store_are_not_used():
    root = make_root()
    signer = make_signer(root)
    first = _store(root, empty_crl(root))
    kept = tokens.ChainJudgements(first)
    tokens.verify(_token(signer), first, AUDIENCE, NOW, kept)
    # A trust list without this root: the kept judgement is the other store's.
    other = _store(make_root(), empty_crl(root))
    with pytest.raises(tokens.TokenError):
        tokens.verify(_token(signer), other, AUDIENCE, NOW, kept)
    assert other.judged == 1
