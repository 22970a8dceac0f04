"""The one line a failed vendor load prints: the real error, and where it happened.

dlt wraps what a source raises (PipelineStepFailed -> ResourceExtractionError -> the error),
and an error raised inside a generator often carries, as its context, the StopIteration of an
iterator that had just ended: following the chain blindly printed "ai_squared: StopIteration:".
The line is

    <vendor>: [sync <id>[ run <id>]: ][<table>[ (<step>)]: ]<message> (<ExceptionType>)

- sync and run: what the source tagged the error with (`sources/where.py`);
- table: the resource being extracted, or, for a normalize or load failure, the table of the
  failing job with the step named; left out when the message already starts with it (the
  sources' own messages say `sync_runs.duration: ...`);
- message: the error's first line; the type in brackets tells an operator which layer spoke.
A vendor's HTTP and settings errors (VendorError) already name the vendor and the URL: they are
printed as they are.
"""

from __future__ import annotations

from dlt.pipeline.exceptions import PipelineStepFailed

from sources.http import VendorError
from sources.where import describe, where_of

_NOISE = (StopIteration, StopAsyncIteration, GeneratorExit)


def chain_of(exc: BaseException) -> list[BaseException]:
    """`exc` and what caused it, outermost first (explicit causes before implicit contexts)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def root_cause(exc: BaseException) -> BaseException:
    """The error an operator needs: a VendorError anywhere in the chain, else the innermost
    error that is not an iterator's end ("StopIteration:" tells nobody anything)."""
    chain = chain_of(exc)
    telling = [e for e in chain if not isinstance(e, _NOISE)]
    return next((e for e in chain if isinstance(e, VendorError)), (telling or chain)[-1])


def failure_line(vendor: str, exc: BaseException) -> str:
    """One line naming the vendor, where (sync, run, table) and the real error."""
    cause = root_cause(exc)
    if isinstance(cause, VendorError):
        return str(cause).splitlines()[0] if str(cause) else f"{vendor}: {type(cause).__name__}"
    chain = chain_of(exc)
    message = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    parts = [vendor]
    ids = _ids(chain)
    if ids:
        parts.append(describe(ids))
    table = _table(chain)
    if table and not _names(message, table.split(" ")[0]):
        parts.append(table)
    kind = type(cause).__name__
    parts.append(f"{message} ({kind})" if message else kind)
    return ": ".join(parts)


def _ids(chain: list[BaseException]) -> dict[str, object]:
    """Sync and run the sources tagged (innermost first), sync before run."""
    found: dict[str, object] = {}
    for exc in reversed(chain):
        for name, value in where_of(exc).items():
            found.setdefault(name, value)
    order = {"sync": 0, "run": 1}
    return dict(sorted(found.items(), key=lambda item: order.get(item[0], 2)))


def _table(chain: list[BaseException]) -> str | None:
    """The resource being extracted, or `<table> (<step>)` for a failed normalize or load job."""
    step = next((e.step for e in chain if isinstance(e, PipelineStepFailed)), None)
    for exc in chain:
        job_id = getattr(exc, "job_id", None)
        if isinstance(job_id, str) and job_id:
            table = job_id.split(".")[0]
            return f"{table} ({step})" if step else table
        pipe = getattr(exc, "pipe_name", None)
        if isinstance(pipe, str) and pipe:
            return pipe
    return None


def _names(message: str, table: str) -> bool:
    """Whether the message already starts with the table (`sync_runs.duration: ...`)."""
    return message == table or message.startswith((f"{table}.", f"{table}:", f"{table} "))
