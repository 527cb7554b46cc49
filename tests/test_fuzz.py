"""Fuzz suite (issue 14): generated inputs through every loss, metric and decision.

Each case is drawn from its own seed (``draw(seed)``), so a failure names the seed that
replays it: shapes with 0 rows and 1 label, ranks 1-3, float16/bfloat16/float32/float64,
exact ties, scores of 1e4 and 1e30, NaN and +-inf, unknown labels (-1) and rows with no
positive or no negative. Every result is checked against the plain-loop references or the
documented rule (README, "What happens with bad input"):

* losses: a row with NaN or +inf on a known label is NaN; -inf takes the limit (a
  positive at -inf makes an infinite loss, a negative at -inf violates nothing); a value
  beyond the compute dtype's range is inf; otherwise the reference's value. The sort-based
  losses are exact only while a row's scores spread less than ``2**24 * margin`` in
  float32 and ``2**53 * margin`` in float64 (documented): beyond, only the NaN rule;
* metrics: NaN in a row makes the metric NaN, else the reference's top-k counts;
* labels are drawn as float32 arrays, booleans and Python lists; loss classes get weights
  of one per row (accepted) and one per label (refused); label lists of widths 1-5 are read
  as indices or refused, never misread;
* decisions: a NaN score ranks last (as -inf, the lower index first at a tie) and is never
  above a threshold.
"""

import math

import keras
import numpy as np
import pytest

from mlrank_keras import layers as mk_layers
from mlrank_keras import losses, metrics
from tests.helpers import to_numpy
from tests.losses import references as ref
from tests.metrics import references as metric_ref
from tests.metrics.test_annotation import CLASSES as REPORT_CLASSES
from tests.metrics.test_annotation import METRIC_CLASSES

NUM_CASES = 40  # per loss, metric and decision
DTYPES = ("float16", "bfloat16", "float32", "float64")
SPECIALS = (1e4, -1e4, 1e30, -1e30, np.nan, np.inf, -np.inf)
COUNT_WIDTH = 4  # the label-count loss scores label counts 1..4


def bpmll_capped(y, f, cap=50.0):
    """BP-MLL as documented: ``exp(z)``, ``z = log(mean over pairs of exp(f_v - f_u))``, and
    beyond ``z = 50`` its tangent-like continuation ``e^50 (1 + z - 50)`` (finite values)."""
    out = np.zeros(y.shape[:-1])
    for idx in np.ndindex(y.shape[:-1]):
        positives, negatives = ref.split(y[idx])
        if positives and negatives:
            pairs = [f[idx][v] - f[idx][u] for u in positives for v in negatives]
            z = ref.logsumexp(pairs) - math.log(len(pairs))
            out[idx] = math.exp(z) if z <= cap else math.exp(cap) * (1.0 + z - cap)
    return out


LOSSES = {  # name: (function, keyword arguments, reference or None, sorts the scores)
    "softmax": (losses.multilabel_softmax_loss, {}, ref.softmax, False),
    "pairwise": (losses.pairwise_hinge_loss, {}, ref.pairwise, True),
    "warp_exact": (losses.warp_loss, {"rank_estimate": "exact"}, ref.warp_exact, True),
    "warp_sampled": (losses.warp_loss, {"rank_estimate": "sampled", "seed": 3}, None, True),
    "lsep": (losses.lsep_loss, {}, ref.lsep, False),
    "lsep_sampled": (losses.lsep_loss, {"num_pairs": 3, "seed": 3}, None, False),
    "bpmll": (losses.bpmll_loss, {}, bpmll_capped, False),
    "hinge_rank": (losses.hinge_rank_loss, {"num_negatives": None}, ref.hinge_rank, True),
    "hinge_rank_sampled": (losses.hinge_rank_loss, {"num_negatives": 2, "seed": 3}, None, True),
    "triplet": (losses.triplet_hinge_loss, {}, ref.triplet, True),
    "threshold_estimation": (losses.threshold_estimation_loss, {}, ref.threshold_estimation, False),
    "one_vs_all_hinge": (losses.one_vs_all_hinge_loss, {}, ref.one_vs_all_hinge, False),
    "label_count": (losses.label_count_loss, {"from_logits": True}, ref.label_count, False),
    "asymmetric": (losses.asymmetric_loss, {}, ref.asymmetric, False),
    "zlpr": (losses.multilabel_categorical_crossentropy, {}, ref.zlpr, False),
}


