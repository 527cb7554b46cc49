"""Behaviour every multilabel loss shares, checked against the plain-loop references."""

import keras
import numpy as np
import pytest

from mlrank_keras import losses
from tests.helpers import finite_difference, to_numpy, value_and_gradient
from tests.losses import references as ref

# name: (plain function, class, keyword arguments, numpy reference or None if random)
CASES = {
    "softmax": (losses.multilabel_softmax_loss, losses.MultilabelSoftmaxLoss, {}, ref.softmax),
    "pairwise": (losses.pairwise_hinge_loss, losses.PairwiseHingeLoss, {}, ref.pairwise),
    "pairwise_m0.3": (
        losses.pairwise_hinge_loss,
        losses.PairwiseHingeLoss,
        {"margin": 0.3},
        lambda y, f: ref.pairwise(y, f, margin=0.3),
    ),
    "warp_exact": (
        losses.warp_loss,
        losses.WARPLoss,
        {"rank_estimate": "exact"},
        ref.warp_exact,
    ),
    "warp_exact_m2": (
        losses.warp_loss,
        losses.WARPLoss,
        {"rank_estimate": "exact", "margin": 2.0},
        lambda y, f: ref.warp_exact(y, f, margin=2.0),
    ),
    "lsep": (losses.lsep_loss, losses.LSEPLoss, {}, ref.lsep),
    "bpmll": (losses.bpmll_loss, losses.BPMLLLoss, {}, ref.bpmll),
    "warp_sampled": (
        losses.warp_loss,
        losses.WARPLoss,
        {"rank_estimate": "sampled", "seed": 7},
        None,
    ),
    "lsep_sampled": (losses.lsep_loss, losses.LSEPLoss, {"num_pairs": 5, "seed": 7}, None),
    "hinge_rank": (
        losses.hinge_rank_loss,
        losses.HingeRankLoss,
        {"num_negatives": None},
        ref.hinge_rank,
    ),
    "hinge_rank_sampled": (
        losses.hinge_rank_loss,
        losses.HingeRankLoss,
        {"num_negatives": 3, "seed": 7},
        None,
    ),
    "triplet": (losses.triplet_hinge_loss, losses.TripletHingeLoss, {}, ref.triplet),
    "threshold_estimation": (
        losses.threshold_estimation_loss,
        losses.ThresholdEstimationLoss,
        {},
        ref.threshold_estimation,
    ),
    "one_vs_all_hinge": (
        losses.one_vs_all_hinge_loss,
        losses.OneVsAllHingeLoss,
        {},
        ref.one_vs_all_hinge,
    ),
    # The focusing weights differentiated (the values are the same either way).
    "asymmetric": (
        losses.asymmetric_loss,
        losses.AsymmetricLoss,
        {"detach_focusing": False},
        ref.asymmetric,
    ),
    "asymmetric_g1_noclip": (
        losses.asymmetric_loss,
        losses.AsymmetricLoss,
        {"gamma_pos": 1.0, "gamma_neg": 2.0, "clip": 0.0, "detach_focusing": False},
        lambda y, f: ref.asymmetric(y, f, gamma_pos=1.0, gamma_neg=2.0, clip=0.0),
    ),
    "zlpr": (
        losses.multilabel_categorical_crossentropy,
        losses.MultilabelCategoricalCrossentropy,
        {},
        ref.zlpr,
    ),
    # Scores of COUNT_WIDTH label counts (logits), targets of any number of labels.
    "label_count": (
        losses.label_count_loss,
        losses.LabelCountLoss,
        {"from_logits": True},
        lambda y, f: ref.label_count(y, f[..., :COUNT_WIDTH]),
    ),
}
EXACT = [name for name, case in CASES.items() if case[3] is not None]
# The ranking losses: a row with no positive or no negative gives 0, and a shared offset of
# the scores changes nothing. The others score each known label on its own (the SVM hinge,
# the threshold loss, ASL), against a fixed threshold of 0 (ZLPR) or the label count.
POINTWISE = ("threshold_estimation", "one_vs_all_hinge", "label_count", "asymmetric",
             "asymmetric_g1_noclip", "zlpr")
