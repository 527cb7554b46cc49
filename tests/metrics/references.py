"""Plain-loop numpy references of the annotation metrics, written from the papers' text."""

import numpy as np


def top_k_sets(scores, k):
    """Each row's k labels: highest score first, the lower index first at a tie."""
    return [sorted(range(len(row)), key=lambda j: (-row[j], j))[:k] for row in scores]


def threshold_sets(scores, threshold):
    thresholds = np.broadcast_to(np.asarray(threshold, dtype=float), np.shape(scores)[-1:])
    return [[j for j in range(len(row)) if row[j] > thresholds[j]] for row in scores]


def counts(y_true, predicted_sets, weights=None):
    """Nc, Np, Ng per label; cells with unknown truth (< 0) count nowhere."""
    n, num_labels = np.shape(y_true)
    weights = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    nc, np_, ng = np.zeros(num_labels), np.zeros(num_labels), np.zeros(num_labels)
    for i in range(n):
        for label in range(num_labels):
            truth = y_true[i][label]
            if truth < 0:
                continue
            predicted = label in predicted_sets[i]
            if predicted:
                np_[label] += weights[i]
            if truth > 0.5:
                ng[label] += weights[i]
                if predicted:
                    nc[label] += weights[i]
    return nc, np_, ng


def ratio(a, b):
    return a / b if b > 0 else 0.0


def report(y_true, predicted_sets, weights=None):
    """The papers' numbers from the counts, with 0/0 = 0 and means over all labels."""
    nc, np_, ng = counts(y_true, predicted_sets, weights)
    num_labels = len(nc)
    cp = sum(ratio(nc[j], np_[j]) for j in range(num_labels)) / num_labels
    cr = sum(ratio(nc[j], ng[j]) for j in range(num_labels)) / num_labels
    op, orr = ratio(nc.sum(), np_.sum()), ratio(nc.sum(), ng.sum())
    f1 = sum(ratio(2 * nc[j], np_[j] + ng[j]) for j in range(num_labels)) / num_labels
    weights = np.ones(len(y_true)) if weights is None else np.asarray(weights, dtype=float)
    matches = 0.0
    for i, row in enumerate(y_true):
        truth = {j for j in range(num_labels) if row[j] > 0.5}
        known_predicted = {j for j in predicted_sets[i] if row[j] >= 0}
        matches += weights[i] * (truth == known_predicted)
    return {
        "C-P": cp,
        "C-R": cr,
        "C-F1": ratio(2 * cp * cr, cp + cr),
        "O-P": op,
        "O-R": orr,
        "O-F1": ratio(2 * op * orr, op + orr),
        "F1": f1,
        "N+": float(sum(nc[j] > 0 for j in range(num_labels))),
        "0-1": ratio(matches, weights.sum()),
    }


def average_precision(truth, scores):
    """One label's AP: mean over its positives of the precision at their rank (ties
    grouped: every image scoring at least as high counts)."""
    positives = [i for i in range(len(truth)) if truth[i] > 0.5]
    if not positives:
        return None
    total = 0.0
    for i in positives:
        at_least = [j for j in range(len(truth)) if truth[j] >= 0 and scores[j] >= scores[i]]
        hits = sum(truth[j] > 0.5 for j in at_least)
        total += hits / len(at_least)
    return total / len(positives)
