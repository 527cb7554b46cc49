"""Seeds of the sampled losses, on every backend (JAX's jitted steps included)."""

import keras
from keras import ops


def step_seed(seed, scores):
    """The seed to hand to ``keras.random`` for the sampled losses.

    ``seed`` is None, an int or a ``keras.random.SeedGenerator``. On JAX, ``fit`` runs the
    loss inside a jitted step that carries forward only layers', optimizers' and metrics'
    variables, never a loss's, so a loss's ``SeedGenerator`` would hand every step the same
    key. There the key is folded with the bits of ``sum(f * (1 + f))`` over the scores,
    which change at every training step; the draws remain a function of the seed and the
    inputs (reproducible). TensorFlow and PyTorch advance the generator's state as usual.
    """
    if keras.backend.backend() == "jax" and isinstance(seed, keras.random.SeedGenerator):
        key = seed.next()
        # Not the plain sum: these losses are shift invariant, so their gradients sum to
        # zero over a row and the sum of the scores can stay constant during training.
        scores = ops.stop_gradient(ops.cast(scores, "float32"))
        fold = ops.view(ops.sum(scores * (1.0 + scores)), "uint32")
        seed = key + ops.cast(ops.convert_to_tensor([0, 1]), key.dtype) * ops.cast(
            fold, key.dtype
        )
    return seed
