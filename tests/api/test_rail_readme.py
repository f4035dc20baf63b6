"""The README's rail journey runs as written on a fresh home (``# exit 1`` lines must fail).
About 20 command-line runs: a minute on an idle machine, much more on a loaded one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.test_readme import ROOT, _block, _script


def test_the_readme_rail_journey_runs(tmp_path):
    script = _script(_block("## The rail corridor"))
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "TMPDIR": str(tmp_path),
    }
    env.pop("TDX_HOME", None)
    result = subprocess.run(
        ["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Alashankou-Dostyk: assessment DIRECT_RELEASE, decision DIRECT_RELEASE" in result.stdout
    assert "seal SL2600046213 -> KZC0001 on SZLU9053180" in result.stdout
    assert "Alashankou-Dostyk: 1 consignment(s), direct release 100.0%" in result.stdout
    [edi] = tmp_path.glob("*/home/events.edi")
    assert edi.read_text().count("CNI+") == 9  # one per event
