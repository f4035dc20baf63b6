"""Concurrent issues over HTTP meet in the ledger's group commit (``Node.issue_async``):
a refusal refuses only its own request and changes nothing for it, the others commit,
and a later transaction sees the earlier ones' effects (one document issued twice at
once: exactly one wins)."""

import json
import threading

import httpx

from tests.api.conftest import auth
from tests.conftest import EXAMPLES

SAME = 6
DISTINCT = 6


def test_one_document_issued_at_once_by_many_requests_is_issued_exactly_once(http):
    co = json.loads((EXAMPLES / "co_cn_sg.json").read_text())
    bodies = [{"kind": "co", "document": co}] * SAME
    for i in range(DISTINCT):
        other = json.loads(json.dumps(co))
        other["certificateNumber"] = f"GROUP-{i}"
        bodies.append({"kind": "co", "document": other})
    headers = [auth(http.home, "cn-gacc") for _ in bodies]
    answers: list[httpx.Response | None] = [None] * len(bodies)
    start = threading.Barrier(len(bodies))

    def send(i: int) -> None:
        with httpx.Client(base_url=http.base_url, timeout=60) as client:
            start.wait(timeout=30)
            answers[i] = client.post("/v1/documents", json=bodies[i], headers=headers[i])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    same, distinct = answers[:SAME], answers[SAME:]
    assert all(a is not None for a in answers)
    won = [a for a in same if a.status_code == 201]
    assert len(won) == 1, [a.status_code for a in same]
    for lost in same:
        if lost is not won[0]:
            assert lost.status_code == 409, lost.text
            assert "already on the ledger" in lost.json()["detail"]
    assert all(a.status_code == 201 for a in distinct), [a.text for a in distinct]
    indexes = [a.json()["index"] for a in [*won, *distinct]]
    assert len(set(indexes)) == len(indexes)  # each accepted issue its own entry

    digest = won[0].json()["documentId"]
    status = http.get(f"/v1/documents/{digest}", headers=auth(http.home, "cn-gacc"))
    assert status.status_code == 200
    assert status.json()["historyLength"] == 1  # the refused ones left nothing
    for answer in distinct:
        doc = answer.json()["documentId"]
        signed = http.get(f"/v1/documents/{doc}/signed", headers=auth(http.home, "cn-gacc"))
        assert signed.status_code == 200
