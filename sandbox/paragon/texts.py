"""Ids and error messages of the Paragon world, deterministic per (key, index).

Reasons reuse the shared templates' placeholders (`sandbox.messages.fill`) so each message family
varies its ids, emails and numbers the way real errors do, and one of them carries unicode.
"""

from __future__ import annotations

import numpy as np

from sandbox.hashing import hashes
from sandbox.messages import fill

CREDENTIAL_REASON = "Credential ID [{credential}] is no longer valid or has been deleted."
REASONS = (
    CREDENTIAL_REASON,
    "Request to {integration} failed with status 401: invalid_grant (request id {uuid})",
    "Le jeton d'accès a expiré pour « {email} » ; reconnectez l'intégration {integration}.",
    "Sync aborted after {small} retries: {integration} returned 503 (trace {hex})",
    "Permission denied on {integration} object '{field}' for credential {credential}",
)


def uuid_list(key: int, n: int) -> list[str]:
    """n deterministic uuid4-shaped strings (ids look real to a source that validates them)."""
    h = hashes(key, np.arange(2 * n, dtype=np.int64))
    out = []
    for i in range(n):
        x = f"{int(h[2 * i]):016x}{int(h[2 * i + 1]):016x}"
        out.append(f"{x[:8]}-{x[8:12]}-4{x[13:16]}-{'89ab'[int(x[16], 16) % 4]}{x[17:20]}-{x[20:]}")
    return out


def reason_text(key: int, i: int, integration: str, credential_id: str, u: float) -> str:
    """An ERRORED reason with varying ids; the credential message is the most common one."""
    template = CREDENTIAL_REASON if u < 0.4 else REASONS[1 + int((u - 0.4) / 0.6 * 4) % 4]
    template = template.replace("{integration}", integration).replace("{credential}", credential_id)
    return fill(template, key, i)
