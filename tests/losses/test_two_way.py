"""The two-way loss: its value depends on the whole batch, so it has its own battery
(the per-row battery of test_base.py assumes that rows are independent)."""

import math

import keras
import numpy as np
import pytest

from mlrank_keras import losses
from tests.helpers import finite_difference, to_numpy, value_and_gradient
from tests.losses import references as ref
from tests.losses.test_base import _toy_model, _toy_problem, random_batch

KWARGS = [{}, {"temperature_pos": 1.0, "temperature_neg": 0.5}]


def _reference(y, f, **kwargs):
    if not kwargs:
        return ref.two_way(y, f)
    return ref.two_way(y, f, kwargs["temperature_pos"], kwargs["temperature_neg"])


@pytest.mark.parametrize("kwargs", KWARGS)
@pytest.mark.parametrize("integer_scores", [False, True])
def test_values_match_the_reference(kwargs, integer_scores):
    y, f = random_batch(np.random.default_rng(0), integer_scores=integer_scores)
    np.testing.assert_allclose(to_numpy(losses.two_way_loss(y, f, **kwargs)),
                               _reference(y, f, **kwargs), rtol=1e-5, atol=1e-5)


def test_the_mean_is_the_papers_loss():
    """Eq. 8 written out: the mean of the sample-wise terms plus the mean of the label-wise
    terms over the labels with a positive, on a batch where every image has a label."""
    y = np.array([[1, 0, 0, 1], [0, 1, 0, 0], [1, 1, 0, 0]], "float32")
    f = np.array([[2.0, -1.0, 0.5, 0.0], [0.3, 1.0, -2.0, 0.1], [1.0, -0.5, 0.2, 3.0]],
                 "float32")

    def softplus_term(pos_scores, neg_scores, tp=4.0, tn=1.0):
        z = tn * math.log(sum(math.exp(v / tn) for v in neg_scores))
        z += tp * math.log(sum(math.exp(-u / tp) for u in pos_scores))
        return math.log1p(math.exp(z))

    rows = [softplus_term(f[i][y[i] == 1], f[i][y[i] == 0]) for i in range(3)]
    # Label 2 has no positive (left out); label 3's only negatives are rows 1 and 2.
    cols = [softplus_term(f[:, j][y[:, j] == 1], f[:, j][y[:, j] == 0]) for j in (0, 1, 3)]
    paper = np.mean(rows) + np.mean(cols)
    assert float(losses.TwoWayLoss()(y, f)) == pytest.approx(paper, rel=1e-5)


@pytest.mark.parametrize("kwargs", KWARGS)
def test_gradient_matches_finite_differences(kwargs):
    rng = np.random.default_rng(2)
    y, _ = random_batch(rng, batch=6, num_labels=7)
    f = rng.standard_normal((6, 7)).astype("float32")
    _, grad = value_and_gradient(
        lambda x: keras.ops.sum(losses.two_way_loss(y, x, **kwargs)), f)
    expected = finite_difference(lambda x: _reference(y, x, **kwargs).sum(), f)
    np.testing.assert_allclose(grad, expected, rtol=1e-3, atol=1e-3)


def test_unknown_labels_take_no_part_and_leading_axes_are_one_batch():
    rng = np.random.default_rng(4)
    y, f = random_batch(rng, batch=6, num_labels=5)
    other = f.copy()
    other[y < 0] = rng.choice([50.0, -50.0], size=int((y < 0).sum()))
    np.testing.assert_allclose(to_numpy(losses.two_way_loss(y, other)),
                               to_numpy(losses.two_way_loss(y, f)), rtol=1e-6)
    three = to_numpy(losses.two_way_loss(y.reshape(2, 3, 5), f.reshape(2, 3, 5)))
    assert three.shape == (2, 3)
    np.testing.assert_allclose(three.reshape(-1), ref.two_way(y, f), rtol=1e-5, atol=1e-6)


