"""The papers' evaluation report: every annotation metric at once, tables, the upper bound."""

import numpy as np
from keras import ops

from mlrank_keras.labels import numpy_label_masks, squeeze_row_weights
from mlrank_keras.metrics import annotation, label_ranking
from mlrank_keras.metrics.annotation import PerLabelCountMetric
from mlrank_keras.metrics.exact_match import ExactMatch, HammingLoss
from mlrank_keras.validation import int_in_range, positive_int

# The report's keys, in the column order of the papers' tables.
REPORT_KEYS = ("C-P", "C-R", "C-F1", "O-P", "O-R", "O-F1", "F1", "N+", "0-1")
# With ranking=True: label ranking average precision, ranking loss, coverage error,
# one-error, the Hamming loss of the decision, and P@k and nDCG@k at the report's k.
RANKING_KEYS = ("LRAP", "RL", "CovE", "1-err", "HL", "P@k", "nDCG@k")

_FROM_COUNTS = {
    "C-P": annotation.per_class_precision,
    "C-R": annotation.per_class_recall,
    "C-F1": annotation.per_class_f1,
    "O-P": annotation.overall_precision,
    "O-R": annotation.overall_recall,
    "O-F1": annotation.overall_f1,
    "F1": annotation.macro_f1,
    "N+": annotation.n_plus,
}


def _as_numpy(x, name):
    try:
        return np.asarray(ops.convert_to_numpy(x))
    except Exception as error:  # noqa: BLE001 - re-raised with the argument's name
        raise ValueError(f"`{name}` must be an array of numbers. Received: {x!r}") from error


def _accumulate(metrics, y_true, y_score, sample_weight, batch_size):
    y_true = _as_numpy(y_true, "y_true")
    y_score = _as_numpy(y_score, "y_score")
    if y_true.shape != y_score.shape or y_score.ndim < 1:
        raise ValueError(
            "`y_true` and `y_score` must have the same shape (labels on the last axis). "
            f"Received: y_true.shape={y_true.shape}, y_score.shape={y_score.shape}"
        )
    if sample_weight is not None:
        sample_weight = _as_numpy(sample_weight, "sample_weight")
        if squeeze_row_weights(sample_weight.shape, y_score.shape):
            sample_weight = sample_weight[..., 0]
        try:
            sample_weight = np.broadcast_to(sample_weight, y_score.shape[:-1]).reshape(-1)
        except ValueError:
            raise ValueError(
                "`sample_weight` must hold one weight per image: shape "
                f"{y_score.shape[:-1]} (or a scalar, or that shape with a trailing 1) for "
                f"y_score.shape={y_score.shape}. Received: sample_weight.shape="
                f"{sample_weight.shape}"
            ) from None
    num_labels = y_score.shape[-1]
    y_true = y_true.reshape(-1, num_labels)
    y_score = y_score.reshape(-1, num_labels)
    batch_size = positive_int(batch_size, "batch_size")
    for start in range(0, len(y_score), batch_size):
        rows = slice(start, start + batch_size)
        weight = None if sample_weight is None else sample_weight[rows]
        for metric in metrics:
            metric.update_state(y_true[rows], y_score[rows], sample_weight=weight)


