"""Named points where a test may make a node die at once, as a kill -9 would there.

``TDX_FAILPOINT=<name>`` in a node's environment makes the process exit (status 75) the
first time it reaches that point; unset, a failpoint costs one dictionary lookup. They let
the crash tests stop a node at the exact step of a delivery, without sleeping and hoping.
"""

from __future__ import annotations

import os

ENV = "TDX_FAILPOINT"
EXIT_STATUS = 75


def reached(name: str) -> None:
    if os.environ.get(ENV) == name:
        os._exit(EXIT_STATUS)


__all__ = ["ENV", "EXIT_STATUS", "reached"]
