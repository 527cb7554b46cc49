"""The annotation metrics against plain-loop references, scikit-learn and hand-worked cases."""

import contextlib
import io

import keras
import numpy as np
import pytest
from sklearn import metrics as skm

from mlrank_keras import layers as mk_layers
from mlrank_keras import metrics
from tests.helpers import to_numpy
from tests.metrics import references

CLASSES = {
    "C-P": metrics.PerClassPrecision,
    "C-R": metrics.PerClassRecall,
    "C-F1": metrics.PerClassF1,
    "O-P": metrics.OverallPrecision,
    "O-R": metrics.OverallRecall,
    "O-F1": metrics.OverallF1,
    "F1": metrics.MacroF1,
    "N+": metrics.NPlus,
    "0-1": metrics.ExactMatch,
}


def random_case(seed, n=40, num_labels=7, unknown=0.0, integer_scores=True):
    rng = np.random.default_rng(seed)
    y_true = (rng.random((n, num_labels)) < 0.3).astype("float32")
    if unknown:
        y_true[rng.random((n, num_labels)) < unknown] = -1.0
    if integer_scores:  # many exact ties
        scores = rng.integers(-2, 3, size=(n, num_labels)).astype("float32")
    else:
        scores = rng.normal(size=(n, num_labels)).astype("float32")
    return y_true, scores


def metric_value(cls, y_true, scores, sample_weight=None, **kwargs):
    metric = cls(**kwargs)
    metric.update_state(y_true, scores, sample_weight=sample_weight)
    return float(to_numpy(metric.result()))


@pytest.mark.parametrize("key", sorted(CLASSES))
@pytest.mark.parametrize(
    "decision", [{"k": 1}, {"k": 3}, {"k": 7}, {"threshold": 0.0}, {"threshold": 1.5}]
)
@pytest.mark.parametrize("seed", [0, 1])
def test_each_metric_matches_the_plain_loop_reference(key, decision, seed):
    y_true, scores = random_case(seed, unknown=0.15 if seed else 0.0)
    weights = np.random.default_rng(seed).uniform(0.5, 2.0, size=len(scores)) if seed else None
    if "k" in decision:
        sets = references.top_k_sets(scores, decision["k"])
    else:
        sets = references.threshold_sets(scores, decision["threshold"])
    expected = references.report(y_true, sets, weights)[key]
    got = metric_value(CLASSES[key], y_true, scores, sample_weight=weights, **decision)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_report_agrees_with_scikit_learn(k):
    y_true, scores = random_case(3, n=200, num_labels=12, integer_scores=False)
    y_true[:, 11] = 0  # a label never true
    scores[:, 10] = -10.0  # a label never predicted
    predicted = np.zeros_like(y_true, dtype=int)
    for i, labels in enumerate(references.top_k_sets(scores, k)):
        predicted[i, labels] = 1
    truth = y_true.astype(int)
    report = metrics.annotation_report(y_true, scores, k=k)
    macro = {"average": "macro", "zero_division": 0}
    micro = {"average": "micro", "zero_division": 0}
    cp = skm.precision_score(truth, predicted, **macro)
    cr = skm.recall_score(truth, predicted, **macro)
    expected = {
        "C-P": cp,
        "C-R": cr,
        "C-F1": 2 * cp * cr / (cp + cr),
        "O-P": skm.precision_score(truth, predicted, **micro),
        "O-R": skm.recall_score(truth, predicted, **micro),
        "O-F1": skm.f1_score(truth, predicted, **micro),
        "F1": skm.f1_score(truth, predicted, **macro),
        "N+": float(np.sum(skm.recall_score(truth, predicted, average=None, zero_division=0) > 0)),
        "0-1": skm.accuracy_score(truth, predicted),
    }
    assert list(report) == list(metrics.REPORT_KEYS)
    for key, value in expected.items():
        np.testing.assert_allclose(report[key], value, rtol=1e-5, atol=1e-7, err_msg=key)


def test_report_with_threshold_and_sample_weight_agrees_with_scikit_learn():
    y_true, scores = random_case(4, n=150, num_labels=9, integer_scores=False)
    weights = np.random.default_rng(4).uniform(0.1, 3.0, size=150)
    predicted = (scores > 0.3).astype(int)
    truth = y_true.astype(int)
    report = metrics.annotation_report(y_true, scores, threshold=0.3, sample_weight=weights)
    kw = {"sample_weight": weights, "zero_division": 0}
    np.testing.assert_allclose(
        report["C-P"], skm.precision_score(truth, predicted, average="macro", **kw), rtol=1e-5
    )
    np.testing.assert_allclose(
        report["O-R"], skm.recall_score(truth, predicted, average="micro", **kw), rtol=1e-5
    )
    np.testing.assert_allclose(
        report["F1"], skm.f1_score(truth, predicted, average="macro", **kw), rtol=1e-5
    )
    np.testing.assert_allclose(
        report["0-1"], skm.accuracy_score(truth, predicted, sample_weight=weights), rtol=1e-5
    )


