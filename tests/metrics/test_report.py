"""annotation_report's companions: the upper bound, per-class scores and the table."""

import numpy as np
import pytest

from mlrank_keras import metrics
from tests.metrics import references


def test_upper_bound_labels_follow_gongs_rule():
    rng = np.random.default_rng(0)
    y_true = (rng.random((500, 9)) < 0.3).astype("float32")
    for k in (1, 3, 5):
        chosen = metrics.upper_bound_labels(y_true, k=k, seed=1)
        assert chosen.dtype == np.int32 and (chosen.sum(axis=1) == k).all()
        positives = y_true.sum(axis=1)
        hits = (chosen * y_true).sum(axis=1)
        np.testing.assert_array_equal(hits, np.minimum(positives, k))


def test_upper_bound_choices_are_uniform_and_seeded():
    # 20,000 copies of a row with 5 true labels, k=2: each is chosen with probability 2/5;
    # with 2 true labels and k=4, each of the 6 others fills with probability 2/6.
    y_true = np.tile(np.array([[1, 1, 1, 1, 1, 0, 0, 0]], dtype="float32"), (20000, 1))
    freq = metrics.upper_bound_labels(y_true, k=2, seed=3).mean(axis=0)
    np.testing.assert_allclose(freq[:5], 0.4, atol=0.015)  # sd 0.0035
    assert (freq[5:] == 0).all()
    few = np.tile(np.array([[0, 1, 0, 0, 1, 0, 0, 0]], dtype="float32"), (20000, 1))
    freq = metrics.upper_bound_labels(few, k=4, seed=3).mean(axis=0)
    np.testing.assert_allclose(freq[[0, 2, 3, 5, 6, 7]], 2 / 6, atol=0.015)
    assert freq[1] == freq[4] == 1.0
    a = metrics.upper_bound_labels(y_true[:50], k=2, seed=7)
    np.testing.assert_array_equal(a, metrics.upper_bound_labels(y_true[:50], k=2, seed=7))
    assert (a != metrics.upper_bound_labels(y_true[:50], k=2, seed=8)).any()


def test_upper_bound_report_is_the_report_of_its_labels():
    rng = np.random.default_rng(2)
    y_true = (rng.random((300, 10)) < 0.25).astype("float32")
    chosen = metrics.upper_bound_labels(y_true, k=3, seed=0)
    sets = [list(np.flatnonzero(row)) for row in chosen]
    expected = references.report(y_true, sets)
    report = metrics.upper_bound(y_true, k=3, seed=0)
    for key, value in expected.items():
        assert report[key] == pytest.approx(value, rel=1e-5, abs=1e-7), key
    # Every true label in reach is found: O-R is sum min(|P|, 3) / sum |P|.
    positives = y_true.sum(axis=1)
    assert report["O-R"] == pytest.approx(np.minimum(positives, 3).sum() / positives.sum())


def test_upper_bound_rejects_bad_k():
    with pytest.raises(ValueError, match="`k` must be an int from 1"):
        metrics.upper_bound_labels(np.zeros((2, 3)), k=4)
    with pytest.raises(ValueError, match="2-D"):
        metrics.upper_bound_labels(np.zeros(3), k=1)


def test_per_class_scores_match_the_counts():
    rng = np.random.default_rng(4)
    y_true = (rng.random((80, 6)) < 0.3).astype("float32")
    scores = rng.normal(size=(80, 6)).astype("float32")
    got = metrics.per_class_scores(y_true, scores, k=2)
    nc, np_, ng = references.counts(y_true, references.top_k_sets(scores, 2))
    np.testing.assert_allclose(got["Nc"], nc)
    np.testing.assert_allclose(got["Np"], np_)
    np.testing.assert_allclose(got["Ng"], ng)
    for j in range(6):
        assert got["precision"][j] == pytest.approx(references.ratio(nc[j], np_[j]))
        assert got["recall"][j] == pytest.approx(references.ratio(nc[j], ng[j]))
        assert got["f1"][j] == pytest.approx(references.ratio(2 * nc[j], np_[j] + ng[j]))
    report = metrics.annotation_report(y_true, scores, k=2)
    assert report["C-R"] == pytest.approx(got["recall"].mean())