RANKING = [name for name in CASES if name not in POINTWISE]
COUNT_WIDTH = 4


def pred(name, f):
    """The scores a loss takes: the label-count loss scores COUNT_WIDTH counts."""
    return f[..., :COUNT_WIDTH] if name == "label_count" else f


def width(name, num_labels):
    return COUNT_WIDTH if name == "label_count" else num_labels


def random_batch(rng, batch=8, num_labels=13, integer_scores=False):
    """Targets with positives, negatives, unknown labels (-1) and the edge rows."""
    y = (rng.random((batch, num_labels)) < 0.35).astype("float32")
    y[rng.random((batch, num_labels)) < 0.1] = -1.0
    y[0] = 0.0  # no positive
    y[1] = 1.0  # no negative
    y[2] = -1.0  # nothing known
    y[3, :] = 0.0
    y[3, 0] = 1.0  # exactly one positive
    if integer_scores:  # many exact ties at margin 1
        f = rng.integers(-3, 4, size=(batch, num_labels)).astype("float32")
    else:
        f = (2.0 * rng.standard_normal((batch, num_labels))).astype("float32")
    return y, f


@pytest.mark.parametrize("name", EXACT)
@pytest.mark.parametrize("integer_scores", [False, True])
def test_values_match_reference(name, integer_scores):
    fn, _, kwargs, reference = CASES[name]
    y, f = random_batch(np.random.default_rng(0), integer_scores=integer_scores)
    np.testing.assert_allclose(to_numpy(fn(y, pred(name, f), **kwargs)), reference(y, f),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", EXACT)
def test_values_on_more_label_axes(name):
    """Labels on the last axis; any leading axes are per-sample axes."""
    fn, _, kwargs, reference = CASES[name]
    y, f = random_batch(np.random.default_rng(1), batch=12)
    y, f = y.reshape(3, 4, 13), f.reshape(3, 4, 13)
    out = to_numpy(fn(y, pred(name, f), **kwargs))
    assert out.shape == (3, 4)
    np.testing.assert_allclose(out, reference(y, f), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", EXACT)
def test_gradient_matches_finite_differences(name):
    fn, _, kwargs, reference = CASES[name]
    rng = np.random.default_rng(2)
    y, _ = random_batch(rng, batch=6, num_labels=7)
    f = rng.standard_normal((6, width(name, 7))).astype("float32")

    def total(x):
        return keras.ops.sum(fn(y, x, **kwargs))

    _, grad = value_and_gradient(total, f)
    expected = finite_difference(lambda x: reference(y, x).sum(), f)
    np.testing.assert_allclose(grad, expected, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("name", RANKING)
def test_rows_without_positive_or_negative_give_zero_and_zero_gradient(name):
    fn, _, kwargs, _ = CASES[name]
    y = np.array([[0, 0, 0, 0], [1, 1, 1, 1], [-1, -1, -1, -1], [1, 1, -1, -1],
                  [0, -1, 0, -1]], dtype="float32")
    f = np.random.default_rng(3).standard_normal(y.shape).astype("float32")
    value, grad = value_and_gradient(lambda x: keras.ops.sum(fn(y, x, **kwargs)), f)
    assert value == 0.0
    np.testing.assert_array_equal(grad, np.zeros_like(f))


@pytest.mark.parametrize("name", EXACT)
def test_unknown_labels_take_no_part(name):
    """A row with -1 columns scores like the same row with those columns deleted."""
    fn, _, kwargs, _ = CASES[name]
    rng = np.random.default_rng(4)
    y = np.array([[1, 0, -1, 0, 1, -1, 0]], dtype="float32")
    f = rng.standard_normal(y.shape).astype("float32")
    keep = y[0] >= 0
    if name == "label_count":  # an unknown label is no positive: it counts as a negative
        f = f[:, :COUNT_WIDTH]
        np.testing.assert_allclose(to_numpy(fn(y, f, **kwargs)),
                                   to_numpy(fn(np.maximum(y, 0), f, **kwargs)), rtol=1e-6)
        return
    with_unknown = to_numpy(fn(y, f, **kwargs))
    f_other = f.copy()
    f_other[0, ~keep] = [50.0, -50.0]
    np.testing.assert_allclose(to_numpy(fn(y, f_other, **kwargs)), with_unknown, rtol=1e-6)
    np.testing.assert_allclose(to_numpy(fn(y[:, keep], f[:, keep], **kwargs)), with_unknown,
                               rtol=1e-6)


@pytest.mark.parametrize("name", list(CASES))
def test_scores_of_1e4_give_finite_values_and_gradients(name):
    fn, _, kwargs, reference = CASES[name]
    rng = np.random.default_rng(5)
    y, _ = random_batch(rng, batch=6, num_labels=9)
    f = (1e4 * rng.choice([-1.0, 1.0], size=y.shape) + rng.standard_normal(y.shape))
    f = pred(name, f.astype("float32"))
    value, grad = value_and_gradient(lambda x: keras.ops.sum(fn(y, x, **kwargs)), f)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    if reference is not None and name != "bpmll":  # BP-MLL's exact value is e^20000
        np.testing.assert_allclose(to_numpy(fn(y, f, **kwargs)), reference(y, f), rtol=1e-5)
    if name not in RANKING and name != "label_count":
        return  # a pointwise loss depends on the scores themselves, not their differences
    # A shared offset changes nothing, up to float32 rounding of the shifted scores
    # themselves (their spacing near 2e4 is 0.002).
    shifted = f + 1e4
    np.testing.assert_allclose(to_numpy(fn(y, shifted, **kwargs)), to_numpy(fn(y, f, **kwargs)),
                               rtol=1e-4, atol=0.05)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("name", list(CASES))
def test_half_precision_inputs(name, dtype):
    fn, _, kwargs, reference = CASES[name]
    y, f = random_batch(np.random.default_rng(6), batch=6, num_labels=9)
    f = pred(name, f)
    f_half = keras.ops.cast(f, dtype)
    out = fn(y, f_half, **kwargs)
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    value, grad = value_and_gradient(lambda x: keras.ops.sum(fn(y, x, **kwargs)), f, dtype)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    if reference is not None:
        rounded = to_numpy(keras.ops.cast(f_half, "float32"))
        np.testing.assert_allclose(to_numpy(out), reference(y, rounded), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", EXACT)
def test_class_reduction_and_sample_weight(name):
    fn, cls, kwargs, reference = CASES[name]
    y, f = random_batch(np.random.default_rng(7))
    f = pred(name, f)
    weights = np.linspace(0.0, 2.0, len(y)).astype("float32")
    per_sample = reference(y, f)
    loss = cls(**kwargs)
    np.testing.assert_allclose(float(loss(y, f)), per_sample.mean(), rtol=1e-5)
    np.testing.assert_allclose(float(loss(y, f, sample_weight=weights)),
                               (per_sample * weights).sum() / len(y), rtol=1e-5)
    summed = cls(reduction="sum", **kwargs)
    np.testing.assert_allclose(float(summed(y, f)), per_sample.sum(), rtol=1e-5)
    unreduced = cls(reduction=None, **kwargs)
    np.testing.assert_allclose(to_numpy(unreduced(y, f)), per_sample, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", list(CASES))
def test_config_round_trip(name):
    _, cls, kwargs, _ = CASES[name]
    loss = cls(reduction="sum", name="my_loss", dtype="float32", **kwargs)
    config = loss.get_config()
    for key, value in kwargs.items():
        assert config[key] == value
    snapshot = dict(config)
    clone = cls.from_config(config)
    assert config == snapshot  # from_config leaves its input alone
    assert clone.get_config() == config
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(restored) is cls and restored.get_config() == config


def _toy_problem(num_labels=6, n=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 8)).astype("float32")
    w = rng.standard_normal((8, num_labels)).astype("float32")
    y = (x @ w > 0.5).astype("float32")
    return x, y


def _toy_model(num_labels, seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((8,)), keras.layers.Dense(num_labels)])


@pytest.mark.parametrize("name", list(CASES))
def test_compile_and_fit_learns(name):
    _, cls, kwargs, _ = CASES[name]
    x, y = _toy_problem()
    model = _toy_model(width(name, y.shape[1]))
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=cls(**kwargs))
    history = model.fit(x, y, batch_size=32, epochs=6, verbose=0).history["loss"]
    assert np.all(np.isfinite(history))
    # The label count is a coarse function of the features: it falls, less far.
    assert history[-1] < (0.9 if name == "label_count" else 0.7) * history[0]


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
@pytest.mark.parametrize("name", list(CASES))
def test_fit_under_mixed_precision(name, policy):
    _, cls, kwargs, _ = CASES[name]
    keras.config.set_dtype_policy(policy)
    x, y = _toy_problem()
    model = _toy_model(width(name, y.shape[1]))
    assert keras.backend.standardize_dtype(model.outputs[0].dtype) != "float32"
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=cls(**kwargs))
    history = model.fit(x, y, batch_size=32, epochs=2, verbose=0).history["loss"]
    assert np.all(np.isfinite(history))


@pytest.mark.parametrize("name", list(CASES))
def test_keras_file_round_trip(name, tmp_path):
    _, cls, kwargs, _ = CASES[name]
    x, y = _toy_problem(n=64)
    model = _toy_model(width(name, y.shape[1]))
    model.compile(optimizer="adam", loss=cls(**kwargs))
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.loss) is cls
    assert loaded.loss.get_config() == model.loss.get_config()
    np.testing.assert_allclose(to_numpy(loaded.predict(x, verbose=0)),
                               to_numpy(model.predict(x, verbose=0)), rtol=1e-6)


