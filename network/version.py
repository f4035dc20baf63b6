"""The version of this tdx installation, as its package metadata states it: one value for
``tdx --version``, ``/openapi.json`` and ``/healthz``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("tdx")
except PackageNotFoundError:  # run from a source tree that was never installed
    VERSION = "0+unknown"

__all__ = ["VERSION"]
