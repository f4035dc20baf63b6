"""The Ledger page shows its witnesses' cosignatures on the checkpoint: two real nodes on
loopback, CN's checkpoint cosigned by RU (C2SP tlog-witness), each cosignature verified with
the witness's key; before any round none is shown as cosigned, and while a newer checkpoint
waits for its witnesses the page shows the latest one they cosigned."""

import base64
import re
import sqlite3

import httpx

from api.http.pages import i18n
from chaincode.documents.registry import DocumentKind
from chaincode.transactions import Op
from network.witness import Witnessing, witness_key_of
from network.witness.store import FILE
from tests.network.witness.conftest import _home_templates, homes, running  # noqa: F401

CO = {"kind": DocumentKind.CO, "country": "CN"}


def commit(node, n: int) -> None:
    node.submit("cn-gacc", Op.ISSUE, doc=f"sha256:{n:064x}", **CO)


def publish(me) -> None:
    runner = Witnessing(me.home, me.node.provable, me.node.clock)
    try:
        outcomes = [s.outcome for s in runner.run_once(gossiping=False).submissions]
    finally:
        runner.stop()
    assert outcomes == ["cosigned"]


def witnesses(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-witness="([^"]+)" data-cosigned="(yes|no)"', page))


def test_the_ledger_page_shows_the_witness_cosignatures_verified(homes):  # noqa: F811
    with running(homes, ("CN", "RU")) as nodes:
        cn = nodes["CN"]
        commit(cn.node, 0)
        commit(cn.node, 1)
        before = httpx.get(cn.url + "/ledger").text
        assert witnesses(before) == {"RU": "no"}
        assert "Not cosigned" in before

        publish(cn)
        page = httpx.get(cn.url + "/ledger")
        assert page.status_code == 200
        assert witnesses(page.text) == {"RU": "yes"}
        assert witness_key_of(homes["RU"]) in page.text
        name = witness_key_of(homes["RU"]).split("+", 1)[0]
        assert f"Ed25519 cosignature by {name}+" in page.text
        assert "data-earlier-size" not in page.text
        # The note shown carries the log's signature and the witness's: two lines.
        assert "Signatures (2)" in page.text

        # A newer checkpoint waits for its witness: the page says which one RU cosigned.
        commit(cn.node, 2)
        later = httpx.get(cn.url + "/ledger").text
        assert 'data-earlier-size="2"' in later
        assert witnesses(later) == {"RU": "yes"}
        assert "Signatures (1)" in later

        # A stored cosignature whose signature no longer verifies is never shown as cosigned.
        with sqlite3.connect(cn.home.path / FILE) as db:
            (line,) = db.execute("SELECT line FROM cosignatures").fetchone()
            head, _, blob = line.rpartition(" ")
            raw = bytearray(base64.b64decode(blob))
            raw[-1] ^= 1
            forged = f"{head} {base64.b64encode(bytes(raw)).decode()}"
            db.execute("UPDATE cosignatures SET line = ?", (forged,))
        forged_page = httpx.get(cn.url + "/ledger").text
        assert witnesses(forged_page) == {"RU": "no"}
        assert "the signature does not verify" in forged_page

        # A stored line that is no signature line (a damaged witness.db) is not served: the
        # API and the page show the log's checkpoint, and RU as not cosigned.
        with sqlite3.connect(cn.home.path / FILE) as db:
            db.execute("UPDATE cosignatures SET line = ?", ("not a signature line",))
        unreadable = httpx.get(cn.url + "/ledger")
        assert unreadable.status_code == 200
        assert witnesses(unreadable.text) == {"RU": "no"}
        served = httpx.get(cn.url + "/v1/checkpoints/latest")
        assert served.status_code == 200, served.text
        assert served.json()["witnesses"] == []
        assert "not a signature line" not in served.json()["checkpoint"]
        with sqlite3.connect(cn.home.path / FILE) as db:
            db.execute("UPDATE cosignatures SET line = ?", (forged,))

        # In Chinese and Russian as well.
        for lang in ("zh", "ru"):
            word = i18n.Catalogs()[lang]("ledger.not_cosigned")
            assert word != "Not cosigned"
            text = httpx.get(cn.url + "/ledger", cookies={"tdx_lang": lang}).text
            assert word in text, lang
