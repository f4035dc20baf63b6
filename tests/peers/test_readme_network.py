"""The README's country-nodes block runs as written, on free ports and in a temporary
folder: the nodes come up, the RU node's answer about a CN CO is VALID after asking the CN
node (UNKNOWN without asking, exit 3), and `tdx network down` stops them."""

import json
import re
from pathlib import Path

from network import launcher
from tests.test_readme import run_script

ROOT = Path(__file__).resolve().parent.parent.parent


def _block() -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Country nodes") :]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def _script(block: str, base: int) -> str:
    block = block.replace("--base-port 8100", f"--base-port {base}")
    for i in range(4):
        block = block.replace(f"127.0.0.1:810{i}", f"127.0.0.1:{base + i}")
    # Whatever happens, the nodes go down (by the PIDs tdx network up recorded).
    lines = ["set -euo pipefail", 'trap \'[ -n "${N:-}" ] && tdx network down --dir "$N"\' EXIT']
    for line in block.replace("\\\n", " ").splitlines():
        command = line.split("  #", 1)[0].strip() if "  #" in line else line.strip()
        if not command or command.startswith("#"):
            continue
        expected = re.search(r"#\s*exit (\d+)", line)
        if expected:
            lines.append(f"set +e; {command}; rc=$?; set -e; [ $rc -eq {expected.group(1)} ]")
        else:
            lines.append(command)
        if command.startswith("curl") and "/v1/verify" in command:
            lines[-1] = f'{command} | tee /dev/stderr > "$N/verify.json"'
    return "\n".join(lines) + "\n"


def test_the_readme_network_block_runs(tmp_path):
    script = _script(_block(), launcher.free_base_port(4))
    result = run_script(script, tmp_path, timeout=600)
    (network,) = [p for p in tmp_path.iterdir() if (p / "network").is_dir()]
    report = json.loads((network / "network" / "verify.json").read_text())
    assert report["verdict"] == "VALID"
    assert any(c["name"] == "issuer-node" and c["status"] == "pass" for c in report["checks"])
    assert "stopped CN" in result.stdout
    assert launcher.read_run(network / "network") is None  # down: run.json is gone
