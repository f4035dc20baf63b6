"""The lifecycle rules, one refusal at a time, and the eBL journey end to end."""

import datetime

import pytest

from chaincode.documents.registry import DocumentKind
from chaincode.lifecycle import Refusal, RefusalKind
from chaincode.records import Actor, DocState
from chaincode.transactions import Op, Transaction
from identity.roles import Role
from tests.chaincode.memory_state import ACTORS, T0, MemoryState, doc_id

CO, NEW_CO, EBL, NEW_EBL, PHYTO, NEW_PHYTO = (doc_id(i) for i in range(1, 7))
C1, C2, C3 = "CXRU1523418", "CXRU1608726", "MSKU1234565"
LATER = T0 + datetime.timedelta(days=3)


def refused(state, actor, op, expect=None, text=None, **fields):
    """Run a transaction that must be refused, of the ``expect`` kind, with ``text``."""
    with pytest.raises(Refusal) as info:
        state.run(actor, op, **fields)
    if expect is not None:
        assert info.value.kind is expect, info.value.rule
    if text is not None:
        assert text in info.value.rule
    return info.value


@pytest.fixture
def state():
    s = MemoryState()
    s.run("cn-gacc", Op.ISSUE, doc=CO, kind=DocumentKind.CO, country="CN")
    s.run("cn-gacc", Op.ISSUE, doc=PHYTO, kind=DocumentKind.PHYTO, country="CN")
    s.run(
        "cn-cosco",
        Op.ISSUE,
        doc=EBL,
        kind=DocumentKind.EBL,
        carrier="cn-cosco",
        to="cn-exporter",
        toOrder=True,
        containers=[C1, C2],
    )
    return s


class TestCertificates:
    def test_issue_needs_the_role(self):
        refused(
            MemoryState(),
            "cn-cosco",
            Op.ISSUE,
            RefusalKind.FORBIDDEN,
            "role co_issuer required",
            doc=CO,
            kind=DocumentKind.CO,
            country="CN",
        )

    def test_issue_needs_the_documents_country(self):
        refused(
            MemoryState(),
            "ru-rosselkhoznadzor",
            Op.ISSUE,
            RefusalKind.FORBIDDEN,
            "must be issued by an organisation of CN",
            doc=PHYTO,
            kind=DocumentKind.PHYTO,
            country="CN",
        )

    def test_issue_twice_is_a_conflict(self, state):
        refused(
            state,
            "cn-gacc",
            Op.ISSUE,
            RefusalKind.CONFLICT,
            "already on the ledger",
            doc=CO,
            kind=DocumentKind.CO,
            country="CN",
        )

    def test_amend_supersedes_and_links(self, state):
        effects = state.run(
            "cn-gacc",
            Op.AMEND,
            doc=CO,
            newDoc=NEW_CO,
            kind=DocumentKind.CO,
            country="CN",
            reason="invoice number corrected",
        )
        assert state.documents[CO].state is DocState.AMENDED
        assert state.documents[CO].superseded_by == NEW_CO
        assert state.documents[NEW_CO].supersedes == CO
        assert effects.touched == [CO, NEW_CO]

    def test_amend_needs_a_reason(self, state):
        refused(
            state,
            "cn-gacc",
            Op.AMEND,
            RefusalKind.INVALID,
            "needs a reason",
            doc=CO,
            newDoc=NEW_CO,
            kind=DocumentKind.CO,
            country="CN",
        )

    def test_only_the_issuer_of_record_amends(self, state):
        for other in ("cn-ccpit", "sg-carrier"):  # same country and role, or neither
            refused(
                state,
                other,
                Op.AMEND,
                RefusalKind.FORBIDDEN,
                "only its issuer of record (cn-gacc) amends document",
                doc=CO,
                newDoc=NEW_CO,
                kind=DocumentKind.CO,
                country="CN",
                reason="x",
            )

    def test_the_issuer_of_record_needs_its_role_still(self, state):
        assert Role.CO_ISSUER in ACTORS["cn-gacc"].roles  # issued with it, then withdrawn
        stripped = Actor("cn-gacc", "CN", frozenset({Role.CUSTOMS}))
        tx = Transaction(
            op=Op.AMEND,
            actor="cn-gacc",
            time=LATER,
            doc=CO,
            newDoc=NEW_CO,
            kind=DocumentKind.CO,
            country="CN",
            reason="x",
        )
        with pytest.raises(Refusal, match="role co_issuer required to issue co"):
            state.run_tx(tx, stripped)
        assert state.documents[CO].state is DocState.ISSUED

    def test_revoke_then_anything_is_a_conflict(self, state):
        state.run("cn-gacc", Op.REVOKE, doc=CO, reason="issued in error")
        assert state.documents[CO].state is DocState.REVOKED
        refused(
            state,
            "cn-gacc",
            Op.REVOKE,
            RefusalKind.CONFLICT,
            "already revoked",
            doc=CO,
            reason="again",
        )
        refused(
            state,
            "cn-gacc",
            Op.AMEND,
            RefusalKind.CONFLICT,
            "already revoked",
            doc=CO,
            newDoc=NEW_CO,
            kind=DocumentKind.CO,
            country="CN",
            reason="x",
        )

    def test_revoke_unknown_is_not_found(self, state):
        refused(state, "cn-gacc", Op.REVOKE, RefusalKind.NOT_FOUND, doc=doc_id(99), reason="x")

    def test_replace_is_for_quarantine_certificates(self, state):
        state.run(
            "cn-gacc",
            Op.REPLACE,
            doc=PHYTO,
            newDoc=NEW_PHYTO,
            kind=DocumentKind.PHYTO,
            country="CN",
            reason="consignee corrected",
        )
        assert state.documents[PHYTO].state is DocState.REPLACED
        refused(
            state,
            "cn-gacc",
            Op.REPLACE,
            RefusalKind.INVALID,
            "only a quarantine",
            doc=CO,
            newDoc=NEW_CO,
            kind=DocumentKind.CO,
            country="CN",
            reason="x",
        )