def test_hand_worked_never_predicted_never_true_and_ties():
    # 4 labels. Label 3 is never true; label 2 is true once but never predicted.
    # Row 0 ties labels 0 and 1 at the top: top-1 takes label 0 (lower index).
    y_true = [[0, 1, 0, 0], [1, 0, 1, 0], [1, 1, 0, 0]]
    scores = [[5.0, 5.0, 1.0, 0.0], [2.0, 0.0, 1.0, 3.0], [0.0, 4.0, -1.0, 0.0]]
    # top-1 picks: row 0 -> 0 (tie), row 1 -> 3, row 2 -> 1.
    # Nc = (0, 1, 0, 0), Np = (1, 1, 0, 1), Ng = (2, 2, 1, 0)
    report = metrics.annotation_report(y_true, scores, k=1)
    assert report["C-P"] == pytest.approx((0 + 1 + 0 + 0) / 4)
    assert report["C-R"] == pytest.approx((0 + 1 / 2 + 0 + 0) / 4)
    assert report["O-P"] == pytest.approx(1 / 3)
    assert report["O-R"] == pytest.approx(1 / 5)
    assert report["F1"] == pytest.approx((0 + 2 / 3 + 0 + 0) / 4)
    assert report["N+"] == 1.0
    assert report["0-1"] == 0.0
    # top-2: row 0 -> {0, 1}, row 1 -> {3, 0}, row 2 -> {1, 0} (0 and 3 tie at 0.0)
    # Nc = (2, 2, 0, 0), Np = (3, 2, 0, 1), Ng = (2, 2, 1, 0); only row 2 matches its truth.
    report = metrics.annotation_report(y_true, scores, k=2)
    assert report["C-P"] == pytest.approx((2 / 3 + 1 + 0 + 0) / 4)
    assert report["C-R"] == pytest.approx((1 + 1 + 0 + 0) / 4)
    assert report["N+"] == 2.0
    assert report["0-1"] == pytest.approx(1 / 3)


def test_unknown_labels_count_nowhere():
    # Row 0's label 1 is unknown: its prediction is neither right nor wrong.
    y_true = [[1, -1, 0], [0, 1, 0]]
    scores = [[0.5, 0.9, 0.1], [0.1, 0.9, 0.0]]
    report = metrics.annotation_report(y_true, scores, k=2)
    # picks: row 0 -> {1, 0}, row 1 -> {1, 0}. Known: Nc = (1, 1, 0), Np = (2, 1, 0),
    # Ng = (1, 1, 0); row 0 matches on its known labels, row 1 does not.
    assert report["O-P"] == pytest.approx(2 / 3)
    assert report["O-R"] == pytest.approx(1.0)
    assert report["0-1"] == pytest.approx(0.5)
    # Deleting the unknown column of row 0 gives the same counts as masking it.
    row_alone = metrics.annotation_report([[1, -1, 0]], [[0.5, 0.9, 0.1]], k=2)
    assert row_alone["0-1"] == 1.0 and row_alone["O-P"] == 1.0


def test_empty_state_and_per_label_threshold():
    metric = metrics.OverallPrecision(threshold=[0.5, 0.0, 2.0])
    assert float(to_numpy(metric.result())) == 0.0
    metric.update_state([[1, 1, 1]], [[0.6, 0.1, 1.0]])  # picks 0 and 1, not 2
    assert float(to_numpy(metric.result())) == 1.0
    recall = metrics.OverallRecall(threshold=[0.5, 0.0, 2.0])
    recall.update_state([[1, 1, 1]], [[0.6, 0.1, 1.0]])
    assert float(to_numpy(recall.result())) == pytest.approx(2 / 3)


