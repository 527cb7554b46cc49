"""Every builder: trains on a toy problem, round-trips through .keras, exports."""

import keras
import numpy as np
import pytest

import mlrank_keras as mk
from tests.helpers import only_on, to_numpy
from tests.models import builders


@pytest.mark.parametrize("name", builders.NAMES)
def test_trains_and_the_loss_falls(name):
    if name == "lsep_vgg16" and keras.backend.backend() != "tensorflow":
        # build_ranker + vgg16 + LSEPLoss, each trained on every backend elsewhere; VGG16's
        # 13 convolutions take a minute to compile and train on JAX.
        pytest.skip("runs on tensorflow only: its pieces train on every backend")
    model, x, y = builders.tiny(name)
    epochs = {"drel": 10, "wsabie": 30, "lsep_vgg16": 8}.get(name, 6)
    batch = 8 if name == "lsep_vgg16" else 16
    history = model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0).history["loss"]
    assert np.isfinite(history).all()
    # VGG16 without normalisation learns slowly from scratch: it must fall, less far.
    assert history[-1] < (0.97 if name == "lsep_vgg16" else 0.8) * history[0], history


@pytest.mark.parametrize("name", builders.NAMES)
def test_keras_round_trip_gives_identical_predictions(name, tmp_path):
    model, x, y = builders.tiny(name)
    if name != "lsep_vgg16" or keras.backend.backend() == "tensorflow":
        # A trained model (optimizer state saved too); VGG16's training step takes 15 s to
        # compile on JAX, and the other builders save their optimizers on every backend.
        model.fit(x[:32], y[:32], batch_size=16, epochs=1, verbose=0)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(
        to_numpy(loaded.predict(x[:8], verbose=0)),
        to_numpy(model.predict(x[:8], verbose=0)),
        rtol=1e-6,
        atol=1e-6,
    )
    assert type(loaded.loss) is type(model.loss)
    loaded.fit(x[:16], y[:16], batch_size=16, epochs=1, verbose=0)  # compiled and trainable


def test_compile_false_and_a_custom_backbone():
    model = mk.build_warp_alexnet(4, compile=False, **builders.toy.TINY_ALEXNET)
    assert not model.compiled
    backbone = keras.Sequential(
        [keras.Input((32, 32, 3)), keras.layers.Conv2D(4, 3, activation="relu")]
    )
    model = mk.build_softmax_alexnet(4, backbone=backbone)
    assert model.output_shape == (None, 4)
    assert any(isinstance(layer, keras.layers.GlobalAveragePooling2D) for layer in model.layers)
    with pytest.raises(ValueError, match="default backbone only"):
        mk.build_softmax_alexnet(4, backbone=backbone, dropout=0.1)
    with pytest.raises(ValueError, match="`num_labels` must be a positive int"):
        mk.build_warp_alexnet(0)
    with pytest.raises(ValueError, match="never downloads"):
        mk.build_lsep_vgg16(4, weights="imagenet")
    with pytest.raises(ValueError, match="`dropout`"):
        mk.models.gong_alexnet(dropout=1.0)


@only_on("tensorflow", "parameter counts do not depend on the backend")
def test_full_size_parameter_counts_match_the_papers():
    # Transformation paper, Table 1, with k = 100 and d = 300: 181,191,344.
    vectors = np.zeros((81, 300), dtype="float32")
    model = mk.build_transform_alexnet(vectors, k=100, compile=False)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == 181_191_344
    del model
    keras.backend.clear_session()
    # Gong's network as documented: kernels 11, 9, 5, 5, 5; pooling after 1, 2 and 5;
    # 220 -> 53 -> 26 -> 26 -> 12 -> 12 -> 5; three Dense(4096); 81 scores.
    conv = [(96, 11, 3), (256, 9, 96), (384, 5, 256), (384, 5, 384), (256, 5, 384)]
    expected = sum(f * (k * k * c + 1) for f, k, c in conv)
    expected += 4096 * (5 * 5 * 256 + 1) + 2 * 4096 * (4096 + 1) + 81 * (4096 + 1)
    model = mk.build_warp_alexnet(81, compile=False)
    assert model.count_params() == expected
    del model
    keras.backend.clear_session()
    # Li's VGG16 with fc 4096-4096 and 1,000 outputs is Keras's VGG16: 138,357,544.
    model = mk.build_lsep_vgg16(1000, compile=False)
    assert model.count_params() == 138_357_544


def test_vgg16_loads_a_local_weights_file(tmp_path):
    source = keras.applications.VGG16(include_top=False, weights=None, input_shape=(32, 32, 3))
    path = tmp_path / "vgg16_notop.weights.h5"
    source.save_weights(path)
    model = mk.build_lsep_vgg16(4, weights=str(path), compile=False, **builders.toy.TINY_VGG)
    loaded = mk.ranker_backbone(model).get_layer("vgg16")  # the convolutions in the backbone
    for a, b in zip(loaded.weights, source.weights, strict=True):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))


def test_cpu_convnet_is_the_documented_stack():
    model = mk.cpu_convnet(28, width=0.5, filters=(8, 16), convs_per_stage=2)
    kinds = [type(layer).__name__ for layer in model.layers[1:]]
    block = ["Conv2D", "BatchNormalization", "Activation"]
    assert kinds == block * 2 + ["MaxPooling2D"] + block * 2 + ["GlobalAveragePooling2D", "Dropout"]
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [4, 4, 8, 8]  # filters times width
    assert all(c.kernel_size == (3, 3) and not c.use_bias for c in convs)
    assert model.output_shape == (None, 8)
    # Hand count: 3*3*(3*4 + 4*4 + 4*8 + 8*8) kernel weights, 4 BN parameters per channel.
    assert model.count_params() == 9 * (12 + 16 + 32 + 64) + 4 * (4 + 4 + 8 + 8)
    for bad in (0, float("nan")):
        with pytest.raises(ValueError, match="width"):
            mk.cpu_convnet(28, width=bad)