class TestEbl:
    def test_issue_sets_the_holder(self, state):
        ebl = state.documents[EBL]
        assert (ebl.holder, ebl.carrier, ebl.state) == ("cn-exporter", "cn-cosco", DocState.ISSUED)

    def test_only_the_named_carrier_issues(self):
        refused(
            MemoryState(),
            "sg-carrier",
            Op.ISSUE,
            RefusalKind.FORBIDDEN,
            "not the carrier named",
            doc=EBL,
            kind=DocumentKind.EBL,
            carrier="cn-cosco",
            to="cn-exporter",
        )

    def test_the_first_holder_must_be_known(self):
        refused(
            MemoryState(),
            "cn-cosco",
            Op.ISSUE,
            RefusalKind.INVALID,
            "unknown organisation",
            doc=EBL,
            kind=DocumentKind.EBL,
            carrier="cn-cosco",
            to="xx-nobody",
        )

    def test_title_passes_exporter_bank_importer(self, state):
        state.run("cn-exporter", Op.ENDORSE, doc=EBL, to="cn-boc")
        state.run("cn-boc", Op.ENDORSE, doc=EBL, to="sg-importer")
        ebl = state.documents[EBL]
        assert (ebl.holder, ebl.endorsee) == ("sg-importer", "sg-importer")

    def test_non_possessor_cannot_transfer(self, state):
        refused(
            state,
            "cn-boc",
            Op.TRANSFER,
            RefusalKind.CONFLICT,
            "not the current possessor (possessor: cn-exporter",
            doc=EBL,
            to="sg-importer",
        )

    def test_straight_bill_cannot_be_endorsed(self):
        s = MemoryState()
        s.run(
            "cn-cosco",
            Op.ISSUE,
            doc=EBL,
            kind=DocumentKind.EBL,
            carrier="cn-cosco",
            to="cn-exporter",
            toOrder=False,
        )
        refused(
            s, "cn-exporter", Op.ENDORSE, RefusalKind.CONFLICT, "straight", doc=EBL, to="cn-boc"
        )
        s.run("cn-exporter", Op.TRANSFER, doc=EBL, to="cn-boc")
        assert s.documents[EBL].holder == "cn-boc"

    def test_surrender_reject_returns_control(self, state):
        state.run("cn-exporter", Op.SURRENDER, doc=EBL, purpose="delivery")
        assert state.documents[EBL].holder == "cn-cosco"
        refused(
            state, "cn-exporter", Op.TRANSFER, RefusalKind.CONFLICT, "pending", doc=EBL, to="cn-boc"
        )
        refused(
            state, "cn-boc", Op.ACCEPT, RefusalKind.FORBIDDEN, "only the issuing carrier", doc=EBL
        )
        state.run("cn-cosco", Op.REJECT, doc=EBL, reason="endorsement chain incomplete")
        ebl = state.documents[EBL]
        assert (ebl.state, ebl.holder) == (DocState.ISSUED, "cn-exporter")

    def test_delivery_release_delegate_pickup_once(self, state):
        state.run("cn-exporter", Op.ENDORSE, doc=EBL, to="sg-importer")
        state.run("sg-importer", Op.SURRENDER, doc=EBL, purpose="delivery")
        state.run("cn-cosco", Op.ACCEPT, doc=EBL)
        refused(
            state,
            "sg-importer",
            Op.TRANSFER,
            RefusalKind.CONFLICT,
            "already surrendered",
            doc=EBL,
            to="cn-boc",
        )
        refused(
            state,
            "cn-cosco",
            Op.RELEASE,
            RefusalKind.INVALID,
            "not on this eBL",
            doc=EBL,
            containers=[C3],
            to="sg-importer",
            expires=LATER,
        )
        state.run(
            "cn-cosco", Op.RELEASE, doc=EBL, containers=[C1, C2], to="sg-importer", expires=LATER
        )
        refused(
            state,
            "cn-cosco",
            Op.RELEASE,
            RefusalKind.CONFLICT,
            "already released",
            doc=EBL,
            containers=[C1],
            to="sg-importer",
            expires=LATER,
        )
        state.run("sg-importer", Op.DELEGATE, doc=EBL, container=C1, to="sg-haulier")
        refused(
            state,
            "sg-importer",
            Op.DELEGATE,
            RefusalKind.FORBIDDEN,
            "not the holder of the pickup right",
            container=C1,
            to="cn-boc",
        )
        refused(
            state,
            "sg-haulier",
            Op.PICKUP,
            RefusalKind.FORBIDDEN,
            "role terminal required",
            container=C1,
        )
        state.run("sg-psa", Op.PICKUP, container=C1, to="sg-haulier")
        right = state.rights[C1]
        assert (right.picked_up_by, right.delegations) == ("sg-psa", ("sg-importer",))
        refused(state, "sg-psa", Op.PICKUP, RefusalKind.CONFLICT, "already picked up", container=C1)
        refused(
            state,
            "sg-psa",
            Op.PICKUP,
            RefusalKind.FORBIDDEN,
            "does not hold",
            container=C2,
            to="sg-haulier",
        )

    def test_expired_right_is_refused(self, state):
        state.run("cn-exporter", Op.SURRENDER, doc=EBL, purpose="delivery")
        state.run("cn-cosco", Op.ACCEPT, doc=EBL)
        state.run(
            "cn-cosco",
            Op.RELEASE,
            doc=EBL,
            containers=[C1],
            to="sg-haulier",
            expires=T0 + datetime.timedelta(minutes=30),
        )
        refused(
            state,
            "sg-psa",
            Op.PICKUP,
            RefusalKind.CONFLICT,
            "expired",
            container=C1,
            time=T0 + datetime.timedelta(hours=1),
        )

    def test_amendment_voids_the_old_and_returns_control(self, state):
        state.run("cn-exporter", Op.ENDORSE, doc=EBL, to="cn-boc")
        state.run("cn-boc", Op.SURRENDER, doc=EBL, purpose="amendment")
        refused(
            state,
            "cn-cosco",
            Op.AMEND,
            RefusalKind.CONFLICT,
            "only after",
            doc=EBL,
            newDoc=NEW_EBL,
            kind=DocumentKind.EBL,
            reason="vessel changed",
        )
        state.run("cn-cosco", Op.ACCEPT, doc=EBL)
        state.run(
            "cn-cosco",
            Op.AMEND,
            doc=EBL,
            newDoc=NEW_EBL,
            kind=DocumentKind.EBL,
            reason="vessel changed",
            toOrder=True,
            containers=[C1, C2],
        )
        old, new = state.documents[EBL], state.documents[NEW_EBL]
        assert (old.state, old.superseded_by) == (DocState.VOIDED, NEW_EBL)
        assert (new.state, new.holder, new.supersedes) == (DocState.ISSUED, "cn-boc", EBL)

    def test_ebl_is_not_revoked(self, state):
        refused(
            state, "cn-cosco", Op.REVOKE, RefusalKind.INVALID, "not revoked", doc=EBL, reason="x"
        )

    def test_a_transaction_signed_by_another_actor_is_refused(self, state):
        from chaincode.lifecycle import apply
        from chaincode.transactions import Transaction
        from tests.chaincode.memory_state import ACTORS

        tx = Transaction(op=Op.TRANSFER, actor="cn-exporter", time=T0, doc=EBL, to="cn-boc")
        with pytest.raises(Refusal, match="names cn-exporter"):
            apply(tx, ACTORS["cn-boc"], state)


