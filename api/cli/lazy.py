"""Sub-command groups imported only when they run.

Their modules pull in the node, web3, FastAPI and the benchmarks: seconds of imports that
``tdx --help`` (or any other command) must not pay. The root group lists each deferred group
by its name and one-line help; the group's module is imported when the group is invoked
(``tdx ebl ...``, ``tdx ebl --help``). ``tests/api/test_cli_startup.py`` checks that each
line of help here is the module's own.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import typer
from typer.core import TyperGroup


class Deferred(TyperGroup):
    """A placeholder listed in the root's help; invoking it builds the real group."""

    def __init__(self, name: str, module: str, help_text: str) -> None:
        super().__init__(name=name, help=help_text)
        self.module = module

    def load(self) -> Any:
        """The real group: the click command of the module's ``app``, without the shell
        completion options Typer gives a top-level app (the root has none)."""
        # get_group, not get_command: an app of one command (evm) is still a group here.
        group = typer.main.get_group(importlib.import_module(self.module).app)
        group.params = [
            p for p in group.params if p.name not in ("install_completion", "show_completion")
        ]
        return group

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        return self.load().make_context(info_name, args, parent=parent, **extra)


def root_with(groups: Mapping[str, tuple[str, str]]) -> type[TyperGroup]:
    """A root group class that adds ``groups`` (name: (module, help)) as deferred groups."""

    class Root(TyperGroup):
        def list_commands(self, ctx: Any) -> list[str]:
            return [*super().list_commands(ctx), *groups]

        def get_command(self, ctx: Any, cmd_name: str) -> Any:
            if cmd_name in groups:
                return Deferred(cmd_name, *groups[cmd_name])
            return super().get_command(ctx, cmd_name)

    return Root


__all__ = ["Deferred", "root_with"]
