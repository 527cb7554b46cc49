"""The ranking metrics against scikit-learn (with ties, over several weighted batches) and
against plain loops where scikit-learn has no such metric."""

import math

import keras
import numpy as np
import pytest
from sklearn import metrics as skm

from mlrank_keras import metrics
from tests.helpers import to_numpy

SKLEARN = {
    metrics.LabelRankingAveragePrecision: skm.label_ranking_average_precision_score,
    metrics.RankingLoss: skm.label_ranking_loss,
    metrics.CoverageError: skm.coverage_error,
}


def tied_batch(rng, rows=30, num_labels=7):
    y = (rng.random((rows, num_labels)) < 0.3).astype("float32")
    y[0], y[1] = 0.0, 1.0  # the edge rows: nothing true, everything true
    f = rng.integers(-2, 3, size=(rows, num_labels)).astype("float32")  # many ties
    return y, f


def streamed(metric, y, f, weights=None, batches=3):
    for part in np.array_split(np.arange(len(y)), batches):
        metric.update_state(y[part], f[part],
                            sample_weight=None if weights is None else weights[part])
    return float(to_numpy(metric.result()))


@pytest.mark.parametrize("cls", list(SKLEARN), ids=lambda c: c.__name__)
def test_equal_to_scikit_learn_with_ties_over_weighted_batches(cls):
    rng = np.random.default_rng(0)
    y, f = tied_batch(rng)
    weights = rng.uniform(0.0, 2.0, len(y)).astype("float32")
    reference = SKLEARN[cls]
    assert streamed(cls(), y, f) == pytest.approx(reference(y, f), rel=1e-5)
    assert streamed(cls(), y, f, weights) == pytest.approx(
        reference(y, f, sample_weight=weights), rel=1e-5)


@pytest.mark.parametrize("cls", list(SKLEARN), ids=lambda c: c.__name__)
def test_exact_at_10000_labels(cls):
    rng = np.random.default_rng(1)
    y = (rng.random((6, 10_000)) < 0.002).astype("float32")
    y[:, 0] = 1.0
    f = np.round(rng.standard_normal((6, 10_000)), 2).astype("float32")  # ties
    assert streamed(cls(), y, f, batches=2) == pytest.approx(SKLEARN[cls](y, f), rel=1e-5)


@pytest.mark.parametrize("cls", list(SKLEARN), ids=lambda c: c.__name__)
def test_unknown_labels_are_left_out_of_the_ranking(cls):
    rng = np.random.default_rng(2)
    y, f = tied_batch(rng, rows=8)
    unknown = rng.random(y.shape) < 0.2
    unknown[:, 0] = False
    y_marked = np.where(unknown, -1.0, y).astype("float32")
    per_row = [SKLEARN[cls](y[i : i + 1, ~unknown[i]], f[i : i + 1, ~unknown[i]])
               for i in range(len(y))]
    assert streamed(cls(), y_marked, f) == pytest.approx(np.mean(per_row), rel=1e-5)


def test_hamming_loss_equals_scikit_learn():
    rng = np.random.default_rng(3)
    y, f = tied_batch(rng)
    weights = rng.uniform(0.0, 2.0, len(y)).astype("float32")
    decided = (f > 0.5).astype("float32")
    got = streamed(metrics.HammingLoss(threshold=0.5), y, f, weights)
    assert got == pytest.approx(skm.hamming_loss(y, decided, sample_weight=weights), rel=1e-5)
    top2 = to_numpy(metrics.top_k_labels(f, 2)).astype("float32")
    got = streamed(metrics.HammingLoss(k=2), y, f)
    assert got == pytest.approx(skm.hamming_loss(y, top2), rel=1e-5)


def _top_k_order(scores, k):
    """Indices of the top k, ties to the lower index (a plain sort)."""
    return sorted(range(len(scores)), key=lambda j: (-scores[j], j))[:k]


def test_precision_ndcg_and_one_error_follow_plain_loops():
    rng = np.random.default_rng(4)
    y, f = tied_batch(rng, rows=20)
    for k in (1, 3, 5):
        p_at_k, ndcg = [], []
        for labels, scores in zip(y, f, strict=True):
            top = _top_k_order(scores, k)
            hits = [labels[j] for j in top]
            p_at_k.append(sum(hits) / k)
            dcg = sum(h / math.log2(r + 2) for r, h in enumerate(hits))
            ideal = sum(1 / math.log2(r + 2) for r in range(int(min(k, labels.sum()))))
            ndcg.append(dcg / ideal if ideal else 0.0)
        assert streamed(metrics.PrecisionAtK(k=k), y, f) == pytest.approx(np.mean(p_at_k))
        assert streamed(metrics.NDCGAtK(k=k), y, f) == pytest.approx(np.mean(ndcg), rel=1e-5)
    errors = [labels[_top_k_order(scores, 1)[0]] == 0 for labels, scores in zip(y, f,
                                                                               strict=True)
              if labels.sum() > 0]
    assert streamed(metrics.OneError(), y, f) == pytest.approx(np.mean(errors))


def test_ndcg_equals_scikit_learn_without_ties():
    rng = np.random.default_rng(5)
    y = (rng.random((25, 9)) < 0.3).astype("float32")
    f = rng.standard_normal((25, 9)).astype("float32")
    for k in (1, 3, 9):
        got = streamed(metrics.NDCGAtK(k=k), y, f)
        assert got == pytest.approx(skm.ndcg_score(y, f, k=k), rel=1e-5)


def test_nan_rule_config_and_a_compiled_model():
    y, f = tied_batch(np.random.default_rng(6), rows=8)
    for cls in (*SKLEARN, metrics.OneError, metrics.PrecisionAtK, metrics.NDCGAtK):
        metric = cls()
        bad = f.copy()
        bad[3, 2] = np.nan
        metric.update_state(y, bad)
        assert np.isnan(to_numpy(metric.result())), cls
        metric.reset_state()
        metric.update_state(y, f)
        assert np.isfinite(to_numpy(metric.result()))
        restored = keras.metrics.deserialize(keras.metrics.serialize(metric))
        assert type(restored) is cls and restored.get_config() == metric.get_config()
    with pytest.raises(ValueError, match="k=9"):
        metrics.PrecisionAtK(k=9).update_state(y, f)
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(7).standard_normal((32, 4)).astype("float32")
    labels = (x @ np.ones((4, 7)) > 0).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(7)])
    model.compile(loss="binary_crossentropy",
                  metrics=[metrics.LabelRankingAveragePrecision(), metrics.NDCGAtK(k=3)])
    logs = model.evaluate(x, labels, batch_size=8, verbose=0, return_dict=True)
    scores = to_numpy(model.predict(x, verbose=0))
    assert logs["label_ranking_average_precision"] == pytest.approx(
        skm.label_ranking_average_precision_score(labels, scores), rel=1e-4)


def test_annotation_report_adds_the_ranking_metrics():
    rng = np.random.default_rng(8)
    y, f = tied_batch(rng, rows=40)
    report = metrics.annotation_report(y, f, k=3, ranking=True, batch_size=16)
    assert list(report) == list(metrics.REPORT_KEYS + metrics.RANKING_KEYS)
    assert report["LRAP"] == pytest.approx(skm.label_ranking_average_precision_score(y, f),
                                           rel=1e-5)
    assert report["RL"] == pytest.approx(skm.label_ranking_loss(y, f), rel=1e-5)
    assert report["CovE"] == pytest.approx(skm.coverage_error(y, f), rel=1e-5)
    top3 = to_numpy(metrics.top_k_labels(f, 3)).astype("float32")
    assert report["HL"] == pytest.approx(skm.hamming_loss(y, top3), rel=1e-5)
    assert report["P@k"] == pytest.approx((top3 * y).sum(axis=1).mean() / 3, rel=1e-5)
    assert "LRAP" not in metrics.annotation_report(y, f, k=3)
