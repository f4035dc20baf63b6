"""The launcher's refusals and its care with PIDs, without starting a node: unknown or
repeated countries, a port in use, and a recorded PID that is no longer the process it
started (reused by another program) is never signalled."""

import json
import os
import socket

import pytest

from network import launcher


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("CN,FR", "--countries: FR (known: CN, SG, RU, KZ)"),
        ("", "--countries: none given (known: CN, SG, RU, KZ)"),
        ("CN,cn", "--countries: a country is listed twice"),
    ],
    ids=["unknown", "empty", "twice"],
)
def test_countries_are_checked(text, message):
    with pytest.raises(launcher.LauncherError) as refused:
        launcher.parse_countries(text)
    assert str(refused.value) == message


def test_a_port_in_use_is_refused_before_anything_is_created(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(launcher.LauncherError, match=f"port\\(s\\) {port} on 127.0.0.1"):
            launcher.up(["CN"], tmp_path / "net", port)
    assert not (tmp_path / "net" / "homes").exists()
    assert not (tmp_path / "net" / launcher.RUN_FILE).exists()


def test_down_never_signals_a_pid_that_is_not_the_process_it_started(tmp_path):
    net = tmp_path / "net"
    net.mkdir()
    # This test's own process stands for a PID reused since: alive, but not a tdx serve of
    # that home.
    record = {
        "format": launcher.RUN_FORMAT,
        "ledger": "embedded",
        "startedAt": "2026-12-03T00:00:00+00:00",
        "processes": [
            {
                "name": "CN",
                "pid": os.getpid(),
                "url": "http://127.0.0.1:1",
                "home": str(net / "homes" / "CN"),
                "log": str(net / "logs" / "CN.log"),
            }
        ],
    }
    (net / launcher.RUN_FILE).write_text(json.dumps(record))
    assert launcher.down(net) == []  # nothing stopped: still alive to assert this
    assert not (net / launcher.RUN_FILE).exists()


def test_free_base_port_gives_a_free_run():
    base = launcher.free_base_port(4)
    for port in range(base, base + 4):
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
