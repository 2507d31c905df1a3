"""Identifiers that carry no information: a bijective 64-bit mix of a counter, so ids are unique,
deterministic, and say nothing about which generator (legitimate traffic or misuse) made a row."""

from __future__ import annotations

import numpy as np

_LETTERS = np.frombuffer(b"ABCDEFGHJKLMNPRSTUVWXYZ", dtype=np.uint8)


def splitmix64(x: np.ndarray) -> np.ndarray:
    """The SplitMix64 finaliser: a bijection on uint64 with good avalanche."""
    z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def hex_ids(counter: np.ndarray, salt: int, width: int = 16) -> np.ndarray:
    """Hex strings (bytes, dtype S<width>) of the mixed counter. Distinct salts give distinct streams."""
    key = splitmix64(np.array([salt & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64))[0]
    mixed = splitmix64(counter.astype(np.uint64) ^ key)
    # Big-endian bytes, hex-encoded in one C call, then cut into fixed-width ids.
    text = mixed.astype(">u8").tobytes().hex().encode("ascii")
    full = np.frombuffer(text, dtype="S16")
    return full if width == 16 else full.astype(f"S{width}")


def unique_numbers(rng: np.random.Generator, n: int, upper: int) -> np.ndarray:
    """n distinct integers in [0, upper), in random order, without materialising range(upper)."""
    if n > upper:
        raise ValueError(f"cannot draw {n} distinct numbers below {upper}")
    picked = np.unique(rng.integers(0, upper, int(n * 1.1) + 16))
    while len(picked) < n:
        picked = np.unique(np.concatenate([picked, rng.integers(0, upper, n)]))
    return rng.permutation(rng.choice(picked, size=n, replace=False))


def job_seeker_ids(rng: np.random.Generator, n: int) -> list[str]:
    """Identifiers shaped like the operator's: seven digits and a letter."""
    numbers = unique_numbers(rng, n, 10_000_000)
    letters = _LETTERS[rng.integers(0, len(_LETTERS), n)]
    return [f"{num:07d}{chr(c)}" for num, c in zip(numbers.tolist(), letters.tolist(), strict=True)]


def agent_ids(rng: np.random.Generator, n: int) -> list[str]:
    """HR-style identifiers: four letters and four digits."""
    numbers = unique_numbers(rng, n, 23**4 * 10_000)
    out = []
    for num in numbers.tolist():
        letters, digits = divmod(num, 10_000)
        word = ""
        for _ in range(4):
            letters, r = divmod(letters, 23)
            word += chr(_LETTERS[r])
        out.append(f"{word}{digits:04d}")
    return out
