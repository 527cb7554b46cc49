"""Backend-specific test helpers (tests may use the backend directly; the library may not)."""

import keras
import numpy as np


def to_numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def value_and_gradient(fn, x, dtype=None):
    """Value of ``fn(x)`` (a scalar) and its gradient with respect to the array ``x``.

    ``x`` is cast to ``dtype`` (default: its own) on the backend; the gradient comes back
    as a float32 (or wider) numpy array.
    """
    x = np.asarray(x)
    dtype = dtype or str(x.dtype)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.cast(tf.convert_to_tensor(x), dtype)
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = fn(x)
        grad = tape.gradient(value, x)
    elif backend == "jax":
        import jax
        import jax.numpy as jnp

        value, grad = jax.value_and_grad(fn)(jnp.asarray(x).astype(dtype))
    elif backend == "torch":
        import torch

        x = torch.tensor(x).to(getattr(torch, dtype)).requires_grad_(True)
        value = fn(x)
        value.backward()
        value, grad = value.detach(), x.grad
    else:
        raise NotImplementedError(backend)
    grad = keras.ops.cast(grad, "float32") if "16" in dtype else grad
    return to_numpy(value), to_numpy(grad)


def finite_difference(fn, x, eps=1e-5):
    """Central differences of a numpy function of a float64 array."""
    x = np.asarray(x, dtype="float64")
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        grad[idx] = (fn(x + step) - fn(x - step)) / (2 * eps)
    return grad


def only_on(backend, why):
    """Runs a backend-free check (the code under test uses no backend-specific path) on one
    backend only: the suite runs once per backend, and these are its slowest tests."""
    import pytest

    return pytest.mark.skipif(
        keras.backend.backend() != backend, reason=f"runs on {backend} only: {why}"
    )
