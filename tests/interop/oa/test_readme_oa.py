"""The README's TradeTrust section runs as written (on the session's anvil)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.test_readme import ROOT, _block, _script


def test_the_readme_tradetrust_section_runs(anvil: str, tmp_path: Path) -> None:
    block = _block("## TradeTrust (OpenAttestation v2)").replace("http://127.0.0.1:8545", anvil)
    script = _script(block)
    assert script.count("\n") > 20
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "TMPDIR": str(tmp_path),
    }
    env.pop("TDX_HOME", None)
    result = subprocess.run(
        ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert '"wrap_issue_per_second"' in result.stdout