def computes_in_float64(dtype):
    """Whether scores of ``dtype`` are computed in float64 (half precision is computed in
    float32, and JAX computes float64 in float32 unless x64 is enabled)."""
    return dtype == "float64" and keras.backend.backend() != "jax"


def draw(seed, width=None):
    """``(y, f, dtype)``: labels and float64 scores (not yet cast) of a random case."""
    rng = np.random.default_rng(seed)
    num_labels = int(rng.choice([1, 5]))  # few shapes: JAX compiles each one
    rank = int(rng.choice([1, 2, 2, 3]))
    rows = int(rng.choice([0, 4]))
    lead = {1: (), 2: (rows,), 3: (rows, 2)}[rank]
    y = rng.choice([0.0, 1.0, -1.0], size=(*lead, num_labels), p=[0.5, 0.35, 0.15])
    if y.size and rng.random() < 0.5:  # the edge rows: no positive, no negative, one each
        flat = y.reshape(-1, num_labels)
        flat[0] = 0.0
        flat[-1] = 1.0
    f_width = num_labels if width is None else width
    if rng.random() < 0.4:  # exact ties
        f = rng.integers(-2, 3, size=(*lead, f_width)).astype("float64")
    else:
        f = 3.0 * rng.standard_normal((*lead, f_width))
    flat_f = f.reshape(-1, f_width)
    for row in flat_f:  # at most one special value of each kind in a row
        for value in rng.choice(SPECIALS, size=int(rng.integers(0, 3)), replace=False):
            row[rng.integers(f_width)] = value
    dtype = str(rng.choice(DTYPES))
    return y, f, dtype


LABEL_FORMS = ("float32", "bool", "list")


def label_form(seed, y):
    """``(labels as given, labels as meant)``: float32, boolean (unknowns become negatives:
    a boolean cannot say -1) or a Python list, drawn from the seed (apart from ``draw``)."""
    form = LABEL_FORMS[np.random.default_rng([seed, 20]).integers(len(LABEL_FORMS))]
    if form == "bool":
        return y > 0.5, (y > 0.5).astype("float64")
    if form == "list" and y.size:  # an empty list has no label axis
        return y.tolist(), y
    return y.astype("float32"), y


def cast(f, dtype):
    """The scores as the backend holds them in ``dtype``, and those values in float64 (for
    the references)."""
    tensor = keras.ops.convert_to_tensor(f, dtype=dtype)
    wide = "float64" if dtype == "float64" else "float32"
    return tensor, to_numpy(keras.ops.cast(tensor, wide)).astype("float64")


def compute_max(dtype):
    return np.finfo("float64" if computes_in_float64(dtype) else "float32").max


def expected_loss_rows(name, y, g, dtype):
    """Per row: the expected value, or None where only "not NaN" is checked."""
    _, kwargs, reference, sorts = LOSSES[name]
    num_labels = y.shape[-1]
    y2 = y.reshape(-1, num_labels)
    g2 = g.reshape(-1, g.shape[-1])
    out = []
    for labels, scores in zip(y2, g2, strict=True):
        known = labels >= 0 if name != "label_count" else np.ones(len(scores), bool)
        bad = np.isnan(scores) | (scores == np.inf)
        if np.any(bad & known):
            out.append(np.nan)
            continue
        if reference is None:
            out.append(None)
            continue
        # unknown labels' scores are ignored; -inf is a limit: a very low finite score
        clean = np.where(known, scores, 0.0)
        clean = np.where(clean == -np.inf, -1e300, clean)
        finite = clean[known & (clean > -1e300)]
        spread = finite.max() - finite.min() if finite.size else 0.0
        mantissa_bits = 52 if computes_in_float64(dtype) else 23
        if sorts and spread >= 2.0**mantissa_bits * kwargs.get("margin", 1.0):
            out.append(None)  # the documented limit of the sort codes (float32, float64)
            continue
        try:
            value = float(reference(labels[None], clean[None])[0])
        except OverflowError:  # beyond float64: inf in any dtype
            value = np.inf
        out.append(np.inf if abs(value) > min(compute_max(dtype), 1e200) else value)
    return out, max(float(np.abs(np.where(np.isfinite(g2), g2, 0)).max(initial=0)), 1.0)


