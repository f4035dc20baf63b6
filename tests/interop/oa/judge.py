"""The official OpenAttestation tools (judge/judge.js, on node) as a function for tests."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve().parent / "judge" / "judge.js"


def judge(request: dict[str, Any]) -> dict[str, Any]:
    """Send one request to the official tools; their answer (see judge.js for the ops)."""
    node = shutil.which("node")
    assert node is not None, "node is needed for the OpenAttestation judge (make tools)"
    done = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer
