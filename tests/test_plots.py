"""The figures: built from the right numbers, saved as PNG, clear errors."""

import numpy as np
import pytest
from sklearn.metrics import precision_recall_curve

from mlrank_keras import plots
from tests.metrics import references


def per_class(y, scores, metric, k=None, threshold=None):
    """Each label's recall, precision or F1 from the plain-loop counts."""
    if k is not None:
        sets = references.top_k_sets(scores, k)
    else:
        sets = references.threshold_sets(scores, threshold)
    nc, np_, ng = references.counts(y, sets)
    pairs = {"recall": (nc, ng), "precision": (nc, np_), "f1": (2 * nc, np_ + ng)}[metric]
    return np.array([references.ratio(a, b) for a, b in zip(*pairs, strict=True)])


def data(seed=0, n=120, num_labels=8):
    rng = np.random.default_rng(seed)
    y = (rng.random((n, num_labels)) < np.linspace(0.6, 0.05, num_labels)).astype("float32")
    good = y + rng.normal(scale=0.7, size=y.shape)
    bad = rng.normal(size=y.shape)
    return y, {"good": good, "bad": bad}


def test_micro_curve_is_scikit_learns():
    y, scores = data()
    scores["good"] = np.round(scores["good"], 1)  # ties
    precision, recall = plots.precision_recall_points(y, scores["good"], average="micro")
    sk_p, sk_r, _ = precision_recall_curve(y.ravel(), scores["good"].ravel())
    # scikit-learn runs from the lowest threshold and appends (precision 1, recall 0).
    np.testing.assert_allclose(precision, sk_p[:-1][::-1])
    np.testing.assert_allclose(recall, sk_r[:-1][::-1])


def test_macro_curve_averages_interpolated_label_curves():
    y = np.array([[1, 0], [0, 1], [1, 0], [0, 0]], dtype="float32")
    s = np.array([[0.9, 0.1], [0.8, 0.7], [0.3, 0.9], [0.1, 0.2]])
    precision, grid = plots.precision_recall_points(y, s, average="macro")
    # label 0: ranks T F T F: best precision is 1 up to recall 1/2, then 2/3.
    # label 1: ranks F T F F: 1/2 at any recall.
    assert precision[grid <= 0.5] == pytest.approx((1 + 0.5) / 2)
    assert precision[grid > 0.5] == pytest.approx((2 / 3 + 0.5) / 2)


def test_unknown_cells_are_left_out_of_the_curve():
    y = np.array([[1, -1], [0, 1]], dtype="float32")
    s = np.array([[0.2, 0.9], [0.5, 0.1]])
    precision, recall = plots.precision_recall_points(y, s)
    np.testing.assert_allclose(precision, [0.0, 0.5, 2 / 3])
    np.testing.assert_allclose(recall, [0.0, 0.5, 1.0])


def test_per_class_plot_sorts_by_training_frequency(tmp_path):
    y, scores = data(1)
    train = y[:, ::-1]  # reversed frequencies: the rarest evaluation label comes first
    fig = plots.plot_per_class(y, scores, train_labels=train, k=3, path=tmp_path / "r.png")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["good", "bad"]
    expected = per_class(y, scores["good"], "recall", k=3)[::-1]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), expected)
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(j) for j in range(7, -1, -1)]
    assert (tmp_path / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fig = plots.plot_per_class(y, scores["good"], metric="precision", threshold=0.5)
    expected = per_class(y, scores["good"], "precision", threshold=0.5)
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), expected)


def test_top_label_f1_and_precision_recall_plots(tmp_path):
    y, scores = data(2)
    names = [f"tag{j}" for j in range(8)]
    fig = plots.plot_top_label_f1(
        y, scores, num_labels=3, threshold=0.5, label_names=names, path=tmp_path / "f1.png"
    )
    ax = fig.axes[0]
    heights = [patch.get_height() for patch in ax.patches]
    top3 = sorted(range(8), key=lambda j: (-y[:, j].sum(), j))[:3]
    expected = per_class(y, scores["good"], "f1", threshold=0.5)[top3]
    np.testing.assert_allclose(heights[:3], expected)
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"tag{j}" for j in top3]
    fig = plots.plot_precision_recall(y, scores, average="macro", path=tmp_path / "pr.png")
    assert len(fig.axes[0].get_lines()) == 2
    assert (tmp_path / "pr.png").stat().st_size > 1000


def test_bad_arguments_are_named():
    y, scores = data(3)
    with pytest.raises(ValueError, match="`metric` must be one of"):
        plots.plot_per_class(y, scores, metric="auc")
    with pytest.raises(ValueError, match="scores of 'model' must have"):
        plots.plot_per_class(y, scores["good"][:, :3])
    with pytest.raises(ValueError, match="`train_labels`"):
        plots.plot_per_class(y, scores, train_labels=np.ones(3))
    with pytest.raises(ValueError, match="`label_names`"):
        plots.plot_top_label_f1(y, scores, label_names=["a"])
    with pytest.raises(ValueError, match="`average`"):
        plots.precision_recall_points(y, scores["good"], average="weighted")
    with pytest.raises(ValueError, match="at least one model"):
        plots.plot_precision_recall(y, {})
