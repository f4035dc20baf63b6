"""Starting and stopping the network's processes, and the PIDs that say which are ours.

Each process is recorded in ``<network>/pids.json`` with its PID, its program and the time
it started. Stopping signals exactly those PIDs, and only while ``/proc/<pid>/cmdline``
still names the program recorded (a PID the system gave to someone else is left alone).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PIDS_FILE = "pids.json"
STOP_WAIT = 10.0
# Children started by this Python process, kept so that they are reaped (waited for) when
# stopped, not left as zombies or warned about as still running when garbage-collected.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class ProcessError(RuntimeError):
    """A process that did not start, or did not become ready in time."""


@dataclass(frozen=True)
class Recorded:
    name: str
    pid: int
    program: str
    log: str


def _pids_path(folder: Path) -> Path:
    return folder / PIDS_FILE


def recorded(folder: Path) -> dict[str, Recorded]:
    try:
        data = json.loads(_pids_path(folder).read_text())
    except FileNotFoundError:
        return {}
    return {name: Recorded(name, **item) for name, item in data.items()}


def _save(folder: Path, entries: dict[str, Recorded]) -> None:
    path = _pids_path(folder)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(
        json.dumps(
            {n: {"pid": r.pid, "program": r.program, "log": r.log} for n, r in entries.items()},
            indent=2,
        )
        + "\n"
    )
    tmp.replace(path)


def alive(entry: Recorded) -> bool:
    """The PID runs and is still the program we started (not a recycled PID)."""
    try:
        cmdline = Path(f"/proc/{entry.pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    if not cmdline:
        return False  # a zombie: exited, not yet reaped
    try:
        state = Path(f"/proc/{entry.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z" and entry.program.encode() in cmdline


def start(
    folder: Path,
    name: str,
    args: list[str],
    env: dict[str, str],
    log_dir: Path,
    program: str | None = None,
) -> Recorded:
    """Start ``args`` in its own session (so a terminal's signals do not reach it), its
    output to ``<log_dir>/<name>.log``, and record its PID. ``program`` is the part of
    its command line that identifies it later (the executable, by default)."""
    entries = recorded(folder)
    current = entries.get(name)
    if current is not None and alive(current):
        return current
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(  # noqa: S603 (our own programs, no shell)
            args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    _CHILDREN[proc.pid] = proc
    entry = Recorded(name, proc.pid, program or args[0], str(log))
    entries = recorded(folder)
    entries[name] = entry
    _save(folder, entries)
    return entry


def stop(folder: Path, names: list[str] | None = None, kill: bool = False) -> list[str]:
    """SIGTERM (or SIGKILL) to the recorded PIDs, then wait for them; the names stopped."""
    entries = recorded(folder)
    chosen = [entries[n] for n in (names if names is not None else list(entries)) if n in entries]
    stopped = []
    for entry in chosen:
        if alive(entry):
            os.kill(entry.pid, signal.SIGKILL if kill else signal.SIGTERM)
            stopped.append(entry.name)
    deadline = time.monotonic() + STOP_WAIT
    for entry in chosen:
        while alive(entry) and time.monotonic() < deadline:
            _reap(entry.pid)
            time.sleep(0.05)
        if alive(entry):
            os.kill(entry.pid, signal.SIGKILL)
        child = _CHILDREN.pop(entry.pid, None)
        if child is not None:
            child.wait(timeout=STOP_WAIT)
    remaining = {n: e for n, e in recorded(folder).items() if n not in {c.name for c in chosen}}
    _save(folder, remaining)
    return stopped


def _reap(pid: int) -> None:
    """Collect a child of this process that exited (it would linger as a zombie)."""
    child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is not None:
            del _CHILDREN[pid]
        return
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def wait_until(
    ready: Callable[[], bool], entry: Recorded, what: str, timeout: float = 60.0
) -> float:
    """Poll ``ready`` until it holds; fail early if the process died. The seconds taken."""
    started = time.monotonic()
    delay = 0.05
    while time.monotonic() - started < timeout:
        if ready():
            return time.monotonic() - started
        if not alive(entry):
            tail = Path(entry.log).read_text(errors="replace")[-2000:]
            raise ProcessError(f"{what} exited before it was ready; its log ends:\n{tail}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)
    raise ProcessError(f"{what} was not ready after {timeout:.0f} s; see {entry.log}")


__all__ = ["ProcessError", "Recorded", "alive", "recorded", "start", "stop", "wait_until"]