@pytest.mark.parametrize("key", sorted(CLASSES))
def test_batches_add_up_to_one_batch_and_reset(key):
    y_true, scores = random_case(5, n=50, unknown=0.1)
    weights = np.linspace(0.5, 1.5, 50)
    whole = CLASSES[key](k=2)
    whole.update_state(y_true, scores, sample_weight=weights)
    parts = CLASSES[key](k=2)
    for rows in (slice(0, 7), slice(7, 31), slice(31, 50)):
        parts.update_state(y_true[rows], scores[rows], sample_weight=weights[rows])
    np.testing.assert_allclose(to_numpy(parts.result()), to_numpy(whole.result()), rtol=1e-6)
    parts.reset_state()
    assert float(to_numpy(parts.result())) == 0.0
    parts.update_state(y_true, scores, sample_weight=weights)
    np.testing.assert_allclose(to_numpy(parts.result()), to_numpy(whole.result()), rtol=1e-6)


def test_extra_leading_axes_and_half_precision_scores():
    y_true, scores = random_case(6, n=24, integer_scores=False)
    flat = metric_value(metrics.PerClassRecall, y_true, scores, k=2)
    folded = metric_value(
        metrics.PerClassRecall, y_true.reshape(4, 6, -1), scores.reshape(4, 6, -1), k=2
    )
    assert folded == pytest.approx(flat)
    half = metric_value(metrics.PerClassRecall, y_true, keras.ops.cast(scores, "float16"), k=2)
    sets = references.top_k_sets(scores.astype("float16").astype("float32"), 2)
    assert half == pytest.approx(references.report(y_true, sets)["C-R"])


@pytest.mark.parametrize("key", sorted(CLASSES))
def test_config_round_trip(key):
    metric = CLASSES[key](threshold=[0.1, 0.2], name="mine")
    clone = CLASSES[key].from_config(metric.get_config())
    assert clone.get_config() == metric.get_config()
    assert clone.threshold == (0.1, 0.2) and clone.k is None
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(metric))
    assert type(restored) is CLASSES[key]
    assert CLASSES[key]().k == 3


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"k": 0}, "`k` must be a positive int"),
        ({"k": 2.0}, "`k` must be a positive int"),
        ({"k": 2, "threshold": 0.5}, "either `k`"),
        ({"threshold": "high"}, "`threshold` must be a float"),
        ({"threshold": float("nan")}, "must be finite"),
        ({"num_labels": 0}, "`num_labels` must be"),
        ({"k": 5, "num_labels": 3}, "at most the number of labels"),
        ({"threshold": [0.1, 0.2], "num_labels": 3}, "2 per-label values"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        metrics.PerClassRecall(**kwargs)


def test_bad_inputs_name_the_argument():
    metric = metrics.OverallF1(k=1)
    with pytest.raises(ValueError, match="same shape"):
        metric.update_state(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="one weight per sample"):
        metric.update_state(np.zeros((2, 3)), np.zeros((2, 3)), sample_weight=np.ones((2, 3)))
    metric.update_state(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="built for 3 labels"):
        metric.update_state(np.zeros((2, 4)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="`batch_size`"):
        metrics.annotation_report(np.zeros((2, 3)), np.zeros((2, 3)), batch_size=0)
    with pytest.raises(ValueError, match="same shape"):
        metrics.annotation_report(np.zeros((2, 3)), np.zeros((3, 3)))


def test_top_k_labels_breaks_ties_by_lower_index_and_takes_exactly_k():
    rng = np.random.default_rng(7)
    scores = rng.integers(0, 3, size=(64, 10)).astype("float32")
    for k in (1, 4, 10):
        got = to_numpy(metrics.top_k_labels(scores, k))
        expected = np.zeros_like(got)
        for i, labels in enumerate(references.top_k_sets(scores, k)):
            expected[i, labels] = True
        np.testing.assert_array_equal(got, expected)
        assert (got.sum(axis=1) == k).all()


def test_compiled_model_shows_the_metrics_in_fit_and_evaluate():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(64, 5)).astype("float32")
    y = (x @ rng.normal(size=(5, 6)) > 0.5).astype("float32")
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(6)])
    model.compile(
        optimizer="adam",
        loss="binary_crossentropy",
        metrics=[cls(k=2) for cls in CLASSES.values()] + [metrics.MeanAveragePrecision()],
    )
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        history = model.fit(x, y, batch_size=16, epochs=1, verbose=2)
    for name in (
        "per_class_recall",
        "overall_f1",
        "n_plus",
        "exact_match",
        "mean_average_precision",
    ):
        assert name in history.history
        assert name in out.getvalue()
    results = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    scores = to_numpy(model.predict(x, verbose=0))
    expected = references.report(y, references.top_k_sets(scores, 2))
    names = {
        "C-P": "per_class_precision",
        "C-R": "per_class_recall",
        "C-F1": "per_class_f1",
        "O-P": "overall_precision",
        "O-R": "overall_recall",
        "O-F1": "overall_f1",
        "F1": "macro_f1",
        "N+": "n_plus",
        "0-1": "exact_match",
    }
    for key, name in names.items():
        np.testing.assert_allclose(results[name], expected[key], rtol=1e-5, atol=1e-6)


