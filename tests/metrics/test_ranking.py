"""MeanAveragePrecision against scikit-learn and a plain-loop reference."""

import math

import keras
import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from mlrank_keras import metrics
from tests.helpers import to_numpy
from tests.metrics import references


def grid_case(seed, n=60, num_labels=6, num_thresholds=100):
    """Probabilities at bin centres: distinct values never share a bin, so AP is exact."""
    rng = np.random.default_rng(seed)
    y_true = (rng.random((n, num_labels)) < 0.35).astype("float32")
    y_true[0] = 1.0  # every label has a positive
    scores = (rng.integers(0, num_thresholds, size=(n, num_labels)) + 0.5) / num_thresholds
    return y_true, scores.astype("float32")


def result(metric, y_true, scores, sample_weight=None):
    metric.update_state(y_true, scores, sample_weight=sample_weight)
    return float(to_numpy(metric.result()))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_scikit_learn_when_no_two_scores_share_a_bin(seed):
    y_true, scores = grid_case(seed)
    metric = metrics.MeanAveragePrecision(num_thresholds=100, from_logits=False)
    expected = average_precision_score(y_true, scores, average="macro")
    assert result(metric, y_true, scores) == pytest.approx(expected, rel=1e-5)


def test_equals_the_plain_loop_reference_with_unknown_labels_and_empty_labels():
    y_true, scores = grid_case(3, num_thresholds=50)
    y_true[np.random.default_rng(3).random(y_true.shape) < 0.2] = -1.0
    y_true[:, 2] = np.minimum(y_true[:, 2], 0.0)  # label 2: no positive, left out
    expected = [
        references.average_precision(y_true[:, j], scores[:, j]) for j in range(y_true.shape[1])
    ]
    expected = np.mean([ap for ap in expected if ap is not None])
    metric = metrics.MeanAveragePrecision(num_thresholds=50, from_logits=False)
    assert result(metric, y_true, scores) == pytest.approx(expected, rel=1e-5)


def test_sample_weights_agree_with_scikit_learn():
    y_true, scores = grid_case(4)
    weights = np.random.default_rng(4).uniform(0.2, 2.0, size=len(scores))
    expected = average_precision_score(y_true, scores, average="macro", sample_weight=weights)
    metric = metrics.MeanAveragePrecision(num_thresholds=100, from_logits=False)
    assert result(metric, y_true, scores, weights) == pytest.approx(expected, rel=1e-5)


def test_logits_are_close_to_scikit_learn_and_batches_add_up():
    rng = np.random.default_rng(5)
    y_true = (rng.random((300, 8)) < 0.3).astype("float32")
    logits = (3.0 * rng.normal(size=(300, 8)) + 4.0 * y_true).astype("float32")
    expected = average_precision_score(y_true, logits, average="macro")
    coarse = metrics.MeanAveragePrecision(num_thresholds=200)
    assert result(coarse, y_true, logits) == pytest.approx(expected, abs=2e-2)
    whole = metrics.MeanAveragePrecision()
    assert result(whole, y_true, logits) == pytest.approx(expected, abs=3e-3)
    parts = metrics.MeanAveragePrecision()
    for rows in (slice(0, 50), slice(50, 170), slice(170, 300)):
        parts.update_state(y_true[rows], logits[rows])
    assert float(to_numpy(parts.result())) == pytest.approx(float(to_numpy(whole.result())))
    # A monotone map of the logits: the same ranking, the same AP up to binning.
    squashed = 1.0 / (1.0 + np.exp(-logits / 4.0))
    prob = metrics.MeanAveragePrecision(num_thresholds=5000, from_logits=False)
    assert result(prob, y_true, squashed) == pytest.approx(expected, abs=2e-3)


def test_perfect_ranking_scores_one_and_large_logits_stay_apart():
    y_true = np.eye(4, dtype="float32")
    scores = 1e4 * np.eye(4, dtype="float32") - 50.0
    assert result(metrics.MeanAveragePrecision(), y_true, scores) == 1.0
    # Logits of 20 and 40 fall into different bins (a sigmoid would tie them).
    ranked = np.array([[40.0], [20.0]], dtype="float32")
    assert result(metrics.MeanAveragePrecision(), [[1.0], [0.0]], ranked) == 1.0
    assert result(metrics.MeanAveragePrecision(), [[0.0], [1.0]], ranked) == 0.5


def test_no_positive_at_all_gives_zero_and_reset():
    metric = metrics.MeanAveragePrecision(num_labels=3)
    assert float(to_numpy(metric.result())) == 0.0
    assert result(metric, np.zeros((2, 3)), np.zeros((2, 3))) == 0.0
    metric.update_state(np.eye(3), np.eye(3))
    assert float(to_numpy(metric.result())) == 1.0
    metric.reset_state()
    assert float(to_numpy(metric.result())) == 0.0


def test_config_round_trip_and_bad_arguments():
    metric = metrics.MeanAveragePrecision(num_thresholds=10, from_logits=False, name="map")
    clone = metrics.MeanAveragePrecision.from_config(metric.get_config())
    assert clone.get_config() == metric.get_config()
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(metric))
    assert isinstance(restored, metrics.MeanAveragePrecision)
    with pytest.raises(ValueError, match="`num_thresholds`"):
        metrics.MeanAveragePrecision(num_thresholds=1)
    with pytest.raises(ValueError, match="`num_labels`"):
        metrics.MeanAveragePrecision(num_labels=-2)
    assert math.isclose(result(metrics.MeanAveragePrecision(), [[1.0, 0.0]], [[2.0, 1.0]]), 1.0)
