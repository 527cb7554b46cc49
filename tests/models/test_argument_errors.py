"""Errors that name the argument (issue 20, item 7): image sizes too small for a network,
heads that are not callables or return no tensor, subclassed backbones."""

import keras
import pytest

import mlrank_keras as mk
from mlrank_keras.losses import WARPLoss


def keras_alexnet_output(side, kernels, strides, pools, padding):
    """The same layers as the AlexNet-shaped backbones, built with Keras alone (the
    reference for whether a side works: Keras's own shape inference)."""
    x = inputs = keras.Input((side, side, 3))
    for kernel, stride, pool, pad in zip(kernels, strides, pools, padding, strict=True):
        x = keras.layers.Conv2D(4, kernel, strides=stride, padding=pad)(x)
        if pool:
            x = keras.layers.MaxPooling2D(3, strides=2)(x)
    return keras.Model(inputs, x).output_shape


@pytest.mark.parametrize(
    "build, argument, smallest, kernels, strides, pools, padding",
    [
        (lambda s: mk.cpu_alexnet(s), "crop_size", 19, (5, 3, 3, 3, 3), (1,) * 5,
         (True, True, False, False, True), ("valid",) + ("same",) * 4),
        (lambda s: mk.build_warp_alexnet(5, input_shape=(s, s, 3)), "input_shape", 67,
         (11, 9, 5, 5, 5), (4, 1, 1, 1, 1),
         (True, True, False, False, True), ("valid",) + ("same",) * 4),
    ],
)
def test_too_small_images_name_the_argument_and_the_smallest_size(
    build, argument, smallest, kernels, strides, pools, padding
):
    with pytest.raises(ValueError, match=rf"`{argument}`.*too small.*at least {smallest} x"):
        build(smallest - 1)
    build(smallest)
    # Keras agrees on the edge: the smallest side works, one less does not.
    keras_alexnet_output(smallest, kernels, strides, pools, padding)
    with pytest.raises(ValueError):
        keras_alexnet_output(smallest - 1, kernels, strides, pools, padding)


def test_cpu_convnet_needs_one_pixel_after_its_poolings():
    with pytest.raises(ValueError, match=r"`crop_size`=1 is too small.*at least 4 x 4"):
        mk.cpu_convnet(1)
    with pytest.raises(ValueError, match=r"at least 8 x 8"):
        mk.cpu_convnet(7, filters=(4, 4, 4, 4))
    assert mk.cpu_convnet(4, width=0.25).output_shape == (None, 32)


def test_heads_that_are_not_callables_or_return_no_tensor():
    backbone = mk.cpu_convnet(8, width=0.25)
    with pytest.raises(ValueError, match=r"`head` must be None or a callable.*head=5"):
        mk.build_ranker(3, WARPLoss(), backbone=backbone, head=5)
    with pytest.raises(ValueError, match=r"`head` must return one tensor.*a tuple"):
        mk.build_ranker(3, WARPLoss(), backbone=backbone,
                        head=lambda x: (keras.layers.Dense(3)(x), x))


def test_a_subclassed_backbone_is_a_clear_error_and_its_wrapper_works():
    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = keras.layers.Conv2D(4, 3)

        def call(self, x):
            return self.conv(x)

    with pytest.raises(ValueError, match=r"`backbone`.*'Sub' is a subclassed model"):
        mk.build_ranker(3, WARPLoss(), backbone=Sub())
    inputs = keras.Input((8, 8, 3))
    model = mk.build_ranker(3, WARPLoss(), backbone=keras.Model(inputs, Sub()(inputs)))
    assert model.output_shape == (None, 3)


def test_build_ranker_passes_compile_options_through():
    """Issue 21, item 5: compile options needed compile=False and a second compile."""
    backbone = mk.cpu_convnet(8, width=0.25)
    model = mk.build_ranker(3, WARPLoss(), backbone=backbone, jit_compile=False,
                            steps_per_execution=2)
    assert model.jit_compile is False and model.steps_per_execution == 2
    with pytest.raises(ValueError, match=r"\['jit_compile'\] are options of `compile`"):
        mk.build_ranker(3, None, backbone=backbone, compile=False, jit_compile=False)