class TestBatch:
    def test_a_batch_issues_each_document_and_refuses_repeats(self):
        s = MemoryState()
        digests = [doc_id(10 + i) for i in range(3)]
        batch = {"doc": doc_id(9), "kind": DocumentKind.CO, "country": "CN"}
        effects = s.run("cn-gacc", Op.ANCHOR_BATCH, digests=digests, **batch)
        assert effects.touched == [doc_id(9)]
        assert s.documents[digests[1]].batch == doc_id(9)
        assert s.documents[digests[1]].state is DocState.ISSUED
        refused(
            s,
            "cn-gacc",
            Op.ANCHOR_BATCH,
            RefusalKind.CONFLICT,
            "already on the ledger",
            digests=[doc_id(20), digests[2]],
            **batch,
        )
        refused(
            s,
            "cn-gacc",
            Op.ANCHOR_BATCH,
            RefusalKind.INVALID,
            "twice",
            digests=[doc_id(21), doc_id(21)],
            **batch,
        )
        refused(
            s,
            "cn-cosco",
            Op.ANCHOR_BATCH,
            RefusalKind.INVALID,
            "never in a batch",
            digests=[doc_id(22)],
            doc=doc_id(9),
            kind=DocumentKind.EBL,
        )
        refused(
            s,
            "cn-cosco",
            Op.ANCHOR_BATCH,
            RefusalKind.FORBIDDEN,
            "role co_issuer",
            digests=[doc_id(23)],
            **batch,
        )