@pytest.mark.parametrize("name", [name for name in CASES if name != "label_count"])
def test_shape_mismatch_is_a_clear_error(name):
    fn, _, kwargs, _ = CASES[name]
    with pytest.raises(ValueError, match=r"y_true.shape=\(2, 3\), y_pred.shape=\(2, 4\)"):
        fn(np.zeros((2, 3)), np.zeros((2, 4)), **kwargs)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: losses.PairwiseHingeLoss(margin=-1.0), "margin=-1.0"),
        (lambda: losses.WARPLoss(margin="wide"), "margin='wide'"),
        (lambda: losses.WARPLoss(rank_estimate="approx"), "rank_estimate='approx'"),
        (lambda: losses.WARPLoss(seed=1.5), "seed=1.5"),
        (lambda: losses.LSEPLoss(num_pairs=0), "num_pairs=0"),
        (lambda: losses.LSEPLoss(num_pairs=2.5), "num_pairs=2.5"),
        (lambda: losses.WARPLoss(seed=keras.random.SeedGenerator(1)), "must be None or an int"),
    ],
)
def test_bad_arguments_are_clear_errors(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        make()


def test_sort_codes_order_keys_down_and_positives_first_at_ties():
    """Code order is the lexicographic order (key descending, positive before negative),
    unknown labels last; checked pair by pair, with ties, -0.0, huge values and -inf."""
    from mlrank_keras.losses.sorting import sort_codes as _sort_codes

    rng = np.random.default_rng(11)
    keys = -rng.integers(0, 4, size=(3, 40)).astype("float32") / 2.0
    keys[:, :4] = [-0.0, 0.0, -3e38, -np.inf]
    kind = rng.integers(0, 3, size=keys.shape)  # 0 unknown, 1 positive, 2 negative
    pos, neg = (kind == 1).astype("float32"), (kind == 2).astype("float32")
    codes = to_numpy(_sort_codes(keys, pos, neg))
    for row in range(keys.shape[0]):
        for i in range(keys.shape[1]):
            for j in range(keys.shape[1]):
                a, b = (keys[row, i], kind[row, i]), (keys[row, j], kind[row, j])
                if a[1] == 0 or b[1] == 0:
                    if a[1] == 0 and b[1] != 0:
                        assert codes[row, i] > codes[row, j]
                    continue
                before = a[0] > b[0] or (a[0] == b[0] and a[1] < b[1])
                assert (codes[row, i] < codes[row, j]) == before


def test_take_rows_matches_take_along_axis():
    from mlrank_keras.losses.kernels import take_rows

    rng = np.random.default_rng(12)
    x = rng.standard_normal((2, 3, 7)).astype("float32")
    idx = rng.integers(0, 7, size=(2, 3, 5))
    np.testing.assert_array_equal(to_numpy(take_rows(x, idx)), np.take_along_axis(x, idx, -1))


@pytest.mark.parametrize("name", EXACT)
def test_keras_masks_leave_out_the_masked_samples(name):
    """A ``Masking`` layer's mask reaches the loss: masked time steps take no part, and the
    loss is the mean of the reference over the unmasked ones."""
    rng = np.random.default_rng(13)
    batch, steps, num_labels = 4, 5, 7
    y = np.stack([random_batch(rng, batch=steps, num_labels=num_labels)[0]
                  for _ in range(batch)])
    x = rng.standard_normal((batch, steps, 5)).astype("float32")
    masked = rng.random((batch, steps)) < 0.4
    masked[0] = [True, False, False, True, False]
    x[masked] = 0.0
    _, cls, kwargs, reference = CASES[name]
    keras.utils.set_random_seed(0)
    inputs = keras.Input((steps, 5))
    scores = keras.layers.Dense(width(name, num_labels))(keras.layers.Masking(0.0)(inputs))
    model = keras.Model(inputs, scores)
    model.compile(loss=cls(**kwargs))
    f = to_numpy(model.predict(x, verbose=0))
    expected = reference(y, f)[~masked].mean()
    got = model.evaluate(x, y, batch_size=batch, verbose=0)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", list(CASES))
def test_a_batch_of_no_rows_gives_an_empty_result(name):
    """Issue 14, item 7: 0 rows crashed with internal messages on every backend."""
    fn, cls, kwargs, _ = CASES[name]
    y = np.zeros((0, 5), "float32")
    f = pred(name, np.zeros((0, 5), "float32"))
    out = to_numpy(fn(y, f, **kwargs))
    assert out.shape == (0,)
    # Keras's own reduction hands an empty batch back as it is.
    assert np.isfinite(to_numpy(cls(reduction="sum", **kwargs)(y, f))).all()


@pytest.mark.parametrize("name", EXACT)
def test_float64_scores(name):
    """Issue 14, item 8: float64 crashed the sort-based losses on TensorFlow and PyTorch."""
    fn, _, kwargs, reference = CASES[name]
    y, f = random_batch(np.random.default_rng(14))
    f = pred(name, f.astype("float64"))
    np.testing.assert_allclose(to_numpy(fn(y, f, **kwargs)), reference(y, f), rtol=1e-5,
                               atol=1e-5)


@pytest.mark.parametrize("name", list(CASES))
def test_rank_1_and_rank_3_inputs_are_rows(name):
    """Issue 14, item 10: sampled WARP and LSEP refused rank-1 and rank-3 inputs."""
    fn, _, kwargs, _ = CASES[name]
    y, f = random_batch(np.random.default_rng(15), batch=6)
    f = pred(name, f)
    rows = to_numpy(fn(y, f, **kwargs))
    one = to_numpy(fn(y[4], f[4], **kwargs))
    assert one.shape == ()
    np.testing.assert_allclose(one, to_numpy(fn(y[4:5], f[4:5], **kwargs))[0], rtol=1e-6)
    three = to_numpy(fn(y.reshape(2, 3, -1), f.reshape(2, 3, -1), **kwargs))
    assert three.shape == (2, 3)
    np.testing.assert_allclose(three.reshape(-1), rows, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", [name for name in EXACT if name != "label_count"])
def test_a_known_negative_at_minus_inf_takes_its_limit(name):
    """Issue 14, item 6: a known negative scored -inf gave NaN (pairwise should be 1.5)."""
    fn, _, kwargs, reference = CASES[name]
    y = np.array([[1, 0, 0, 0], [1, 0, 1, 0], [0, 1, 0, -1]], "float32")
    f = np.array([[0.5, 1, -2, -np.inf], [0.3, -np.inf, 2.0, 0.1],
                  [-np.inf, 0.2, -1.0, 0.7]], "float32")
    value, grad = value_and_gradient(lambda x: keras.ops.sum(fn(y, x, **kwargs)), f)
    np.testing.assert_allclose(to_numpy(fn(y, f, **kwargs)), reference(y, f), rtol=1e-5)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    if name.startswith("pairwise") and "m0.3" not in name:
        assert to_numpy(fn(y[:1], f[:1], **kwargs))[0] == pytest.approx(1.5)


@pytest.mark.parametrize("name", list(CASES))
def test_nan_or_plus_inf_on_a_known_label_makes_that_row_nan(name):
    """The rule for non-finite scores, the same on every backend: NaN or +inf on a known
    label gives NaN for that row only; on an unknown label (-1) it is ignored."""
    fn, _, kwargs, _ = CASES[name]
    y, f = random_batch(np.random.default_rng(16), batch=6)
    f = pred(name, f)
    clean = to_numpy(fn(y, f, **kwargs))
    for bad in (np.nan, np.inf):
        g = f.copy()
        g[4, 1] = bad
        out = to_numpy(fn(y, g, **kwargs))
        assert np.isnan(out[4])
        others = np.arange(len(y)) != 4
        if not name.endswith("sampled"):  # the draws depend on every score
            np.testing.assert_allclose(out[others], clean[others], rtol=1e-6)
    if name != "label_count":
        z, g = y.copy(), f.copy()
        z[5, 2], g[5, 2] = -1.0, np.nan
        reference = fn(z, np.where(np.isnan(g), 0.0, g).astype("float32"), **kwargs)
        if not name.endswith("sampled"):
            np.testing.assert_allclose(to_numpy(fn(z, g, **kwargs)), to_numpy(reference),
                                       rtol=1e-6)


def test_scores_whose_sum_overflows_are_not_called_non_finite():
    """The rule's quick test sums each row, and a sum of large finite scores overflows to
    inf: the full test then runs and finds nothing. Softmax over (a, a, -a) with the
    first label positive is log(2 + exp(-2a)) = log 2 (no NaN); a NaN in another row of
    the same batch still makes that row NaN."""
    big = 3e38
    y = np.array([[1, 0, 0], [1, 0, 0]], "float32")
    f = np.array([[big, big, -big], [0.0, np.nan, 1.0]], "float32")
    out = to_numpy(losses.multilabel_softmax_loss(y, f))
    np.testing.assert_allclose(out[0], np.log(2.0), rtol=1e-6)
    assert np.isnan(out[1])


@pytest.mark.skipif(keras.backend.backend() == "jax", reason="JAX computes float64 in float32")
@pytest.mark.parametrize("name", ["pairwise", "warp_exact", "triplet"])
def test_scores_spread_beyond_float32_are_exact_in_float64(name):
    """Issue 14, item 5: in float32, ``f_u - margin`` is ``f_u`` once scores spread beyond
    about 2**24, so the sort-based losses are documented exact below that; float64 scores
    are exact far beyond it."""
    fn, _, kwargs, reference = CASES[name]
    y = np.array([[1, 0, 1, 0, 0, 1]], "float64")
    f = np.array([[3e7, 3e7 - 0.5, 1e7, 3e7 + 0.25, -2e7, 1e7 + 0.5]], "float64")
    np.testing.assert_allclose(to_numpy(fn(y, f, **kwargs)), reference(y, f), rtol=1e-12)


@pytest.mark.parametrize("name", [name for name in CASES if "seed" in CASES[name][2]])
@pytest.mark.parametrize("num_pairs", [None, 100])
def test_a_sampled_loss_object_is_called_again_and_again(name, num_pairs):
    """Issue 14, item 9: LSEPLoss(num_pairs=100, seed=1) failed from its second call on JAX
    (a SeedGenerator advanced inside a traced branch), even when no row needed sampling."""
    _, cls, kwargs, _ = CASES[name]
    if name == "lsep_sampled" and num_pairs is not None:
        kwargs = {**kwargs, "num_pairs": num_pairs}
    y, f = random_batch(np.random.default_rng(17))
    loss = cls(**kwargs)
    values = [float(loss(y, f)) for _ in range(3)]
    assert np.all(np.isfinite(values))
    assert float(cls(**kwargs)(y, f)) == pytest.approx(values[0])  # the seed replays


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="only TensorFlow traces unknown dimensions"
)
@pytest.mark.parametrize("name", CASES)
def test_a_graph_of_unknown_width_gives_the_eager_value(name):
    """Issue 14, item 11: in a tf.function with input_signature [None, None], pairwise,
    WARP and triplet raised OperatorNotAllowedInGraphError, sampled WARP an int32/int64
    TypeError, and HingeRankLoss(num_negatives=40) "Had 9, needed 40" on fewer labels."""
    import tensorflow as tf

    _, cls, kwargs, reference = CASES[name]
    if name == "hinge_rank_sampled":
        kwargs = {**kwargs, "num_negatives": 40}  # more than the row's labels: all of them
        reference = ref.hinge_rank
    y, f = random_batch(np.random.default_rng(5))
    loss = cls(**kwargs)
    spec = tf.TensorSpec([None, None], "float32")

    @tf.function(input_signature=[spec, spec])
    def value_and_grad(y_true, y_pred):
        with tf.GradientTape() as tape:
            tape.watch(y_pred)
            value = loss(y_true, y_pred)
        return value, tape.gradient(value, y_pred)

    value, grad = value_and_grad(tf.constant(y), tf.constant(pred(name, f)))
    assert np.isfinite(float(value)) and np.all(np.isfinite(grad.numpy()))
    if reference is not None:
        assert float(value) == pytest.approx(float(np.mean(reference(y, pred(name, f)))), rel=1e-5)


# Issue 20, items 4, 5 and 6: per-label weights, boolean and NaN labels, float64 through the
# classes, and WARP's rank weights at large label counts.
@pytest.mark.parametrize("name", EXACT)
@pytest.mark.parametrize("shape", [(3, 3), (3, 4), (1, 3)])
def test_per_label_sample_weights_are_refused(name, shape):
    """``(B, L)`` weights were broadcast against the (B,) losses, transposed when B == L."""
    _, cls, kwargs, _ = CASES[name]
    y = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0]], "float32")
    f = np.array([[0.2, 0.9, -1.0], [0.5, 0.1, 0.3], [2.0, -0.5, 1.0]], "float32")
    y, f = (np.pad(a, ((0, 0), (0, 1))) for a in (y, f)) if shape == (3, 4) else (y, f)
    f = pred(name, f)
    y = y if name != "label_count" else y[:, : f.shape[1]]
    with pytest.raises(ValueError, match=r"sample_weight.*one weight per sample.*\(3, 1\)"):
        cls(**kwargs)(y, f, sample_weight=np.ones(shape, "float32"))