@pytest.mark.parametrize("name", list(LOSSES))
def test_losses_follow_the_references_and_the_rules(name):
    fn, kwargs, _, _ = LOSSES[name]
    for seed in range(NUM_CASES):
        y, f, dtype = draw(seed, width=COUNT_WIDTH if name == "label_count" else None)
        scores, g = cast(f, dtype)
        given, y = label_form(seed, y)
        got = to_numpy(fn(given, scores, **kwargs))
        where = f"{name}, seed {seed}, dtype {dtype}, shape {y.shape}, labels {type(given)}"
        assert got.shape == y.shape[:-1], where
        expected, scale = expected_loss_rows(name, y, g, dtype)
        for value, want in zip(got.reshape(-1), expected, strict=True):
            if want is None:
                assert not np.isnan(value) or np.isnan(g).any(), where
            elif np.isnan(want) or np.isinf(want):
                np.testing.assert_equal(value, want, err_msg=where)
            else:
                eps = 1e-12 if computes_in_float64(dtype) else 1e-6
                tolerance = 10 * eps * scale * y.shape[-1] ** 2
                assert abs(value - want) <= tolerance + 1e-4 * abs(want), (where, value, want)


def metric_expected(cls, y, g, k):
    """The reference value of a top-k metric for float64 scores ``g`` (no NaN)."""
    y2, g2 = y.reshape(-1, y.shape[-1]), g.reshape(-1, g.shape[-1])
    if cls is metrics.MeanAveragePrecision:
        return None  # binned: checked for the NaN rule only
    report = metric_ref.report(y2, metric_ref.top_k_sets(g2, k))
    key = {v: key for key, v in REPORT_CLASSES.items()}[cls]
    return report[key]


@pytest.mark.parametrize("cls", METRIC_CLASSES, ids=lambda c: c.__name__)
def test_metrics_follow_the_references_and_the_nan_rule(cls):
    for seed in range(NUM_CASES):
        y, f, dtype = draw(1000 + seed)
        k = 1 + seed % min(3, y.shape[-1])
        scores, g = cast(f, dtype)
        metric = cls() if cls is metrics.MeanAveragePrecision else cls(k=k)
        given, y = label_form(1000 + seed, y)
        metric.update_state(given, scores)
        got = float(to_numpy(metric.result()))
        where = f"{cls.__name__}, seed {1000 + seed}, dtype {dtype}, shape {y.shape}, k {k}"
        if np.isnan(g).any():
            assert np.isnan(got), where
            continue
        want = metric_expected(cls, y, g, k)
        if want is None:
            assert np.isfinite(got), where
        else:
            assert got == pytest.approx(want, abs=1e-6), where


LOSS_CLASSES = {
    "softmax": losses.MultilabelSoftmaxLoss,
    "pairwise": losses.PairwiseHingeLoss,
    "warp_exact": losses.WARPLoss,
    "lsep": losses.LSEPLoss,
    "bpmll": losses.BPMLLLoss,
    "hinge_rank": losses.HingeRankLoss,
    "triplet": losses.TripletHingeLoss,
    "threshold_estimation": losses.ThresholdEstimationLoss,
    "one_vs_all_hinge": losses.OneVsAllHingeLoss,
    "asymmetric": losses.AsymmetricLoss,
    "zlpr": losses.MultilabelCategoricalCrossentropy,
}
WEIGHT_SHAPES = ("rows", "rows_1", "scalar", "labels", "one_by_labels", "rows_plus_one")


