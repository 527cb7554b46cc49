"""The losses' path choices under ``torch.compile`` (``jit_compile=True`` on PyTorch)."""

import keras
import numpy as np
import pytest

from mlrank_keras.losses import WARPLoss, kernels
from tests.losses import references

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "torch", reason="torch.compile is PyTorch's"
)


def test_a_compiled_fit_compiles_once_not_at_every_step():
    """Keras's ``ops.cond`` names an operation from a global counter at every call, and
    dynamo guards on it: a ``jit_compile=True`` step recompiled at every step (up to
    dynamo's limit of 8, then ran eagerly). The losses' branches do not: after the first
    epoch nothing more is compiled (sampled WARP: its key draw and path choice; the
    other losses take the same `kernels.cond`)."""
    import torch

    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 8)).astype("float32")
    y = np.zeros((16, 64), "float32")
    y[:, :3] = 1.0  # three positives a row: the few-positives branch at every step
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(64)])
    model.compile(optimizer="sgd", loss=WARPLoss(rank_estimate="sampled", seed=1), jit_compile=True)
    torch._dynamo.reset()
    frames = torch._dynamo.utils.counters["frames"]
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    compiled = frames["ok"]
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert frames["ok"] == compiled, dict(frames)
    assert np.all(np.isfinite(history.history["loss"]))


def test_warp_compiled_before_any_eager_call_traces_again():
    """WARP's harmonic table is cached per label count, and NumPy code inside a
    ``torch.compile`` trace runs as traced tensors: a table cached from there broke every
    later trace (dynamo: "Expected np.nditer base"). Compiled first, before any eager call,
    each WARP form traces twice (two compiled functions) with exact WARP's values from the
    plain loops and finite gradients."""
    import torch
    from keras import ops

    kernels._static_harmonic_numbers.cache_clear()
    rng = np.random.default_rng(5)
    y = np.zeros((4, 37), "float32")
    for row in y:
        row[rng.choice(37, 3, replace=False)] = 1.0
    f = rng.normal(size=y.shape).astype("float32")
    expected = np.mean(references.warp_exact(y, f.astype("float64")))
    for loss in (WARPLoss(), WARPLoss(rank_estimate="sampled", seed=2)):
        for _ in range(2):
            step = torch.compile(lambda y, f, loss=loss: ops.mean(loss(y, f)))
            x = torch.tensor(f, requires_grad=True)
            value = step(torch.tensor(y), x)
            value.backward()
            assert np.all(np.isfinite(x.grad.numpy()))
            if loss.get_config()["rank_estimate"] == "exact":
                np.testing.assert_allclose(float(value), expected, rtol=1e-5)
