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


def hinge_rank(y, f, margin=1.0):
    """The transformation paper's eq. 3 with every negative (``num_negatives=None``)."""

    def row(f, positives, negatives):
        mean = sum(f[u] for u in positives) / len(positives)
        return sum(max(0.0, margin - mean + f[v]) for v in negatives)

    return _rows(y, f, row)


def triplet(y, f, margin=1.0):
    """He et al.'s eq. 3: the hinge averaged over (image, relevant, irrelevant) triplets."""

    def row(f, positives, negatives):
        hinges = [max(0.0, margin - f[u] + f[v]) for u in positives for v in negatives]
        return sum(hinges) / len(hinges)

    return _rows(y, f, row)


def _pointwise(y, f, cell):
    """Per sample, over the known labels: ``cell(truth, score)`` summed, and their count."""
    y = np.asarray(y, dtype="float64")
    f = np.asarray(f, dtype="float64")
    total, count = np.zeros(y.shape[:-1]), np.zeros(y.shape[:-1])
    for idx in np.ndindex(y.shape[:-1]):
        positives, negatives = split(y[idx])
        for j in positives + negatives:
            total[idx] += cell(j in positives, f[idx][j])
            count[idx] += 1
    return total, count


def threshold_estimation(y, f):
    """Li's threshold loss: BCE of ``y`` against ``sigmoid(f - theta)``, mean over known."""

    def cell(true, z):  # -log sigmoid(z) or -log(1 - sigmoid(z)), written stably
        z = z if true else -z
        return math.log1p(math.exp(-z)) if z > 0 else -z + math.log1p(math.exp(z))

    total, count = _pointwise(y, f, cell)
    return total / np.maximum(count, 1)


def one_vs_all_hinge(y, f, margin=1.0):
    """Gong's SVM baseline: ``sum_l max(0, margin - t_l f_l)`` over the known labels."""
    total, _ = _pointwise(y, f, lambda true, s: max(0.0, margin - (1 if true else -1) * s))
    return total


def label_count(y, logits):
    """Li's label-count loss from logits: ``-log softmax(logits)[min(max(|P|, 1), n) - 1]``."""
    y = np.asarray(y, dtype="float64")
    logits = np.asarray(logits, dtype="float64")
    out = np.zeros(y.shape[:-1])
    for idx in np.ndindex(y.shape[:-1]):
        count = sum(1 for t in y[idx] if t > 0.5)
        target = min(max(count, 1), logits.shape[-1]) - 1
        out[idx] = logsumexp(logits[idx]) - logits[idx][target]
    return out


def _log_sigmoid(x):
    """log(1 / (1 + e^-x)), written so that exp never overflows."""
    return -(max(-x, 0.0) + math.log1p(math.exp(-abs(x))))


def asymmetric(y, f, gamma_pos=0.0, gamma_neg=4.0, clip=0.05):
    """Ridnik et al. 2021, eqs. 4-6: pointwise, every known label of every row counts."""
    y = np.asarray(y, dtype="float64")
    f = np.asarray(f, dtype="float64")
    out = np.zeros(y.shape[:-1])
    for idx in np.ndindex(y.shape[:-1]):
        total = 0.0
        for t, x in zip(y[idx], f[idx], strict=True):
            p = 1.0 / (1.0 + math.exp(-x)) if x > -700 else 0.0
            if t > 0.5:  # L+ = (1 - p)^g+ log p, with 1 - p = sigmoid(-x)
                total -= math.exp(gamma_pos * _log_sigmoid(-x)) * _log_sigmoid(x)
            elif t >= 0.0:  # L- = p_m^g- log(1 - p_m), p_m = max(p - m, 0)
                p_m = max(p - clip, 0.0)
                if clip == 0.0:
                    total -= math.exp(gamma_neg * _log_sigmoid(x)) * _log_sigmoid(-x)
                elif p_m > 0.0:
                    total -= p_m**gamma_neg * math.log(1.0 - p + clip)
        out[idx] = total
    return out


def zlpr(y, f):
    """Su et al.: log(1 + sum_N e^f) + log(1 + sum_P e^-f), every row."""
    y = np.asarray(y, dtype="float64")
    f = np.asarray(f, dtype="float64")
    out = np.zeros(y.shape[:-1])
    for idx in np.ndindex(y.shape[:-1]):
        positives, negatives = split(y[idx])
        out[idx] = logsumexp([0.0] + [f[idx][v] for v in negatives]) + logsumexp(
            [0.0] + [-f[idx][u] for u in positives]
        )
    return out


def two_way(y, f, temperature_pos=4.0, temperature_neg=1.0):
    """Kobayashi 2023, eqs. 6-8, with the library's per-row split: row i gets its
    sample-wise term (0 without a positive or a negative) plus the mean of the label-wise
    terms over the labels with a positive in the batch (0 for one without a negative)."""
    y = np.asarray(y, dtype="float64").reshape(-1, np.shape(y)[-1])
    f = np.asarray(f, dtype="float64").reshape(-1, np.shape(f)[-1])

    def term(labels, scores):
        positives, negatives = split(labels)
        if not (positives and negatives):
            return 0.0
        z = temperature_neg * logsumexp(scores[v] / temperature_neg for v in negatives)
        z += temperature_pos * logsumexp(-scores[u] / temperature_pos for u in positives)
        return max(z, 0.0) + math.log1p(math.exp(-abs(z)))  # softplus

    label_terms = [term(y[:, j], f[:, j]) for j in range(y.shape[1]) if (y[:, j] > 0.5).any()]
    label_mean = sum(label_terms) / len(label_terms) if label_terms else 0.0
    return np.array([term(y[i], f[i]) + label_mean for i in range(len(y))])
