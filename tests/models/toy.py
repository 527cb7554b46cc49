"""Tiny, learnable image and feature problems and tiny model configurations."""

import numpy as np

TINY_ALEXNET = {
    "input_shape": (32, 32, 3),
    "filters": (8, 8, 8, 8, 8),
    "kernel_sizes": (3, 3, 3, 3, 3),
    "strides": (1, 1, 1, 1, 1),
    "dense_units": (32,),
    "dropout": 0.1,
}
TINY_VGG = {"input_shape": (32, 32, 3), "dense_units": (16,), "dropout": 0.0}


def images(n=96, num_labels=4, seed=0):
    """Label j puts a bright square in quadrant j of a noisy 32 x 32 image."""
    rng = np.random.default_rng(seed)
    y = (rng.random((n, num_labels)) < 0.4).astype("float32")
    y[y.sum(axis=1) == 0, 0] = 1.0
    x = 0.2 * rng.standard_normal((n, 32, 32, 3)).astype("float32")
    for j in range(num_labels):
        r, c = divmod(j % 4, 2)
        x[:, 16 * r + 4 : 16 * r + 12, 16 * c + 4 : 16 * c + 12, j % 3] += y[:, j, None, None]
    return x, y


def features(n=256, dim=16, num_labels=6, seed=0):
    """Feature vectors whose labels are a noisy linear function of them."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim)).astype("float32")
    w = np.random.default_rng(100).standard_normal((dim, num_labels)).astype("float32")
    y = (x @ w > 0.8).astype("float32")
    return x, y
