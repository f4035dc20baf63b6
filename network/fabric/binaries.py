"""Fabric's own binaries, built from source at one pinned release commit.

``peer``, ``orderer``, ``configtxgen`` and ``osnadmin`` come from
``github.com/hyperledger/fabric`` at the commit of the v3.1.5 release. The module's
``go.mod`` has no ``/v3`` suffix, so ``go install ...@v3.1.5`` is refused; it is installed
by commit hash, which the module proxy turns into a pseudo-version. Where the proxy does
not serve the module, the same commit is built from a local source repository
(``FABRIC_SRC``: a git repository holding the commit), with Fabric's vendored modules.
Either way the version is stamped with ``-ldflags -X .../common/metadata.Version``, and
the binaries land in the git-ignored ``.fabric/bin`` with a stamp naming the commit, so a
second build is a no-op; a copy kept in the user's cache (``~/.cache/tdx/fabric/<commit>``)
serves a fresh clone on the same machine. The three CCaaS builder programs are ours
(``ccaas_builder``), as small shell scripts: they need no build.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULE = "github.com/hyperledger/fabric"
VERSION = "3.1.5"
COMMIT = "86c1172bec37e6590c6b1ae6f847833df48d65fc"  # tag v3.1.5, 2026-06-18
PROGRAMS = ("peer", "orderer", "configtxgen", "osnadmin")
FABRIC_DIR = ROOT / ".fabric"
BIN_DIR = FABRIC_DIR / "bin"
CONFIG_DIR = FABRIC_DIR / "config"  # Fabric's sampleconfig core.yaml and orderer.yaml
SAMPLE_CONFIGS = ("core.yaml", "orderer.yaml")
LDFLAGS = (
    f"-X {MODULE}/common/metadata.Version={VERSION} "
    f"-X {MODULE}/common/metadata.CommitSHA={COMMIT[:7]}"
)


class BuildError(RuntimeError):
    """Fabric could not be built here; the message says what was tried."""


@dataclass(frozen=True)
class Built:
    bin_dir: Path
    how: str  # "present", "go install", or "source"
    seconds: float


def binary(name: str, bin_dir: Path = BIN_DIR) -> Path:
    return bin_dir / name


def present(bin_dir: Path = BIN_DIR) -> bool:
    """All four programs are there, built from the pinned commit."""
    try:
        stamped = (bin_dir / "COMMIT").read_text().strip()
    except FileNotFoundError:
        return False
    return (
        stamped == COMMIT
        and all(os.access(binary(p, bin_dir), os.X_OK) for p in PROGRAMS)
        and all((bin_dir.parent / "config" / c).is_file() for c in SAMPLE_CONFIGS)
    )


def go_available() -> str | None:
    """The ``go`` command's path, or None."""
    return shutil.which("go")


