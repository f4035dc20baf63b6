"""Kill -9 ``tdx serve`` (the supervisor and both workers at once) while clients issue
documents concurrently over HTTP: every issue that was answered 201 is on the ledger with
its signed document after a restart, and the log verifies. The answers come from the
event loop's awaited group commit (``Node.issue_async``), so this holds that path to
"acknowledged only once durable"."""

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from network import examples
from network.bench.http import wait_ready
from network.node import Node

from .conftest import auth

ROUNDS = 3
CLIENTS = 8
PER_CLIENT = 200  # a bound: the kill comes long before a client sends them all
TDX = str(Path(sys.executable).parent / "tdx")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(home: Path, port: int) -> subprocess.Popen[bytes]:
    # Its own process group: one SIGKILL reaches the supervisor and its workers together.
    return subprocess.Popen(
        [TDX, "serve", "--home", str(home), "--port", str(port), "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _client(
    base: str,
    home,
    tag: str,
    acknowledged: list[tuple[int, str]],
    problems: list[str],
    lock: threading.Lock,
    enough: threading.Event,
    wanted: int,
) -> None:
    document = json.loads(examples.read(examples.CO))
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            for i in range(PER_CLIENT):
                document["certificateNumber"] = f"CRASH-{tag}-{i}"
                try:
                    response = client.post(
                        "/v1/documents",
                        json={"kind": "co", "document": document},
                        headers=auth(home, "cn-gacc"),
                    )
                except httpx.TransportError:
                    return  # the server is gone: what was not answered was not acknowledged
                if response.status_code != 201:
                    problems.append(f"{response.status_code}: {response.text}")
                    return
                body = response.json()
                with lock:
                    acknowledged.append((body["index"], body["documentId"]))
                    if len(acknowledged) >= wanted:
                        enough.set()
    finally:
        enough.set()  # a client that stops early (or ran out) ends the wait too


def test_every_issue_answered_201_survives_sigkill_of_the_server(demo_home):
    rng = random.Random(11)
    acknowledged: list[tuple[int, str]] = []
    for round_ in range(ROUNDS):
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        proc = _serve(demo_home.path, port)
        try:
            wait_ready(base, proc)
            lock, enough, problems = threading.Lock(), threading.Event(), []
            # Kill at a point of progress (not of time): after 1 to 150 more answers.
            wanted = len(acknowledged) + rng.randint(1, 150)
            clients = [
                threading.Thread(
                    target=_client,
                    args=(
                        base,
                        demo_home,
                        f"{round_}-{c}",
                        acknowledged,
                        problems,
                        lock,
                        enough,
                        wanted,
                    ),
                )
                for c in range(CLIENTS)
            ]
            for client in clients:
                client.start()
            assert enough.wait(timeout=240), "no client got an answer"
            assert not problems, problems
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
        for client in clients:
            client.join(timeout=120)
            assert not client.is_alive()

    assert len(acknowledged) >= ROUNDS
    assert len({d for _, d in acknowledged}) == len(acknowledged)
    with Node(demo_home) as node:
        for index, digest in acknowledged:
            assert node.ledger.document(digest) is not None, f"answered {digest} was lost"
            assert node.ledger.history(digest)[0].index == index
            assert node.store.get(digest) is not None, f"{digest} lost its signed document"
        check = node.ledger.verify_log()
        assert check.valid, check.to_json()
        assert check.facts.entries >= len(acknowledged)
