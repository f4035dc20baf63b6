"""The README's TradeTrust section runs as written (on the session's anvil)."""

from __future__ import annotations

from pathlib import Path

from tests.test_readme import _block, _script, run_script


def test_the_readme_tradetrust_section_runs(anvil: str, tmp_path: Path) -> None:
    block = _block("## TradeTrust (OpenAttestation v2)").replace("http://127.0.0.1:8545", anvil)
    script = _script(block)
    assert script.count("\n") > 20
    result = run_script(script, tmp_path, timeout=600)
    assert '"wrap_issue_per_second"' in result.stdout
