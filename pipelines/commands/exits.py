"""How a command ends on an expected failure: one line on stderr naming the command, one exit code.

Every command turns the same few exceptions (the lock held, the warehouse held, a wrong setting)
into `<command>: <message>` and its documented exit code (README: exit codes); this is the one
place that does it, so no command prints a traceback or a second line for them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import click

ExitCode = int | tuple[int, str]  # the code, or (the code, a word before the message: "failed: ")


@contextmanager
def exits(
    command: str,
    codes: Mapping[type[BaseException] | tuple[type[BaseException], ...], ExitCode],
    text: Callable[[BaseException], str] = str,
) -> Iterator[None]:
    """Each exception named in `codes` (first match wins) as `<command>: <text(exc)>` on stderr and
    its exit code; any other exception passes through."""
    try:
        yield
    except tuple(_flat(codes)) as exc:
        code = next(code for kinds, code in codes.items() if isinstance(exc, kinds))
        code, lead = (code, "") if isinstance(code, int) else code
        click.echo(f"{command}: {lead}{text(exc)}", err=True)
        sys.exit(code)


def _flat(codes: Mapping) -> Iterator[type[BaseException]]:
    for kinds in codes:
        yield from kinds if isinstance(kinds, tuple) else (kinds,)
