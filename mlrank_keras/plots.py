"""The papers' figures with matplotlib: per-class precision and recall by label frequency
(Gong Figs. 2-3), precision-recall curves (Li Fig. 3), per-class F1 of the most frequent
labels (Li Fig. 2).

Each function takes one model's scores or a mapping from model names to scores, returns a
``matplotlib.figure.Figure`` (made without ``pyplot``, so nothing global changes and no
display is needed) and, with ``path=``, also saves it as a PNG; :func:`show_figure` then
names the file and, in a notebook, shows it.
"""

import sys

import numpy as np

from mlrank_keras.extras import require
from mlrank_keras.labels import numpy_label_masks
from mlrank_keras.metrics.report import per_class_scores
from mlrank_keras.validation import positive_int

Figure = require("matplotlib.figure", "mlrank_keras.plots").Figure

PER_CLASS_METRICS = ("recall", "precision", "f1")


def _models(scores):
    """A dict name -> (n, L) numpy scores from one array or a mapping of them."""
    if isinstance(scores, dict):
        models = {str(name): np.asarray(s, dtype="float64") for name, s in scores.items()}
    else:
        models = {"model": np.asarray(scores, dtype="float64")}
    if not models:
        raise ValueError("`scores` must hold at least one model's scores. Received: {}")
    return models


def _check(y_true, models):
    y_true = np.asarray(y_true, dtype="float64")
    for name, s in models.items():
        if s.shape != y_true.shape or y_true.ndim != 2:
            raise ValueError(
                f"The scores of {name!r} must have y_true's shape (n, L). Received: "
                f"scores shape {s.shape}, y_true shape {y_true.shape}"
            )
    return y_true


def _label_order(y_true, train_labels):
    """Label indices by decreasing frequency (training frequency when given), and the counts."""
    if train_labels is None:
        counts = numpy_label_masks(y_true)[0].sum(axis=0)
    else:
        train_labels = np.asarray(train_labels, dtype="float64")
        counts = train_labels
        if train_labels.ndim != 1:
            counts = numpy_label_masks(train_labels)[0].sum(axis=0)
        if counts.shape != y_true.shape[1:]:
            raise ValueError(
                f"`train_labels` must be (n_train, {y_true.shape[1]}) multi-hot labels or "
                f"{y_true.shape[1]} label frequencies. Received: shape {train_labels.shape}"
            )
    return np.argsort(-counts, kind="stable"), counts


def _names(label_names, num_labels):
    if label_names is None:
        return [str(j) for j in range(num_labels)]
    label_names = [str(n) for n in label_names]
    if len(label_names) != num_labels:
        raise ValueError(
            f"`label_names` must name all {num_labels} labels. Received {len(label_names)}."
        )
    return label_names


def _finish(fig, path):
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, format="png", dpi=120)
    return fig


def plot_per_class(
    y_true,
    scores,
    train_labels=None,
    metric="recall",
    k=None,
    threshold=None,
    label_names=None,
    path=None,
):
    """Each label's recall (or precision, F1), labels sorted by frequency (Gong Figs. 2-3).

    Args:
        y_true: ``(n, L)`` evaluation labels.
        scores: ``(n, L)`` scores of one model, or a dict of model name to scores.
        train_labels: ``(n_train, L)`` training labels (or ``L`` frequencies) that sort the
            labels, most frequent first; None sorts by ``y_true``'s frequencies.
        metric: ``"recall"``, ``"precision"`` or ``"f1"``.
        k, threshold: the decision, as for the metrics (``k=3`` by default).
        label_names: names for the x axis (printed when there are at most 100 labels).
        path: where to save a PNG, or None.

    Returns:
        The ``matplotlib.figure.Figure``.
    """
    if metric not in PER_CLASS_METRICS:
        raise ValueError(f"`metric` must be one of {PER_CLASS_METRICS}. Received: {metric!r}")
    models = _models(scores)
    y_true = _check(y_true, models)
    order, _ = _label_order(y_true, train_labels)
    names = _names(label_names, y_true.shape[1])
    fig = Figure(figsize=(max(6.0, 0.12 * len(order) + 3.0), 4.0))
    ax = fig.subplots()
    positions = np.arange(len(order))
    for name, s in models.items():
        values = per_class_scores(y_true, s, k=k, threshold=threshold)[metric][order]
        ax.plot(positions, values, marker="o", markersize=3, linewidth=1, label=name)
    decision = f"top {k or 3}" if threshold is None else f"threshold {threshold}"
    ax.set_xlabel("labels (decreasing frequency)")
    ax.set_ylabel(f"per-class {metric}")
    ax.set_title(f"Per-class {metric}, {decision}")
    ax.set_ylim(-0.02, 1.02)
    if len(order) <= 100:
        ax.set_xticks(positions, [names[j] for j in order], rotation=90, fontsize=7)
    ax.legend()
    return _finish(fig, path)