@pytest.mark.parametrize("name", EXACT)
def test_per_sample_weights_of_every_allowed_shape(name):
    _, cls, kwargs, reference = CASES[name]
    y, f = random_batch(np.random.default_rng(20), batch=4, num_labels=4)
    f = pred(name, f)
    expected = float(reference(y, f)[0]) / 4  # image 0 alone, over the batch of 4
    for weights in ([1.0, 0, 0, 0], [[1.0], [0], [0], [0]]):
        got = float(cls(**kwargs)(y, f, sample_weight=np.asarray(weights, "float32")))
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(float(cls(**kwargs)(y, f, sample_weight=2.0)),
                               2 * reference(y, f).mean(), rtol=1e-5, atol=1e-7)


def test_the_issue_example_weights_image_0_alone():
    y = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], "float32")
    f = np.array([[0.2, 0.9, -1.0], [0.5, 0.1, 0.3], [0.0, 0.4, -0.2]], "float32")
    loss = losses.PairwiseHingeLoss()
    with pytest.raises(ValueError, match="sample_weight"):
        loss(y, f, sample_weight=[[1, 1, 1], [0, 0, 0], [0, 0, 0]])
    got = float(loss(y, f, sample_weight=[1.0, 0.0, 0.0]))
    np.testing.assert_allclose(got, ref.pairwise(y, f)[0] / 3, rtol=1e-6)


