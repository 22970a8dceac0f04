"""What a vendor call can fail with: one line for humans, never a header or a credential."""

from __future__ import annotations

import httpx


class VendorError(Exception):
    """A vendor call failed in a way retrying cannot mend; the message is one line for humans."""

    def __init__(self, vendor: str, message: str) -> None:
        super().__init__(f"{vendor}: {message}")
        self.vendor = vendor


class AuthError(VendorError):
    """401/403: the credentials are wrong, expired or lack access."""


class NotFound(VendorError):
    """404 for something that was named explicitly (a configured sync, a run)."""


class ConfigError(VendorError):
    """A setting has a value the source cannot use."""


class BadRequest(VendorError):
    """400: the vendor refused the request's form; `body` lets a source name the setting behind it."""

    def __init__(self, vendor: str, message: str, body: str) -> None:
        super().__init__(vendor, message)
        self.body = body


class ForeignOrigin(VendorError):
    """A request, redirect or page link leads off the configured origin: refused before sending,
    so no credential (header or login body) ever reaches another host."""


class DeadlineExceeded(VendorError):
    """The run's deadline (`syncscope run --timeout`) has passed: nothing more is asked."""


class BodyTooLarge(VendorError):
    """A response body (decompressed) grew past the cap: endless or a decompression bomb."""


class RetryableStatus(Exception):
    """A status worth asking again (5xx, 429); carries the response for its status and headers."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


class RequestTimedOut(Exception):
    """No complete answer within the per-request deadline (a body may drip for ever): retryable."""


class BadBody(Exception):
    """A body that cannot be decoded (broken gzip): retryable, like a truncated one."""