def test_scores_of_1e4_are_finite_exact_and_shift_free():
    rng = np.random.default_rng(5)
    y, _ = random_batch(rng, batch=6, num_labels=9)
    f = (1e4 * rng.choice([-1.0, 1.0], size=y.shape) + rng.standard_normal(y.shape))
    f = f.astype("float32")
    value, grad = value_and_gradient(lambda x: keras.ops.sum(losses.two_way_loss(y, x)), f)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    np.testing.assert_allclose(to_numpy(losses.two_way_loss(y, f)), ref.two_way(y, f),
                               rtol=1e-5)
    np.testing.assert_allclose(to_numpy(losses.two_way_loss(y, f + 1e4)),
                               to_numpy(losses.two_way_loss(y, f)), rtol=1e-4, atol=0.05)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_inputs(dtype):
    y, f = random_batch(np.random.default_rng(6), batch=6, num_labels=9)
    f_half = keras.ops.cast(f, dtype)
    out = losses.two_way_loss(y, f_half)
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    rounded = to_numpy(keras.ops.cast(f_half, "float32"))
    np.testing.assert_allclose(to_numpy(out), ref.two_way(y, rounded), rtol=1e-4, atol=1e-4)
    value, grad = value_and_gradient(lambda x: keras.ops.sum(losses.two_way_loss(y, x)), f,
                                     dtype)
    assert np.isfinite(value) and np.all(np.isfinite(grad))


def test_a_nan_on_a_known_label_makes_every_row_nan_and_on_an_unknown_is_ignored():
    y, f = random_batch(np.random.default_rng(16), batch=6)
    for bad in (np.nan, np.inf):
        g = f.copy()
        g[4, 1] = bad
        assert y[4, 1] >= 0
        assert np.isnan(to_numpy(losses.two_way_loss(y, g))).all()
    z, g = y.copy(), f.copy()
    z[5, 2], g[5, 2] = -1.0, np.nan
    np.testing.assert_allclose(to_numpy(losses.two_way_loss(z, g)),
                               ref.two_way(z, np.where(np.isnan(g), 0.0, g)), rtol=1e-5)


def test_class_reductions_config_and_errors():
    y, f = random_batch(np.random.default_rng(7))
    per_row = ref.two_way(y, f)
    assert float(losses.TwoWayLoss()(y, f)) == pytest.approx(per_row.mean(), rel=1e-5)
    assert float(losses.TwoWayLoss(reduction="sum")(y, f)) == pytest.approx(per_row.sum(),
                                                                             rel=1e-5)
    loss = losses.TwoWayLoss(temperature_pos=2.0, temperature_neg=0.5, name="tw")
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(restored) is losses.TwoWayLoss
    assert restored.get_config() == loss.get_config()
    assert (restored.get_config()["temperature_pos"], restored.get_config()["temperature_neg"]
            ) == (2.0, 0.5)
    with pytest.raises(ValueError, match="no `sample_weight`"):
        loss(y, f, sample_weight=np.ones(len(y)))
    for bad in (0.0, -1.0, float("nan"), True, "4"):
        with pytest.raises(ValueError, match="temperature_pos"):
            losses.TwoWayLoss(temperature_pos=bad)
    with pytest.raises(ValueError, match="temperature_neg=0"):
        losses.two_way_loss(y, f, temperature_neg=0)
    assert to_numpy(losses.two_way_loss(np.zeros((0, 5)), np.zeros((0, 5)))).shape == (0,)


def test_fit_learns_saves_and_loads(tmp_path):
    x, y = _toy_problem()
    model = _toy_model(y.shape[1])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=losses.TwoWayLoss())
    history = model.fit(x, y, batch_size=32, epochs=6, verbose=0).history["loss"]
    assert np.all(np.isfinite(history)) and history[-1] < 0.7 * history[0]
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.loss) is losses.TwoWayLoss
    np.testing.assert_allclose(to_numpy(loaded.predict(x[:8], verbose=0)),
                               to_numpy(model.predict(x[:8], verbose=0)), rtol=1e-6)
