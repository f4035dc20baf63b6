"""Killing a writer process and collecting what it printed before the kill landed."""

import signal
import subprocess


def kill_and_read_rest(proc: subprocess.Popen[str]) -> list[list[str]]:
    """SIGKILL `proc` and return the fields of each complete line it printed since.

    The rest is read through the same file object as the earlier readline() calls:
    communicate(timeout=...) would read the raw pipe, skipping what the text wrapper
    already buffered and starting mid-line. A line cut short was never acknowledged.
    """
    assert proc.stdout is not None
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=60) == -signal.SIGKILL
    if proc.stderr is not None:
        proc.stderr.close()
    with proc.stdout:
        return [line.split() for line in proc.stdout if line.endswith("\n")]
