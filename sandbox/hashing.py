"""Counter-based randomness: every value is a pure function of (key, index).

The sandbox must serve identical bytes for the same seed and move identically when the clock
advances. Drawing from a sequential RNG would make run 500's duration depend on how many runs
were generated before it; hashing (key, index) instead gives random access, so a world can be
generated lazily, one sync or one page at a time, in any order.
"""

from __future__ import annotations

import hashlib

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_INV_2_53 = 1.0 / (1 << 53)


def derive(*parts: object) -> int:
    """A 64-bit key from any printable parts (stable across processes, unlike hash())."""
    text = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "little")


def _mix(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def hashes(key: int, idx: np.ndarray | int) -> np.ndarray:
    """uint64 hashes of each index under `key`."""
    arr = np.asarray(idx, dtype=np.int64).astype(np.uint64)
    return _mix(np.uint64(key) ^ _mix(arr))


def uniforms(key: int, idx: np.ndarray | int) -> np.ndarray:
    """Floats in [0, 1), one per index."""
    return (hashes(key, idx) >> np.uint64(11)).astype(np.float64) * _INV_2_53


def uniform(key: int, i: int) -> float:
    return float(uniforms(key, np.array([i]))[0])


def normals(key: int, idx: np.ndarray | int) -> np.ndarray:
    """Standard normal draws (Box-Muller over two hash streams)."""
    u1 = np.maximum(uniforms(key, idx), 1e-12)
    u2 = uniforms(key ^ 0x5DEECE66D, idx)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
