"""The README's tour runs as written, on a fresh home (lines marked `exit 1`, `exit 2` fail)."""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _block(heading: str) -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index(heading) :]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _script(block: str) -> str:
    # Whatever happens, stop the server the script started in the background.
    lines = ["set -euo pipefail", "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT"]
    block = block.replace("\\\n", " ")  # join continued lines
    for line in block.splitlines():
        command = line.split("  #", 1)[0].strip() if "  #" in line else line.strip()
        if not command or command.startswith(". .venv/bin/activate"):
            continue
        if re.search(r"#\s*exit [12]\b", line):
            lines.append(f"if {command}; then echo 'expected to fail: {command}' >&2; exit 1; fi")
        else:
            lines.append(command)
    return "\n".join(lines) + "\n"


def run_script(script: str, tmp_path: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run a README script with bash, as a reader would: this interpreter's ``tdx`` first on
    PATH, temporary files under ``tmp_path``, no home or network taken from the caller's
    environment. It must succeed; the tail of its output says why if not."""
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "TMPDIR": str(tmp_path),
    }
    env.pop("TDX_HOME", None)
    env.pop("TDX_NETWORK", None)
    result = subprocess.run(
        ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def test_the_readme_tour_and_api_calls_run(tmp_path):
    # The API section runs on a free port instead of 8000, in the tour's home.
    api = (
        _block("## Serving the API")
        .replace(":8000", f":{_free_port()}")
        .replace("--port 8000", "--port PORT")
    )
    port = re.search(r"127\.0\.0\.1:(\d+)", api).group(1)
    script = _script(_block("## A short tour") + api.replace("--port PORT", f"--port {port}"))
    assert script.count("\n") > 20
    result = run_script(script, tmp_path, timeout=300)
    assert "PROOF OK" in result.stdout
    assert "ledger OK" in result.stdout
    assert '"documentId":"sha256:' in result.stdout  # the phyto issued over HTTP
    assert '"valid":true' in result.stdout  # the CO verified over HTTP
