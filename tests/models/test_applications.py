"""keras.applications backbones (issue 21, item 1, the keras.applications part): the
preprocessing inside the model against Keras's own ``preprocess_input``, and a local weights
file made from a random initialisation. Nothing downloads."""

import keras
import numpy as np
import pytest

import mlrank_keras as mk
from mlrank_keras.layers import ImagePreprocessing
from mlrank_keras.losses import WARPLoss
from tests.helpers import to_numpy

PREPROCESS = {
    "caffe": keras.applications.resnet50.preprocess_input,
    "tf": keras.applications.mobilenet_v2.preprocess_input,
    "torch": keras.applications.densenet.preprocess_input,
}


@pytest.mark.parametrize("mode", list(PREPROCESS))
def test_the_layer_is_keras_preprocess_input(mode):
    x = np.random.default_rng(0).uniform(0, 255, (2, 5, 4, 3)).astype("float32")
    expected = PREPROCESS[mode](x.copy())
    np.testing.assert_allclose(to_numpy(ImagePreprocessing(mode)(x)), expected, rtol=1e-5,
                               atol=1e-4)


def test_a_local_weights_file_loads_and_the_ranker_round_trips(tmp_path):
    """MobileNetV2 (alpha 0.35, 32 x 32): weights from a random initialisation, saved to a
    local file, load into the backbone; the ranker saves and loads with equal predictions
    from raw pixels."""
    keras.utils.set_random_seed(0)
    source = keras.applications.MobileNetV2(include_top=False, weights=None,
                                            input_shape=(32, 32, 3), alpha=0.35,
                                            pooling="avg")
    path = tmp_path / "mobilenet_v2_notop.weights.h5"
    source.save_weights(path)
    backbone = mk.application_backbone("mobilenet_v2", input_shape=(32, 32, 3),
                                       weights=path, alpha=0.35)
    x = np.random.default_rng(1).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    reference = source.predict(keras.applications.mobilenet_v2.preprocess_input(x.copy()),
                               verbose=0)
    np.testing.assert_allclose(to_numpy(backbone.predict(x, verbose=0)), reference,
                               rtol=1e-4, atol=1e-5)
    model = mk.build_ranker(4, WARPLoss(), backbone=backbone, label_names=list("abcd"))
    model.save(tmp_path / "ranker.keras")
    loaded = keras.saving.load_model(tmp_path / "ranker.keras")
    np.testing.assert_allclose(to_numpy(loaded.predict(x, verbose=0)),
                               to_numpy(model.predict(x, verbose=0)), rtol=1e-4, atol=1e-5)
    assert mk.model_label_names(loaded) == list("abcd")


def test_bad_names_weights_and_modes_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match=r"`name` must be one of .*resnet50"):
        mk.application_backbone("resnet51")
    with pytest.raises(ValueError, match=r"`weights` must be None, 'imagenet'.*nowhere"):
        mk.application_backbone("mobilenet_v2", weights=str(tmp_path / "nowhere.h5"))
    with pytest.raises(ValueError, match="`mode` must be one of"):
        ImagePreprocessing("bgr")