def annotation_report(y_true, y_score, k=None, threshold=None, sample_weight=None, batch_size=4096,
                      ranking=False):
    """Every annotation metric of the papers for one model, as a dict of floats.

    Keys (``REPORT_KEYS``): ``"C-P", "C-R", "C-F1"`` (per-class precision, recall and the
    harmonic mean of the two), ``"O-P", "O-R", "O-F1"`` (overall), ``"F1"`` (Li's macro F1),
    ``"N+"`` (labels with recall above 0, a count) and ``"0-1"`` (exact match). Rates lie
    in ``[0, 1]``; the definitions, and how 0/0 counts, are those of the metric classes in
    :mod:`mlrank_keras.metrics.annotation`, whose code computes them here too.

    Args:
        y_true: ``(n, L)`` multi-hot labels (1 true, 0 false, -1 unknown).
        y_score: ``(n, L)`` scores, or a multi-hot decision with ``threshold=0.5``.
        k: annotate each image with its top ``k`` labels (``k=3`` when neither is given).
        threshold: instead of ``k``, take the labels scoring above it (a float, or one per
            label).
        sample_weight: None, or one weight per image.
        batch_size: how many rows to process at once.
        ranking: also the ranking metrics of :mod:`mlrank_keras.metrics.label_ranking`
            (``RANKING_KEYS``: LRAP, ranking loss ``RL``, coverage error ``CovE``,
            one-error ``1-err``, the decision's Hamming loss ``HL``, and ``P@k`` and
            ``nDCG@k`` at ``k``, 3 with ``threshold``). They need real scores, not a
            decision.

    Returns:
        A dict from each key in ``REPORT_KEYS`` (and ``RANKING_KEYS``) to a Python float;
        every value is NaN when a score is NaN (the metrics' NaN rule).

    Example:
    >>> report = annotation_report([[1, 0, 0], [1, 0, 1], [0, 1, 0]],
    ...                            [[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.8, 0.3, 0.5]], k=1)
    >>> {key: round(report[key], 3) for key in ("C-P", "O-R", "N+", "0-1")}
    {'C-P': 0.167, 'O-R': 0.25, 'N+': 1.0, '0-1': 0.333}
    """
    counts = PerLabelCountMetric(k=k, threshold=threshold, name="counts")
    exact = ExactMatch(k=k, threshold=threshold)
    extra = {}
    if ranking:
        top = 3 if k is None else k
        extra = {
            "LRAP": label_ranking.LabelRankingAveragePrecision(),
            "RL": label_ranking.RankingLoss(),
            "CovE": label_ranking.CoverageError(),
            "1-err": label_ranking.OneError(),
            "HL": HammingLoss(k=k, threshold=threshold),
            "P@k": label_ranking.PrecisionAtK(k=top),
            "nDCG@k": label_ranking.NDCGAtK(k=top),
        }
    _accumulate([counts, exact, *extra.values()], y_true, y_score, sample_weight, batch_size)
    if counts.num_labels is None:
        raise ValueError("`y_true` and `y_score` must hold at least one row. Received: 0 rows")
    nc = counts.true_positives.value
    np_ = counts.predicted_positives.value
    ng = counts.actual_positives.value
    report = {key: float(ops.convert_to_numpy(fn(nc, np_, ng))) for key, fn in _FROM_COUNTS.items()}
    report["0-1"] = float(ops.convert_to_numpy(exact.result()))
    for key, metric in extra.items():
        report[key] = float(ops.convert_to_numpy(metric.result()))
    if _saw_nan(counts):  # the NaN rule of every metric
        report = dict.fromkeys(report, float("nan"))
    return {key: report[key] for key in REPORT_KEYS + (RANKING_KEYS if ranking else ())}


def _saw_nan(metric):
    return float(ops.convert_to_numpy(metric.nan_rows.value)) > 0


