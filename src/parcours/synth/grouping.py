"""Rows grouped by an integer key (CSR layout): 'the rows of key k' and 'a random row of key k'
in O(1), where a boolean mask over millions of rows per key would be quadratic."""

from __future__ import annotations

import numpy as np


class GroupIndex:
    def __init__(self, keys: np.ndarray, n_keys: int | None = None) -> None:
        keys = np.asarray(keys, dtype=np.int64)
        valid = keys >= 0
        size = int(n_keys if n_keys is not None else (keys.max() + 1 if valid.any() else 0))
        rows = np.flatnonzero(valid)
        self.order = rows[np.argsort(keys[rows], kind="stable")]
        self.count = np.bincount(keys[rows], minlength=size).astype(np.int64)
        self.offset = np.concatenate([[0], np.cumsum(self.count)]).astype(np.int64)

    def rows_of(self, key: int) -> np.ndarray:
        if key < 0 or key >= len(self.count):
            return self.order[:0]
        start = int(self.offset[key])
        return self.order[start : start + int(self.count[key])]

    def rows_in_range(self, lo: int, hi: int) -> np.ndarray:
        """Rows whose key lies in [lo, hi), grouped by key."""
        lo, hi = max(lo, 0), min(hi, len(self.count))
        if hi <= lo:
            return self.order[:0]
        return self.order[int(self.offset[lo]) : int(self.offset[hi])]

    def pick(self, rng: np.random.Generator, key: np.ndarray) -> np.ndarray:
        """A random row per key; -1 where the key has no rows."""
        key = np.asarray(key, dtype=np.int64)
        inside = (key >= 0) & (key < len(self.count))
        safe = np.where(inside, key, 0)
        cnt = np.where(inside, self.count[safe], 0)
        idx = self.offset[safe] + (rng.random(len(key)) * cnt).astype(np.int64)
        if len(self.order) == 0:
            return np.full(len(key), -1, dtype=np.int64)
        picked: np.ndarray = np.where(cnt > 0, self.order[np.minimum(idx, len(self.order) - 1)], -1)
        return picked
