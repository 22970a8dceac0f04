"""A click group whose subcommands are imported only when one runs (or shows its own `--help`).

Importing every command up front made each `syncscope` invocation pay for the loader's imports
(dlt's pipeline machinery, pyarrow, the vendor sources): ~80% of `syncscope alert`'s wall time
(bench/RESULTS.md, case 7). The group's own `--help` lists the commands from `Lazy.summary`, a
copy of each command's first docstring sentence (tests/cli/test_lazy_commands.py keeps them equal).
"""

from __future__ import annotations

import importlib
from typing import NamedTuple

import click


class Lazy(NamedTuple):
    """Where a subcommand lives (`module`, `attribute`) and the line `syncscope --help` shows."""

    module: str
    attribute: str
    summary: str


class LazyGroup(click.Group):
    def __init__(self, *args: object, lazy: dict[str, Lazy], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            where = self.lazy[cmd_name]
            self.add_command(getattr(importlib.import_module(where.module), where.attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click lists commands, from the summaries: listing them must not import them."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            command = self.commands.get(name) or click.Command(name, help=self.lazy[name].summary)
            if not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)
