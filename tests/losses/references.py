"""Plain-loop numpy references, written from the papers' formulas (float64).

They share no code with the library: each loops over rows and label pairs exactly as the
formula reads (`../shared/papers/README.md`, Losses).
"""

import math

import numpy as np


def split(y_row):
    positives = [j for j, t in enumerate(y_row) if t > 0.5]
    negatives = [j for j, t in enumerate(y_row) if 0.0 <= t <= 0.5]
    return positives, negatives


def harmonic(r):
    return sum(1.0 / j for j in range(1, r + 1))


def logsumexp(values):
    values = list(values)
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


def _rows(y, f, row_fn):
    y = np.asarray(y, dtype="float64")
    f = np.asarray(f, dtype="float64")
    out = np.zeros(y.shape[:-1])
    for idx in np.ndindex(y.shape[:-1]):
        positives, negatives = split(y[idx])
        if positives and negatives:
            out[idx] = row_fn(f[idx], positives, negatives)
    return out


def softmax(y, f):
    def row(f, positives, negatives):
        known = positives + negatives
        lse = logsumexp(f[j] for j in known)
        q = 1.0 / len(positives)
        return -sum(q * (f[j] - lse) for j in positives)

    return _rows(y, f, row)


def pairwise(y, f, margin=1.0):
    def row(f, positives, negatives):
        return sum(max(0.0, margin - f[u] + f[v]) for u in positives for v in negatives)

    return _rows(y, f, row)


def warp_exact(y, f, margin=1.0):
    def row(f, positives, negatives):
        total = 0.0
        for u in positives:
            hinges = [margin - f[u] + f[v] for v in negatives if margin - f[u] + f[v] > 0]
            if hinges:
                r = len(hinges)
                total += harmonic(r) / r * sum(hinges)
        return total

    return _rows(y, f, row)


def lsep(y, f):
    def row(f, positives, negatives):
        return logsumexp([0.0] + [f[v] - f[u] for u in positives for v in negatives])

    return _rows(y, f, row)


def bpmll(y, f):
    def row(f, positives, negatives):
        pairs = [(u, v) for u in positives for v in negatives]
        return sum(math.exp(f[v] - f[u]) for u, v in pairs) / len(pairs)

    return _rows(y, f, row)


def first_violator_pmf(num_negatives, num_violators):
    """P(s = k), k = 1..N-r+1: draws without replacement until the first violator."""
    n, r = num_negatives, num_violators
    return {k: math.comb(n - k, r - 1) / math.comb(n, r) for k in range(1, n - r + 2)}
