"""keras-hub backbones (issue 21, item 1, the keras-hub part): a tiny randomly initialised
backbone saved with ``save_to_preset`` to a temporary folder becomes a ranker's backbone,
trains, saves to .keras and loads back with equal predictions. Nothing downloads."""

import keras
import keras_hub  # noqa: E402  (make install installs it: the [hub] extra, then --no-deps)
import numpy as np
import pytest

import mlrank_keras as mk
from mlrank_keras.losses import WARPLoss
from tests.helpers import to_numpy


@pytest.fixture(scope="module")
def preset(tmp_path_factory):
    folder = tmp_path_factory.mktemp("preset")
    keras.utils.set_random_seed(0)
    backbone = keras_hub.models.ResNetBackbone(
        input_conv_filters=[64], input_conv_kernel_sizes=[3], stackwise_num_filters=[64, 64],
        stackwise_num_blocks=[1, 1], stackwise_num_strides=[1, 2], block_type="basic_block",
        use_pre_activation=False, image_shape=(32, 32, 3),
    )
    backbone.save_to_preset(str(folder))
    keras_hub.layers.ResNetImageConverter(image_size=(32, 32), scale=1 / 255.0).save_to_preset(
        str(folder)
    )
    return folder, backbone


def test_a_local_preset_is_a_ranker_backbone_that_trains_saves_and_loads(preset, tmp_path):
    folder, source = preset
    backbone = mk.hub_backbone(str(folder))
    assert backbone.input_shape == (None, 32, 32, 3)
    x = np.random.default_rng(1).uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    # The converter is inside: raw pixels in, the preset's scaling applied.
    np.testing.assert_allclose(to_numpy(backbone.predict(x, verbose=0)),
                               to_numpy(source.predict(x / 255.0, verbose=0)), rtol=1e-4,
                               atol=1e-5)
    model = mk.build_ranker(3, WARPLoss(), backbone=backbone, label_names=["a", "b", "c"])
    y = np.array([[1, 0, 0], [0, 1, 1], [1, 1, 0], [0, 0, 1]], "float32")
    history = model.fit(x, y, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    model.save(tmp_path / "hub.keras")
    loaded = keras.saving.load_model(tmp_path / "hub.keras")
    np.testing.assert_allclose(to_numpy(loaded.predict(x, verbose=0)),
                               to_numpy(model.predict(x, verbose=0)), rtol=1e-4, atol=1e-5)


def test_a_preset_without_a_converter_and_random_weights(preset, tmp_path):
    folder, source = preset
    bare = tmp_path / "bare"
    source.save_to_preset(str(bare))
    backbone = mk.hub_backbone(str(bare), load_weights=False)
    assert backbone.input_shape == (None, 32, 32, 3)
    assert not any(isinstance(layer, keras_hub.layers.ImageConverter)
                   for layer in backbone.layers)


def test_a_tagger_trains_on_a_local_preset_with_its_frozen_phase(preset, tmp_path):
    """``train_tagger(backbone=folder)``: one frozen epoch, then everything; the saved model
    takes raw pixels and loads with its label names."""
    from mlrank_keras.data import load_glyphtags, write_tagged_folder
    from mlrank_keras.tagger import train_tagger

    folder, _ = preset
    x, y = load_glyphtags("train", num_images=48, image_size=36)
    y = y[:, :4]
    y[:, 0] = 1.0
    csv_path = write_tagged_folder(tmp_path / "photos", x, y, ["a", "b", "c", "d"])
    result = train_tagger(csv_path, tmp_path / "run", backbone=str(folder), epochs=2,
                          batch_size=16, verbose=0)
    assert result.model.input_shape == (None, 32, 32, 3)  # the preset's converter size
    loaded = keras.saving.load_model(tmp_path / "run" / "model.keras")
    assert mk.model_label_names(loaded) == ["a", "b", "c", "d"]
    assert mk.ranker_backbone(loaded).trainable