@pytest.mark.parametrize("name", EXACT)
def test_boolean_labels_are_ones_and_zeros(name):
    """Boolean ``y_true`` crashed the functions on TensorFlow."""
    fn, cls, kwargs, reference = CASES[name]
    y, f = random_batch(np.random.default_rng(21))
    y = y > 0.5
    f = pred(name, f)
    expected = reference(y.astype("float32"), f)
    np.testing.assert_allclose(to_numpy(fn(y, f, **kwargs)), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(float(cls(**kwargs)(y, f)), expected.mean(), rtol=1e-5)


@pytest.mark.parametrize("name", list(CASES))
def test_a_nan_label_makes_its_row_nan(name):
    """A NaN in ``y_true`` used to be read silently as unknown."""
    fn, _, kwargs, _ = CASES[name]
    y, f = random_batch(np.random.default_rng(22), batch=5)
    f = pred(name, f)
    y = y[:, : f.shape[1]] if name == "label_count" else y
    y[4, 1] = np.nan
    out = to_numpy(fn(y, f, **kwargs))
    assert np.isnan(out[4]) and np.isfinite(out[:4]).all()


@pytest.mark.parametrize("name", EXACT)
def test_float64_through_the_classes_with_dtype_float64(name):
    """The classes compute in their ``dtype`` (floatx by default, as every Keras loss):
    ``dtype="float64"`` keeps a float64 difference of 0.5 at 1e8 that float32 rounds away."""
    if keras.backend.backend() == "jax" and not keras.config.floatx() == "float64":
        import jax

        if not jax.config.jax_enable_x64:
            pytest.skip("JAX computes float64 in float32 unless jax_enable_x64 is set")
    _, cls, kwargs, reference = CASES[name]
    y, f = random_batch(np.random.default_rng(23))
    f = pred(name, f.astype("float64")) + 1e8
    y = y[:, : f.shape[1]] if name == "label_count" else y
    per_sample = cls(dtype="float64", reduction=None, **kwargs)(y, f)
    assert keras.backend.standardize_dtype(per_sample.dtype) == "float64"
    np.testing.assert_allclose(to_numpy(per_sample), reference(y, f), rtol=1e-6, atol=1e-6)
    # (Keras's own mean comes back as float32 on PyTorch, keras 3.15; the value is kept.)
    got = float(cls(dtype="float64", **kwargs)(y, f))
    np.testing.assert_allclose(got, reference(y, f).mean(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("rank_estimate", ["exact", "sampled"])
def test_warp_rank_weights_are_float32_exact_at_200000_labels(rank_estimate):
    """L(r) = sum 1/j drifted to a relative error of 2.2e-4 on TensorFlow (a float32 cumsum).

    One positive and 199,999 negatives, all scored 0: every negative violates it by the
    margin 1, so exact WARP is L(199999) and sampled WARP (the first draw violates, r =
    floor(199999 / 1)) is L(199999) too.
    """
    n = 200_000
    y = np.zeros((1, n), "float32")
    y[0, 0] = 1.0
    expected = sum(1.0 / j for j in range(1, n))  # a plain float64 loop
    got = float(to_numpy(losses.warp_loss(y, np.zeros_like(y), rank_estimate=rank_estimate,
                                          seed=1))[0])
    assert abs(got - expected) / expected < 3e-7
