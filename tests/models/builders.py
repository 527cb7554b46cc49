"""Tiny versions of every builder, on the toy problems (shared by the model tests and the
cross-backend loading check)."""

import keras
import numpy as np

import mlrank_keras as mk
from tests.models import toy

VECTORS = np.random.default_rng(7).normal(size=(4, 6)).astype("float32")


def tiny(name, seed=0):
    """``(model, x, y)``: a tiny, compiled model and its toy data."""
    keras.utils.set_random_seed(seed)
    fast = keras.optimizers.Adam(3e-3)
    if name == "softmax_alexnet":
        return mk.build_softmax_alexnet(4, optimizer=fast, **toy.TINY_ALEXNET), *toy.images()
    if name == "ranking_alexnet":
        return mk.build_ranking_alexnet(4, optimizer=fast, **toy.TINY_ALEXNET), *toy.images()
    if name == "warp_alexnet":
        model = mk.build_warp_alexnet(4, optimizer=fast, seed=1, **toy.TINY_ALEXNET)
        return model, *toy.images()
    if name == "lsep_vgg16":  # VGG16's full convolution stack: fewer images, slower steps
        slow = keras.optimizers.SGD(0.01, momentum=0.9)
        return mk.build_lsep_vgg16(4, optimizer=slow, **toy.TINY_VGG), *toy.images(n=32)
    if name == "transform_alexnet":
        model = mk.build_transform_alexnet(
            VECTORS, k=3, optimizer=fast, num_negatives=2, seed=1, **toy.TINY_ALEXNET
        )
        return model, *toy.images()
    if name == "drel":
        model = mk.build_drel(
            16, 6, tag_dim=8, image_units=(32, 16), tag_units=(16, 16), optimizer=fast
        )
        return model, *toy.features()
    if name == "wsabie":
        return mk.build_wsabie(16, 6, embedding_dim=8, seed=1), *toy.features()
    if name == "linear_svm":
        x, y = toy.features()
        return mk.build_linear_svm(16, 6, num_samples=len(x)), x, y
    raise KeyError(name)


NAMES = [
    "softmax_alexnet",
    "ranking_alexnet",
    "warp_alexnet",
    "lsep_vgg16",
    "transform_alexnet",
    "drel",
    "wsabie",
    "linear_svm",
]