def per_class_scores(y_true, y_score, k=None, threshold=None, sample_weight=None, batch_size=4096):
    """Each label's precision, recall and F1 (and the counts behind them), as numpy arrays.

    Returns a dict with ``"precision"``, ``"recall"``, ``"f1"`` (0 where undefined, NaN for
    NaN scores) and the counts ``"Nc"``, ``"Np"``, ``"Ng"``, each of shape ``(L,)``.
    Arguments as for
    :func:`annotation_report`.

    Example:
    >>> scores = per_class_scores([[1, 0], [1, 1]], [[0.9, 0.1], [0.2, 0.7]], k=1)
    >>> scores["recall"].tolist(), scores["precision"].tolist()
    ([0.5, 1.0], [1.0, 1.0])
    """
    counts = PerLabelCountMetric(k=k, threshold=threshold, name="counts")
    _accumulate([counts], y_true, y_score, sample_weight, batch_size)
    if counts.num_labels is None:
        raise ValueError("`y_true` and `y_score` must hold at least one row. Received: 0 rows")
    nc, np_, ng = (
        np.asarray(ops.convert_to_numpy(v.value), dtype="float64")
        for v in (counts.true_positives, counts.predicted_positives, counts.actual_positives)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(np_ > 0, nc / np.where(np_ > 0, np_, 1), 0.0)
        recall = np.where(ng > 0, nc / np.where(ng > 0, ng, 1), 0.0)
        f1 = np.where(np_ + ng > 0, 2 * nc / np.where(np_ + ng > 0, np_ + ng, 1), 0.0)
    if _saw_nan(counts):
        precision, recall, f1 = (np.full_like(x, np.nan) for x in (precision, recall, f1))
    return {"precision": precision, "recall": recall, "f1": f1, "Nc": nc, "Np": np_, "Ng": ng}


def upper_bound_labels(y_true, k=3, seed=0):
    """Gong's "upper bound" decision (section 5.4): ``k`` labels per image from the truth.

    An image with more than ``k`` true labels gets ``k`` of them at random; one with fewer
    gets all of them, filled up to ``k`` with other labels at random.

    Args:
        y_true: ``(n, L)`` multi-hot labels (``> 0.5`` true).
        k: labels per image.
        seed: the seed of the random choices (a NumPy generator seed).

    Returns:
        An ``(n, L)`` int32 multi-hot array with exactly ``k`` ones per row.

    Example:
    >>> upper_bound_labels([[0, 1, 0, 1]], k=2).tolist()
    [[0, 1, 0, 1]]
    """
    y_true = _as_numpy(y_true, "y_true")
    if y_true.ndim != 2:
        raise ValueError(f"`y_true` must be 2-D (n, L). Received: shape {y_true.shape}")
    num_labels = y_true.shape[1]
    k = int_in_range(k, "k", 1, num_labels)
    rng = np.random.default_rng(seed)
    # A uniform random key per cell, with 2 added to the true labels: the k largest keys
    # are k true labels at random, or all of them and random others after.
    keys = rng.random(y_true.shape) + 2.0 * numpy_label_masks(y_true)[0]
    chosen = np.argpartition(-keys, k - 1, axis=1)[:, :k]
    labels = np.zeros(y_true.shape, dtype="int32")
    np.put_along_axis(labels, chosen, 1, axis=1)
    return labels


def upper_bound(y_true, k=3, seed=0):
    """The report of Gong's "upper bound" row: :func:`upper_bound_labels` scored at ``k``.

    Example:
    >>> report = upper_bound([[1, 1, 0, 0], [0, 0, 1, 0]], k=1, seed=0)
    >>> report["O-P"], report["0-1"]
    (1.0, 0.5)
    """
    return annotation_report(y_true, upper_bound_labels(y_true, k=k, seed=seed), k=k)


def format_reports(reports, keys=REPORT_KEYS, percent=True, digits=2, title="method"):
    """Several models' reports as one text table in the papers' layout (a row per model).

    Args:
        reports: a mapping from a model's name to its :func:`annotation_report`.
        keys: the columns, in order.
        percent: print rates as percentages, as the papers do (``N+`` stays a count).
        digits: decimals of the rates.
        title: the heading of the first column.

    Example:
    >>> print(format_reports({"WARP": {"C-P": 0.3165, "N+": 78.0}}, keys=("C-P", "N+")))
    method    C-P  N+
    WARP    31.65  78
    """
    reports = dict(reports)
    keys = tuple(keys)
    for name, report in reports.items():
        missing = [key for key in keys if key not in report]
        if missing:
            raise ValueError(f"The report of {name!r} has no {missing}. It has: {list(report)}")

    def cell(key, value):
        if key == "N+":
            return f"{value:g}"
        return f"{100 * value:.{digits}f}" if percent else f"{value:.{digits + 2}f}"

    rows = [[title, *keys]]
    rows += [
        [str(name), *(cell(key, report[key]) for key in keys)] for name, report in reports.items()
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        first = row[0].ljust(widths[0])
        rest = [value.rjust(width) for value, width in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join([first, *rest]))
    return "\n".join(lines)


def print_reports(reports, **kwargs):
    """Prints :func:`format_reports` of the reports (same arguments)."""
    print(format_reports(reports, **kwargs))
