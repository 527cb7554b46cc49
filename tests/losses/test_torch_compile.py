"""The losses' path choices under ``torch.compile`` (``jit_compile=True`` on PyTorch)."""

import keras
import numpy as np
import pytest

from mlrank_keras.losses import WARPLoss

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
