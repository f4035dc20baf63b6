"""A fresh clone holds everything tdx and its tests need: nothing beside the repository is read.

The repository is cloned into an empty folder and its tests are collected there with this
interpreter and only the clone on PYTHONPATH. A test module that reads a file outside the
repository fails to import, or (if it skips on a missing file) collects fewer tests.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs git and a checkout"
)


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{args}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def _collected(cwd: Path, env: dict[str, str]) -> int:
    out = _run([sys.executable, "-m", "pytest", "--collect-only", "-q"], cwd, env)
    counts = re.findall(r"^\S+\.py: (\d+)$", out, re.M)  # -q twice (with addopts): per file
    if counts:
        return sum(int(c) for c in counts)
    return int(re.search(r"(\d+) tests? collected", out).group(1))


def test_a_fresh_clone_collects_every_test(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    clone = empty / "tdx"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "TDX_"))}
    # --no-local: copy objects as a remote clone would, never hard-link the original's.
    _run(["git", "clone", "--quiet", "--no-local", str(ROOT), str(clone)], empty, env)

    clone_env = {**env, "PYTHONPATH": str(clone)}
    where = _run(
        [sys.executable, "-c", "import chaincode, interop.dcsa; print(chaincode.__file__)"],
        clone,
        clone_env,
    )
    assert Path(where.strip()).is_relative_to(clone), "the clone's packages must be the ones used"

    in_clone = _collected(clone, clone_env)
    in_tree = _collected(ROOT, env)
    assert in_clone == in_tree, (
        f"{in_clone} tests collected in a fresh clone, {in_tree} here "
        "(a file outside the repository, or an uncommitted test?)"
    )
    assert in_clone > 500