def precision_recall_points(y_true, y_score, average="micro"):
    """Precision and recall of every threshold: ``(precision, recall)`` arrays.

    ``average="micro"`` pools every known (image, label) cell and sweeps one threshold down
    through the distinct scores (scikit-learn's ``precision_recall_curve`` on the
    flattened arrays, from the highest threshold). ``"macro"`` averages the labels' curves
    (those with a true image) on a recall grid of 101 points, each label's precision taken
    as its best precision at that recall or higher (the interpolated curve).

    Example:
    >>> p, r = precision_recall_points([[1, 0], [0, 1]], [[0.9, 0.1], [0.8, 0.7]])
    >>> p.round(3).tolist(), r.tolist()
    ([1.0, 0.5, 0.667, 0.5], [0.5, 0.5, 1.0, 1.0])
    """
    y_true = np.asarray(y_true, dtype="float64")
    y_score = np.asarray(y_score, dtype="float64")
    if y_true.shape != y_score.shape or y_true.ndim != 2:
        raise ValueError(
            "`y_true` and `y_score` must both be (n, L). Received: "
            f"{y_true.shape} and {y_score.shape}"
        )
    if average == "micro":
        return _curve(y_true.ravel(), y_score.ravel())
    if average != "macro":
        raise ValueError(f"`average` must be 'micro' or 'macro'. Received: {average!r}")
    grid = np.linspace(0.0, 1.0, 101)
    curves = []
    for label in range(y_true.shape[1]):
        precision, recall = _curve(y_true[:, label], y_score[:, label])
        if len(recall) == 0 or recall[-1] == 0:
            continue  # no true image: no curve
        envelope = np.maximum.accumulate(precision[::-1])[::-1]  # best at recall >= r
        at = np.searchsorted(recall, grid, side="left")
        curves.append(np.where(at < len(recall), envelope[np.minimum(at, len(recall) - 1)], 0))
    if not curves:
        raise ValueError("No label has a true image in `y_true`: no curve to average.")
    return np.mean(curves, axis=0), grid


def _curve(truth, score):
    positive, known = numpy_label_masks(truth)
    truth, score = positive[known], score[known]
    order = np.argsort(-score, kind="stable")
    truth, score = truth[order], score[order]
    last_of_tie = np.r_[score[1:] != score[:-1], True]
    hits = np.cumsum(truth)[last_of_tie]
    taken = (np.arange(len(score)) + 1)[last_of_tie]
    total = truth.sum()
    precision = hits / np.maximum(taken, 1)
    recall = hits / total if total > 0 else np.zeros_like(hits, dtype="float64")
    return precision, recall


def plot_precision_recall(y_true, scores, average="micro", path=None):
    """Precision-recall curves of one or more models (Li Fig. 3).

    Args:
        y_true: ``(n, L)`` labels.
        scores: one model's ``(n, L)`` scores, or a dict of model name to scores.
        average: ``"micro"`` (all cells pooled) or ``"macro"`` (labels' curves averaged);
            see :func:`precision_recall_points`.
        path: where to save a PNG, or None.
    """
    models = _models(scores)
    y_true = _check(y_true, models)
    fig = Figure(figsize=(5.0, 4.5))
    ax = fig.subplots()
    for name, s in models.items():
        precision, recall = precision_recall_points(y_true, s, average=average)
        ax.plot(recall, precision, linewidth=1.5, label=name)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title(f"Precision-recall ({average} average)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend()
    return _finish(fig, path)


def plot_top_label_f1(
    y_true,
    scores,
    train_labels=None,
    num_labels=10,
    k=None,
    threshold=None,
    label_names=None,
    path=None,
):
    """Per-class F1 of the ``num_labels`` most frequent labels, one bar per model (Li Fig. 2).

    Arguments as for :func:`plot_per_class`; ``num_labels`` is how many labels to show.
    """
    models = _models(scores)
    y_true = _check(y_true, models)
    num_labels = positive_int(num_labels, "num_labels")
    order, _ = _label_order(y_true, train_labels)
    shown = order[:num_labels]
    names = _names(label_names, y_true.shape[1])
    fig = Figure(figsize=(max(5.0, 0.6 * len(shown) * max(1, len(models)) / 2 + 3.0), 4.0))
    ax = fig.subplots()
    width = 0.8 / len(models)
    positions = np.arange(len(shown))
    for i, (name, s) in enumerate(models.items()):
        f1 = per_class_scores(y_true, s, k=k, threshold=threshold)["f1"][shown]
        ax.bar(positions + (i - (len(models) - 1) / 2) * width, f1, width=width, label=name)
    ax.set_xticks(positions, [names[j] for j in shown], rotation=45, ha="right")
    ax.set_ylabel("per-class F1")
    ax.set_ylim(0, 1.02)
    ax.set_title(f"Per-class F1 of the {len(shown)} most frequent labels")
    ax.legend()
    return _finish(fig, path)


def show_figure(path):
    """Print where a figure was saved and, in a Jupyter notebook, display the file, so that
    a notebook's outputs keep its figures (a script only prints the path)."""
    print(f"saved {path}")
    if "ipykernel" in sys.modules:
        from IPython.display import Image, display

        display(Image(filename=str(path)))
