"""One-vs-all linear SVMs: the Keras model reaches LIBSVM's optimum of the same objective."""

import keras
import numpy as np
import pytest
from sklearn.svm import SVC

from mlrank_keras import build_linear_svm, losses
from tests.helpers import to_numpy

C = 2.0


def primal(w, b, x, y):
    """sum_l [1/2 ||w_l||^2 + C sum_i max(0, 1 - t_il (w_l x_i + b_l))], t = +-1."""
    t = np.where(y > 0.5, 1.0, -1.0)
    margins = np.maximum(0.0, 1.0 - t * (x @ w + b))
    return 0.5 * np.sum(w**2) + C * margins.sum()


def data(seed=0, n=120, d=4, num_labels=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    y = x @ rng.normal(size=(d, num_labels)) + 0.5 * rng.normal(size=(n, num_labels)) > 0.3
    return x, y.astype("float32")


def test_the_loss_is_the_svm_primal_over_C_N():
    x, y = data()
    model = build_linear_svm(4, 3, num_samples=len(x), C=C)
    w, b = (to_numpy(v) for v in model.get_layer("svm").weights)
    value = model.evaluate(x, y, batch_size=len(x), verbose=0)
    assert value == pytest.approx(primal(w, b, x, y) / (C * len(x)), rel=1e-5)


def test_training_reaches_libsvm_optimum():
    x, y = data(1)
    optimum = 0.0
    for label in range(y.shape[1]):
        svc = SVC(kernel="linear", C=C).fit(x, y[:, label])
        optimum += primal(svc.coef_.T, svc.intercept_, x, y[:, label : label + 1])
    keras.utils.set_random_seed(0)
    model = build_linear_svm(4, 3, num_samples=len(x), C=C)
    # Full batch, a decaying step: 200 steps per rate, as one epoch of 200 copies of the
    # data in order (each batch is the whole set; far less per-epoch overhead).
    steps = 200
    for learning_rate in (0.1, 0.01, 0.001):
        model.optimizer.learning_rate.assign(learning_rate)
        model.fit(np.tile(x, (steps, 1)), np.tile(y, (steps, 1)), batch_size=len(x),
                  epochs=1, shuffle=False, verbose=0)
    w, b = (to_numpy(v) for v in model.get_layer("svm").weights)
    reached = primal(w, b, x, y)
    # LIBSVM stops at a tolerance of 1e-3, so either may be a hair lower.
    assert reached == pytest.approx(optimum, rel=2e-3)
    assert isinstance(model.loss, losses.OneVsAllHingeLoss)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="`num_samples` must be a positive int"):
        build_linear_svm(4, 3, num_samples=0)
    with pytest.raises(ValueError, match="`C` must be a finite number > 0"):
        build_linear_svm(4, 3, num_samples=10, C=0)
    assert not build_linear_svm(4, 3, num_samples=10, compile=False).compiled
