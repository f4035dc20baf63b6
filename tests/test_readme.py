"""The README's tour runs as written, on a fresh home (lines marked `exit 1` must fail)."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _tour() -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## A short tour") :]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def _script(block: str) -> str:
    lines = ["set -euo pipefail"]
    for line in block.splitlines():
        command = line.split("#", 1)[0].strip() if "#" in line else line.strip()
        if not command or command.startswith(". .venv/bin/activate"):
            continue
        if re.search(r"#\s*exit 1", line):
            lines.append(f"if {command}; then echo 'expected to fail: {command}' >&2; exit 1; fi")
        else:
            lines.append(command)
    return "\n".join(lines) + "\n"


def test_the_readme_tour_runs(tmp_path):
    script = _script(_tour())
    assert script.count("\n") > 20
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "TMPDIR": str(tmp_path),
    }
    env.pop("TDX_HOME", None)
    result = subprocess.run(
        ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "PROOF OK" in result.stdout
    assert "ledger OK" in result.stdout