def test_report_batches_do_not_change_it():
    rng = np.random.default_rng(5)
    y_true = (rng.random((103, 6)) < 0.3).astype("float32")
    scores = rng.normal(size=(103, 6)).astype("float32")
    whole = metrics.annotation_report(y_true, scores, k=2)
    small = metrics.annotation_report(y_true, scores, k=2, batch_size=10)
    for key in metrics.REPORT_KEYS:
        assert small[key] == pytest.approx(whole[key], rel=1e-6)


def test_format_reports_prints_the_papers_layout(capsys):
    reports = {
        "Softmax": {"C-R": 0.3122, "C-P": 0.3168, "N+": 80.0},
        "CNN + WARP": {"C-R": 0.356, "C-P": 0.31651, "N+": 78.0},
    }
    text = metrics.format_reports(reports, keys=("C-R", "C-P", "N+"))
    assert text.splitlines() == [
        "method        C-R    C-P  N+",
        "Softmax     31.22  31.68  80",
        "CNN + WARP  35.60  31.65  78",
    ]
    metrics.print_reports(reports, keys=("C-R",), percent=False)
    assert capsys.readouterr().out.splitlines()[1] == "Softmax     0.3122"
    with pytest.raises(ValueError, match="has no \\['O-P'\\]"):
        metrics.format_reports(reports, keys=("O-P",))


# Issue 20, item 4: the report read weights of any shape as row weights.
def _four_by_four():
    y = np.array([[1, 0, 0, 1], [0, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1]], np.float32)
    f = np.array([[0.9, 0.1, 0.3, 0.2], [0.2, 0.8, 0.7, 0.1], [0.6, 0.1, 0.9, 0.0],
                  [0.5, 0.4, 0.3, 0.2]], np.float32)
    return y, f


@pytest.mark.parametrize("shape", [(1, 4), (4, 4), (4, 5), (2, 4, 1)])
def test_report_refuses_weights_that_are_not_one_per_image(shape):
    y, f = _four_by_four()
    for fn in (metrics.annotation_report, metrics.per_class_scores):
        with pytest.raises(ValueError, match=r"sample_weight.*one weight per"):
            fn(y, f, k=2, sample_weight=np.ones(shape))
    # The metric classes agree.
    if len(shape) == 2:
        with pytest.raises(ValueError, match="one weight per sample"):
            metrics.PerClassPrecision(k=2).update_state(y, f, sample_weight=np.ones(shape))


def test_report_row_weights_of_every_allowed_shape():
    y, f = _four_by_four()
    weights = np.array([1.0, 0.0, 2.0, 1.0])
    expected = references.report(y, references.top_k_sets(f, 2), weights)
    for w in (weights, weights[:, None], list(weights)):
        got = metrics.annotation_report(y, f, k=2, sample_weight=w)
        for key, value in expected.items():
            np.testing.assert_allclose(got[key], value, rtol=1e-6, err_msg=key)
    unweighted = references.report(y, references.top_k_sets(f, 2))
    got = metrics.annotation_report(y, f, k=2, sample_weight=3.0)
    np.testing.assert_allclose(got["C-P"], unweighted["C-P"], rtol=1e-6)


def test_a_nan_label_makes_the_metrics_nan():
    """Issue 20, item 5: a NaN in y_true was read silently as unknown."""
    y, f = _four_by_four()
    y[2, 1] = np.nan
    report = metrics.annotation_report(y, f, k=2)
    assert all(np.isnan(v) for v in report.values())
    metric = metrics.PerClassRecall(k=2)
    metric.update_state(y, f)
    assert np.isnan(float(metric.result()))
    # A NaN label in a row of weight 0 counts nowhere, as a NaN score there does.
    report = metrics.annotation_report(y, f, k=2, sample_weight=[1.0, 1.0, 0.0, 1.0])
    assert np.isfinite(report["C-R"])
