"""Hostile ways to send an answer: a dripping body, an endless body, a gzip bomb.

Each acts on the socket, as a hostile server would: `slow_body` sends the real answer one byte
every N seconds; `endless_body` answers 200 and streams JSON for ever (chunked); `gzip_bomb`
sends a `Content-Encoding: gzip` body of about 1 MB per GB it expands to. Each returns when the
client hangs up, so one hostile answer never blocks the sandbox's other connections.
"""

from __future__ import annotations

import asyncio
import threading
import zlib

import h11

CHUNK = b'{"id": "1", "type": "syncs", "attributes": {}}, ' * 1024
_BOMB_BLOCK = 16 * 1024 * 1024
_bombs: dict[float, bytes] = {}
_bombs_lock = threading.Lock()


def bomb(gigabytes: float) -> bytes:
    """A gzip body expanding to `gigabytes` of spaces, built in a fraction of a second.

    After a full flush deflate restarts from a clean state, so each 16 MB block of spaces
    compresses to the same bytes: compress it once and repeat. The trailer's CRC covers two
    blocks only; a client reading to the end would be told the body is corrupt, after it had
    decompressed it all.
    """
    with _bombs_lock:
        if gigabytes not in _bombs:
            blocks = max(2, int(gigabytes * 1024**3 / _BOMB_BLOCK))
            packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
            block = b" " * _BOMB_BLOCK
            first = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
            again = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
            _bombs[gigabytes] = first + again * (blocks - 1) + packer.flush()
        return _bombs[gigabytes]


async def drip(writer: asyncio.StreamWriter, data: bytes, seconds: float) -> None:
    """Write `data` one byte at a time, `seconds` apart, until done or the client leaves."""
    for i in range(len(data)):
        if writer.is_closing():
            return
        writer.write(data[i : i + 1])
        await writer.drain()
        await asyncio.sleep(seconds)


async def endless(conn: h11.Connection, writer: asyncio.StreamWriter, head: h11.Response) -> None:
    """A 200 whose JSON body never ends; returns when the client hangs up."""
    writer.write(conn.send(head) + conn.send(h11.Data(data=b'{"data": [')))
    while not writer.is_closing():
        writer.write(conn.send(h11.Data(data=CHUNK)))
        await writer.drain()
        await asyncio.sleep(0)  # let the sandbox's other connections run