def draw_weights(seed, rows, num_labels):
    """A ``sample_weight`` of a drawn shape, and whether it is one weight per row."""
    rng = np.random.default_rng([seed, 4])
    kind = WEIGHT_SHAPES[rng.integers(len(WEIGHT_SHAPES))]
    shape = {"rows": (rows,), "rows_1": (rows, 1), "scalar": (), "labels": (rows, num_labels),
             "one_by_labels": (1, num_labels), "rows_plus_one": (rows, num_labels, 1)}[kind]
    # With one label, (rows, 1) and (1, 1) are one weight per row as well.
    per_row = kind in ("rows", "rows_1", "scalar") or (
        kind in ("labels", "one_by_labels") and num_labels == 1
    )
    return rng.uniform(0.0, 2.0, shape), per_row, kind


@pytest.mark.parametrize("name", list(LOSS_CLASSES))
def test_loss_classes_take_row_weights_and_refuse_per_label_weights(name):
    """Issue 20, item 4: per-label weights were broadcast against the per-row losses."""
    _, kwargs, reference, _ = LOSSES[name]
    for seed in range(NUM_CASES // 2):
        rng = np.random.default_rng([seed, 3000])
        rows, num_labels = int(rng.integers(1, 5)), int(rng.choice([1, 2, 3, 5]))
        y = rng.choice([0.0, 1.0, -1.0], size=(rows, num_labels), p=[0.5, 0.35, 0.15])
        f = rng.standard_normal((rows, num_labels))
        weights, per_row, kind = draw_weights(seed, rows, num_labels)
        given, y = label_form(3000 + seed, y)
        loss = LOSS_CLASSES[name](**kwargs)
        where = f"{name}, seed {seed}, weights {kind} {weights.shape}, labels {type(given)}"
        if not per_row:
            with pytest.raises(ValueError, match="one weight per sample"):
                loss(given, f.astype("float32"), sample_weight=weights.astype("float32"))
            continue
        got = float(to_numpy(loss(given, f.astype("float32"),
                                  sample_weight=weights.astype("float32"))))
        per_sample = reference(y, f)
        want = float(np.mean(per_sample * np.broadcast_to(weights.reshape(-1)
                                                          if weights.ndim else weights, (rows,))))
        assert got == pytest.approx(want, rel=1e-4, abs=1e-5), where


def test_label_lists_of_every_width_are_read_or_refused_never_misread():
    """Issue 20, item 2: multi-hot lists of one or two labels were read as indices."""
    from mlrank_keras.data.label_rows import label_matrix, multi_hot

    for seed in range(NUM_CASES):
        rng = np.random.default_rng([seed, 5000])
        rows, num_labels = int(rng.integers(1, 6)), int(rng.choice([1, 2, 3, 5]))
        y = rng.choice([0, 1, -1], size=(rows, num_labels), p=[0.45, 0.45, 0.1])
        where = f"seed {seed}, y {y.tolist()}"
        with pytest.raises(ValueError, match="look like multi-hot rows"):
            label_matrix(y.tolist(), num_labels=num_labels)
        with pytest.raises(ValueError, match="look like multi-hot rows"):
            label_matrix((y > 0).tolist(), num_labels=num_labels)  # booleans
        indices = [np.flatnonzero(row > 0).tolist() for row in y]
        if all(len(row) == num_labels for row in indices):  # every image has every label
            with pytest.raises(ValueError, match="look like multi-hot rows"):
                label_matrix(indices, num_labels=num_labels)
            continue
        matrix, _, dense = label_matrix(indices, num_labels=num_labels)
        assert not dense, where
        import tensorflow as tf

        got = np.stack([multi_hot(tf.constant(row), num_labels).numpy() for row in matrix])
        np.testing.assert_array_equal(got, (y > 0).astype("float32"), err_msg=where)


def reference_top_k(g, k):
    keys = np.where(np.isnan(g), -np.inf, g)
    decided = np.zeros(keys.shape, bool)
    for i, row in enumerate(keys):
        decided[i, metric_ref.top_k_sets([row], k)[0]] = True
    return decided


def test_decisions_follow_the_nan_rule():
    for seed in range(NUM_CASES):
        y, f, dtype = draw(2000 + seed)
        scores, g = cast(f, dtype)
        num_labels = g.shape[-1]
        g2 = g.reshape(-1, num_labels)
        where = f"seed {2000 + seed}, dtype {dtype}, shape {g.shape}"
        for k in range(1, min(3, num_labels) + 1):
            got = to_numpy(metrics.top_k_labels(scores, k)).reshape(-1, num_labels)
            np.testing.assert_array_equal(got, reference_top_k(g2, k), err_msg=where)
            layer = to_numpy(mk_layers.TopKDecision(k=k)(scores)).reshape(-1, num_labels)
            np.testing.assert_array_equal(layer, reference_top_k(g2, k), err_msg=where)
        threshold = 0.5
        got = to_numpy(metrics.threshold_labels(scores, threshold)).reshape(-1, num_labels)
        with np.errstate(invalid="ignore"):
            np.testing.assert_array_equal(
                got, np.nan_to_num(g2, nan=-np.inf) > threshold, err_msg=where
            )
        if g2.shape[0] and scores.ndim == 2:
            counts = np.eye(num_labels, dtype="float32")[np.arange(len(g2)) % num_labels]
            decided = to_numpy(mk_layers.LabelCountDecision()([scores, counts]))
            for i, row in enumerate(g2):
                expected = reference_top_k(row[None], i % num_labels + 1)[0]
                np.testing.assert_array_equal(decided[i] > 0.5, expected, err_msg=where)


def test_the_draws_cover_what_the_issue_lists():
    """The generator itself: every kind of input the fuzz suite promises comes up."""
    seen = {
        "zero_rows": 0,
        "one_label": 0,
        "ranks": set(),
        "dtypes": set(),
        "nan": 0,
        "inf": 0,
        "minus_inf": 0,
        "1e30": 0,
        "1e4": 0,
        "unknown": 0,
        "ties": 0,
    }
    for seed in range(NUM_CASES):
        y, f, dtype = draw(seed)
        seen["zero_rows"] += y.size == 0
        seen["one_label"] += y.shape[-1] == 1
        seen["ranks"].add(y.ndim)
        seen["dtypes"].add(dtype)
        seen["nan"] += np.isnan(f).any()
        seen["inf"] += (f == np.inf).any()
        seen["minus_inf"] += (f == -np.inf).any()
        seen["1e30"] += (np.abs(f) == 1e30).any()
        seen["1e4"] += (np.abs(f) == 1e4).any()
        seen["unknown"] += (y < 0).any()
        finite = f[np.isfinite(f)]
        seen["ties"] += finite.size != np.unique(finite).size
    forms = {type(label_form(seed, np.zeros((1, 2)))[0]).__name__ for seed in range(NUM_CASES)}
    assert forms == {"ndarray", "list"}  # float32 and bool are both arrays
    assert {str(label_form(seed, np.zeros((1, 2)))[0].dtype) for seed in range(NUM_CASES)
            if isinstance(label_form(seed, np.zeros((1, 2)))[0], np.ndarray)} == {
        "float32", "bool"}
    kinds = {draw_weights(seed, 3, 2)[2] for seed in range(NUM_CASES // 2)}
    assert kinds == set(WEIGHT_SHAPES), kinds
    assert seen.pop("ranks") == {1, 2, 3}
    assert seen.pop("dtypes") == set(DTYPES)
    assert all(count > 0 for count in seen.values()), seen