def _run(
    args: list[str], cwd: Path | None, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (fixed program names, no shell)
        args, cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def _go_install(go: str, bin_dir: Path, env: dict[str, str]) -> str | None:
    """``go install`` by commit through the module proxy; None when done, else why not."""
    for program in PROGRAMS:
        result = _run(
            [go, "install", "-trimpath", "-ldflags", LDFLAGS, f"{MODULE}/cmd/{program}@{COMMIT}"],
            None,
            env | {"GOBIN": str(bin_dir)},
        )
        if result.returncode != 0:
            lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
            return " ".join(lines[-2:]) if lines else "failed"
    return None


def _module_source(go: str, env: dict[str, str]) -> Path | None:
    """The pinned module's source in the Go module cache (after a ``go install``)."""
    result = _run([go, "mod", "download", "-json", f"{MODULE}@{COMMIT}"], None, env)
    if result.returncode != 0:
        return None
    directory = json.loads(result.stdout).get("Dir")
    return Path(directory) if directory else None


def _copy_sample_configs(tree: Path, config_dir: Path) -> None:
    """Fabric's own core.yaml and orderer.yaml: the peers and orderers start from them."""
    config_dir.mkdir(parents=True, exist_ok=True)
    for name in SAMPLE_CONFIGS:
        shutil.copyfile(tree / "sampleconfig" / name, config_dir / name)


def _export_source(source: Path, into: Path) -> Path:
    """The pinned commit's tree from ``source`` (a git repository, bare or not)."""
    tree = into / f"fabric-{COMMIT[:12]}"
    if (tree / "go.mod").is_file():
        return tree
    git = shutil.which("git")
    if git is None:
        raise BuildError("git is needed to export Fabric's source from FABRIC_SRC")
    with tempfile.TemporaryDirectory(dir=into) as tmp:
        archive = Path(tmp) / "src.tar"
        result = _run(
            [git, "--git-dir", str(_git_dir(source)), "archive", "-o", str(archive), COMMIT],
            None,
            dict(os.environ),
        )
        if result.returncode != 0:
            raise BuildError(
                f"{source} does not hold Fabric commit {COMMIT}: {result.stderr.strip()}"
            )
        staging = Path(tmp) / "tree"
        with tarfile.open(archive) as tar:
            tar.extractall(staging, filter="data")
        staging.rename(tree)
    return tree


def _git_dir(source: Path) -> Path:
    return source / ".git" if (source / ".git").exists() else source


def _go_build(go: str, tree: Path, bin_dir: Path, env: dict[str, str]) -> None:
    for program in PROGRAMS:
        result = _run(
            [
                go,
                "build",
                "-mod=vendor",
                "-trimpath",
                "-ldflags",
                LDFLAGS,
                "-o",
                str(binary(program, bin_dir)),
                f"./cmd/{program}",
            ],
            tree,
            env,
        )
        if result.returncode != 0:
            raise BuildError(f"go build {program} failed:\n{result.stderr.strip()}")


def build(
    source: Path | None = None,
    bin_dir: Path = BIN_DIR,
    progress: Callable[[str], None] = lambda _: None,
) -> Built:
    """Build the four programs once; a no-op when they are present at the pinned commit."""
    started = time.monotonic()
    if present(bin_dir):
        return Built(bin_dir, "present", 0.0)
    cache = cache_dir()
    if present(cache / "bin"):
        _copy_tree(cache, bin_dir.parent)
        return Built(bin_dir, f"copied from {cache}", time.monotonic() - started)
    go = go_available()
    if go is None:
        raise BuildError("Go is not installed: Fabric's peer and orderer are built with it")
    bin_dir.mkdir(parents=True, exist_ok=True)
    (bin_dir / "COMMIT").unlink(missing_ok=True)
    env = dict(os.environ) | {"CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=false"}
    progress(f"go install {MODULE}/cmd/{{{','.join(PROGRAMS)}}}@{COMMIT[:12]} (v{VERSION})")
    refused = _go_install(go, bin_dir, env)
    how = "go install"
    tree = _module_source(go, env) if refused is None else None
    if refused is not None:
        named = os.environ.get("FABRIC_SRC")
        source = source or (Path(named) if named else None)
        if source is None:
            raise BuildError(
                f"the Go module proxy did not serve {MODULE}@{COMMIT[:12]} ({refused}); "
                "set FABRIC_SRC to a git repository of hyperledger/fabric holding that commit"
            )
        progress(f"the module proxy refused ({refused}); building from {source}")
        src_dir = FABRIC_DIR / "src"
        src_dir.mkdir(parents=True, exist_ok=True)
        tree = _export_source(source, src_dir)
        _go_build(go, tree, bin_dir, env)
        how = "source"
    if tree is None:
        raise BuildError(f"the source of {MODULE}@{COMMIT[:12]} is not in the module cache")
    _copy_sample_configs(tree, bin_dir.parent / "config")
    (bin_dir / "COMMIT").write_text(COMMIT + "\n")
    _copy_tree(bin_dir.parent, cache)
    return Built(bin_dir, how, time.monotonic() - started)


def cache_dir() -> Path:
    """The per-user cache of built binaries, by commit (like Go's own build cache): a fresh
    clone on a machine that built Fabric once copies them instead of building again."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tdx" / "fabric" / COMMIT


def _copy_tree(source: Path, target: Path) -> None:
    """Binaries and configs from one ``.fabric``-shaped folder to another (COMMIT last)."""
    for sub, names in (("config", SAMPLE_CONFIGS), ("bin", PROGRAMS)):
        (target / sub).mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copy2(source / sub / name, target / sub / name)
    shutil.copy2(source / "bin" / "COMMIT", target / "bin" / "COMMIT")


__all__ = [
    "BIN_DIR",
    "COMMIT",
    "CONFIG_DIR",
    "MODULE",
    "PROGRAMS",
    "VERSION",
    "BuildError",
    "Built",
    "binary",
    "build",
    "cache_dir",
    "go_available",
    "present",
]
