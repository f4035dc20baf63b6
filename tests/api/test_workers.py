"""tdx serve --workers 2: connections are dealt evenly to the workers, SIGTERM stops every
worker, a dead worker is replaced, one that cannot start stops the node, and a port
already in use is one clear line."""

import contextlib
import gc
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from api.http import workers
from network.config import NodeConfig
from network.evm.anvil import free_port

TDX = str(Path(sys.executable).parent / "tdx")


def _wait_ready(base, proc, attempts=600):
    for _ in range(attempts):  # bounded: about a minute
        assert proc.poll() is None, proc.stderr.read()
        try:
            if httpx.get(f"{base}/readyz", timeout=0.1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=0.1)  # the pause between attempts, cut short if it exits
    pytest.fail("tdx serve did not become ready")


def _workers(parent):
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == parent and b"multiprocessing.spawn" in cmdline:
            out.append(int(stat.parent.name))
    return out


def _established(pid, port):
    """Established TCP connections to ``port`` held by process ``pid``."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().name
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        if int(parts[1].split(":")[1], 16) == port and parts[3] == "01" and parts[9] in inodes:
            count += 1
    return count


def test_connections_are_dealt_evenly_and_sigterm_stops_every_worker(demo_home):
    port = free_port()
    command = [TDX, "serve", "--home", str(demo_home.path), "--port", str(port), "--workers", "2"]
    with subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    ) as proc:
        try:
            _wait_ready(f"http://127.0.0.1:{port}", proc)
            connections = [
                http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(8)
            ]
            for c in connections:  # opened one after another, kept alive
                c.request("GET", "/healthz")
                assert json.loads(c.getresponse().read())["status"] == "ok"
            workers = _workers(proc.pid)
            assert len(workers) == 2
            assert sorted(_established(pid, port) for pid in workers) == [4, 4]
            for c in connections:
                c.close()
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        assert proc.returncode == 0, proc.stderr.read()
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]


def test_a_port_in_use_is_one_clear_line(demo_home):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [TDX, "serve", "--home", str(demo_home.path), "--port", str(port), "--workers", "2"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"tdx: error: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]


def _serve_in_python(home, port, startup_grace):
    """The supervisor itself, with a chosen start-up grace (tdx serve uses 10 s)."""
    code = (
        "import sys; from pathlib import Path\n"
        "from api.http.workers import serve, ServeError\n"
        "from network.config import NodeConfig\n"
        f"config = NodeConfig(Path({str(home)!r}))\n"
        f"try: serve(config, '127.0.0.1', {port}, 2, startup_grace={startup_grace})\n"
        "except ServeError as exc: sys.exit(str(exc))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TDX_HOME"}  # the home is an argument
    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )


def test_a_worker_that_dies_is_replaced(demo_home):
    port = free_port()
    with _serve_in_python(demo_home.path, port, startup_grace=0) as proc:
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_ready(base, proc)
            first = _workers(proc.pid)
            assert len(first) == 2
            os.kill(first[0], signal.SIGKILL)
            for _ in range(600):  # bounded: about a minute
                now = _workers(proc.pid)
                if len(now) == 2 and first[0] not in now:
                    break
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=0.1)
            assert first[0] not in now
            assert len(now) == 2
            _wait_ready(base, proc)
            for _ in range(4):  # both workers answer, the new one included
                assert httpx.get(f"{base}/healthz", timeout=30).status_code == 200
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        assert "died" in proc.stderr.read()


def test_workers_that_cannot_start_stop_the_node(tmp_path):
    with _serve_in_python(tmp_path / "no-such-home", free_port(), startup_grace=60) as proc:
        proc.wait(timeout=120)
        assert proc.returncode == 1
        assert "a worker failed to start" in proc.stderr.read()


def test_a_worker_freezes_start_up_and_collects_young_objects_less_often(demo_home):
    """In a worker, what start-up built is out of the collector's sight and a young
    collection waits for many more new objects than Python's 700 (a request in flight is
    hundreds of them)."""
    before = gc.get_threshold()
    try:
        with workers._node_app(NodeConfig(demo_home.path), "WARNING"):
            assert gc.get_threshold()[0] == workers.YOUNG_COLLECTION_AT >= 10_000
            assert gc.get_threshold()[1:] == before[1:]
            assert gc.get_freeze_count() > 0
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