def test_compiled_model_with_metrics_survives_keras_round_trip(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5)])
    model.compile(
        optimizer="sgd",
        loss="mse",
        metrics=[metrics.PerClassRecall(k=2), metrics.ExactMatch(threshold=[0, 0, 0, 0, 1])],
    )
    x = np.random.default_rng(9).normal(size=(8, 4)).astype("float32")
    y = (np.random.default_rng(10).random((8, 5)) > 0.5).astype("float32")
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    before = model.evaluate(x, y, verbose=0, return_dict=True)
    after = loaded.evaluate(x, y, verbose=0, return_dict=True)
    for name in ("per_class_recall", "exact_match"):
        np.testing.assert_allclose(after[name], before[name], rtol=1e-6)


def test_nan_scores_rank_last_on_every_backend():
    """Issue 14, item 2: NaN changed the top-k decision, differently per backend. The rule:
    a NaN score ranks as -inf (ties to the lower index) and is never above a threshold."""
    rows = np.array([[np.nan, 0.2, 0.1, 0.8], [0.9, np.nan, 0.1, 0.8],
                     [np.nan, np.nan, np.nan, 0.0], [np.nan, -np.inf, 0.3, np.nan]], "float32")
    keys = np.where(np.isnan(rows), -np.inf, rows)
    for k in (1, 2, 3):
        expected = np.zeros(rows.shape, bool)
        for i, row in enumerate(keys):
            expected[i, np.argsort(-row, kind="stable")[:k]] = True
        np.testing.assert_array_equal(to_numpy(metrics.top_k_labels(rows, k)), expected)
    np.testing.assert_array_equal(to_numpy(metrics.threshold_labels(rows, 0.05)),
                                  np.nan_to_num(rows, nan=-1.0) > 0.05)
    counts = np.eye(4, dtype="float32")[[0, 1, 2, 3]]  # one, two, three, four labels
    decided = to_numpy(mk_layers.LabelCountDecision()([rows, counts]))
    for i, row in enumerate(keys):
        expected = np.zeros(4)
        expected[np.argsort(-row, kind="stable")[: i + 1]] = 1
        np.testing.assert_array_equal(decided[i], expected)


METRIC_CLASSES = (*CLASSES.values(), metrics.MeanAveragePrecision)  # every Keras metric


@pytest.mark.parametrize("cls", METRIC_CLASSES, ids=lambda c: c.__name__)
def test_a_nan_score_makes_the_metric_nan_until_reset(cls):
    """Issue 14, item 2: the metrics reported numbers for NaN scores. The rule: NaN anywhere
    in a row of nonzero weight (the decision reads the whole row) makes the result NaN."""
    y = np.array([[1, 0, -1, 0], [0, 1, 0, 1]], "float32")
    clean = np.array([[0.9, 0.1, 0.3, 0.2], [0.1, 0.8, 0.2, 0.7]], "float32")
    metric = cls()
    metric.update_state(y, clean)
    assert np.isfinite(float(metric.result()))
    dirty = clean.copy()
    dirty[0, 2] = np.nan  # an unknown label's score: still part of the decision
    metric.update_state(y, dirty)
    assert np.isnan(float(metric.result()))
    metric.update_state(y, clean)
    assert np.isnan(float(metric.result()))  # stays NaN: the state holds the NaN batch
    metric.reset_state()
    metric.update_state(y, clean)
    assert np.isfinite(float(metric.result()))
    metric.update_state(y, dirty, sample_weight=np.array([0.0, 1.0]))  # weight 0: ignored
    assert np.isfinite(float(metric.result()))
    metric.update_state(y, np.where(np.isnan(dirty), np.inf, dirty))  # inf ranks first
    assert np.isfinite(float(metric.result()))


def test_the_report_of_nan_scores_is_nan():
    y = np.array([[1, 0, 0], [0, 1, 0]], "float32")
    scores = np.array([[0.9, np.nan, 0.1], [0.1, 0.8, 0.2]], "float32")
    report = metrics.annotation_report(y, scores, k=1)
    assert all(np.isnan(report[key]) for key in metrics.REPORT_KEYS)
    assert "nan" in metrics.format_reports({"broken": report})
    per_class = metrics.per_class_scores(y, scores, k=1)
    assert all(np.isnan(per_class[key]).all() for key in ("precision", "recall", "f1"))
