"""Counter-based deterministic noise: a pure function of (seed, keys), no generator state.

Telemetry is rendered on demand for any past or present instant, so noise must not depend on
the order in which things were asked for. Every value here is splitmix64 of an integer key built
from the episode seed and stable integer ids (never Python's per-process salted hashing).
"""

from __future__ import annotations

import math
import zlib
from functools import lru_cache

_MASK = (1 << 64) - 1


def mix64(x: int) -> int:
    """splitmix64 finalizer: a bijective avalanche mix of a 64-bit integer."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


@lru_cache(maxsize=65536)
def sid(text: str) -> int:
    """A stable 32-bit id for a string (crc32), identical in every process."""
    return zlib.crc32(text.encode())


def bits(seed: int, *keys: int) -> int:
    """64 random bits for the given seed and integer keys."""
    x = seed & _MASK
    for k in keys:
        x = mix64(x ^ (k & _MASK))
    return mix64(x)


def unit(seed: int, *keys: int) -> float:
    """A uniform float in [0, 1)."""
    return (bits(seed, *keys) >> 11) * (1.0 / 9007199254740992.0)


def gauss(seed: int, *keys: int) -> float:
    """A standard normal variate (Box-Muller on two counter-based uniforms)."""
    b = bits(seed, *keys)
    u1 = ((b >> 32) + 1) / 4294967297.0
    u2 = (b & 0xFFFFFFFF) / 4294967296.0
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def choice(seed: int, options: list | tuple, *keys: int):
    """Pick one element deterministically."""
    return options[bits(seed, *keys) % len(options)]


def hexid(seed: int, n: int, *keys: int) -> str:
    """A lowercase hex string of n digits (commit SHAs, trace ids, request ids)."""
    out = ""
    i = 0
    while len(out) < n:
        out += f"{bits(seed, *keys, i):016x}"
        i += 1
    return out[:n]
