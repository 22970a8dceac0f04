"""Read a streamed response body under a size cap and a deadline, decompressing as it arrives.

httpx would decompress a whole network chunk at once and keep any body in memory: an endless
body or a 1 MB gzip expanding to gigabytes would be allocated before anyone could look at its
size. Here the raw bytes are decompressed at most DECODE_STEP bytes at a time and counted, and
reading stops as soon as the count passes the cap; memory stays within the cap plus one step.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator

import httpx

from .deadline import WATCHDOG
from .errors import BadBody, BodyTooLarge, RequestTimedOut

DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024  # one page of the largest listing is a few MB
DECODE_STEP = 1024 * 1024
ACCEPT_ENCODING = "gzip, deflate"  # what this reader decodes; no brotli/zstd surprises


class _Inflate:
    """zlib/gzip decompression that never yields more than DECODE_STEP bytes per piece."""

    def __init__(self, wbits: int) -> None:
        self._d = zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while not self._d.eof:
            try:
                piece = self._d.decompress(data, DECODE_STEP)
            except zlib.error:
                raise BadBody("undecodable compressed body") from None
            data = self._d.unconsumed_tail
            if not piece and not data:
                return  # needs more input (a piece may still be pending: asked again with b"")
            if piece:
                yield piece


def _decoders(content_encoding: str) -> list[_Inflate]:
    decoders = []
    for coding in reversed([c.strip().lower() for c in content_encoding.split(",") if c.strip()]):
        if coding in ("gzip", "x-gzip"):
            decoders.append(_Inflate(16 + zlib.MAX_WBITS))
        elif coding == "deflate":
            decoders.append(_Inflate(zlib.MAX_WBITS))
        elif coding != "identity":
            raise BadBody(f"unsupported Content-Encoding {coding!r}")
    return decoders


def _decode(chunk: bytes, decoders: list[_Inflate]) -> Iterator[bytes]:
    if not decoders:
        yield chunk
        return
    for piece in decoders[0].feed(chunk):
        yield from _decode(piece, decoders[1:])


def read_body(response: httpx.Response, vendor: str, max_bytes: int, deadline: float) -> bytes:
    """The decoded body; BodyTooLarge past `max_bytes`, RequestTimedOut past `deadline` (monotonic)."""
    if response.is_stream_consumed:  # built in memory (a test's mock): httpx decoded it already
        if len(response.content) > max_bytes:
            raise BodyTooLarge(vendor, _too_large(response, max_bytes))
        return response.content
    decoders = _decoders(response.headers.get("content-encoding", ""))
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    key, alarm = WATCHDOG.arm(deadline, sock)
    out = bytearray()
    try:
        for chunk in response.iter_raw():
            if time.monotonic() > deadline:
                raise RequestTimedOut()
            for piece in _decode(chunk, decoders):
                out += piece
                if len(out) > max_bytes:
                    raise BodyTooLarge(vendor, _too_large(response, max_bytes))
    except (httpx.TransportError, OSError):
        if alarm.fired:
            raise RequestTimedOut() from None
        raise
    finally:
        WATCHDOG.disarm(key)
    if alarm.fired or time.monotonic() > deadline:
        raise RequestTimedOut()
    return bytes(out)


def _too_large(response: httpx.Response, max_bytes: int) -> str:
    return (
        f"response from {response.request.url.path} exceeds the body cap of "
        f"{max_bytes // (1024 * 1024)} MB (decompressed); stopped reading"
    )
