"""Fine-tuning (issue 21, item 1): the nested backbone frozen (batch normalisation in
inference mode) and then trained, a killed two-phase run resumed, named backbones
resolved without downloading."""

import keras
import numpy as np
import pytest

import mlrank_keras as mk
from mlrank_keras.losses import WARPLoss
from mlrank_keras.models import ranker as ranker_module
from tests.helpers import to_numpy

SIDE = 12


def _data():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (16, SIDE, SIDE, 3)).astype("float32")
    y = (rng.uniform(size=(16, 4)) < 0.4).astype("float32")
    y[:, 0] = 1.0
    return x, y


def _model(dropout=0.2):
    keras.utils.set_random_seed(0)
    backbone = mk.cpu_convnet(SIDE, 0.25, filters=(8,), dropout=dropout)
    return mk.build_ranker(4, WARPLoss(), backbone=backbone)


def _weights(layer):
    return [to_numpy(w).copy() for w in layer.weights]


def test_the_frozen_phase_changes_the_head_only_and_the_second_everything():
    x, y = _data()
    model = _model()
    backbone = mk.ranker_backbone(model)
    assert backbone.name == "cpu_convnet" and backbone in model.layers
    before_backbone, before_head = _weights(backbone), _weights(model.get_layer("scores"))
    frozen_rate = keras.optimizers.Adam(0.05)

    class Check(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:  # the end of the frozen phase
                # Kernels and the batch-normalisation moving statistics: unchanged.
                for a, b in zip(_weights(backbone), before_backbone, strict=True):
                    np.testing.assert_array_equal(a, b)
                assert self.model.optimizer is frozen_rate

    mk.fine_tune(model, x, y, frozen_epochs=1, epochs=2, batch_size=8, verbose=0,
                 frozen_optimizer=frozen_rate, optimizer=keras.optimizers.Adam(1e-3),
                 callbacks=[Check()])
    head = _weights(model.get_layer("scores"))
    assert not np.allclose(head[0], before_head[0])
    changed = [not np.array_equal(a, b) for a, b in zip(_weights(backbone), before_backbone,
                                                        strict=True)]
    assert all(changed)  # kernels, BN scales and moving statistics all trained
    assert backbone.trainable and isinstance(model.loss, WARPLoss)


def test_a_killed_fine_tune_resumes_to_the_uninterrupted_weights(tmp_path):
    """With dropout, whose random state no checkpoint keeps: ``seed`` sets it per epoch."""
    x, y = _data()
    kwargs = dict(frozen_epochs=1, epochs=3, batch_size=8, verbose=0, seed=0)
    reference = _model()
    mk.fine_tune(reference, x, y, **kwargs)

    class Kill(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    killed = _model()
    with pytest.raises(KeyboardInterrupt):
        mk.fine_tune(killed, x, y, backup_dir=tmp_path, callbacks=[Kill()], **kwargs)
    resumed = _model()
    _, full = mk.fine_tune(resumed, x, y, backup_dir=tmp_path, **kwargs)
    assert full.epoch == [2]  # epochs 0 (frozen) and 1 were restored, not trained again
    for a, b in zip(resumed.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_fine_tune_arguments_are_checked():
    x, y = _data()
    model = _model()
    with pytest.raises(ValueError, match=r"`frozen_epochs` \(2\) must be below `epochs` \(2\)"):
        mk.fine_tune(model, x, y, frozen_epochs=2, epochs=2)
    with pytest.raises(ValueError, match="frozen_epochs"):
        mk.fine_tune(model, x, y, frozen_epochs=-1)
    bare = mk.build_ranker(4, None, backbone=mk.cpu_convnet(SIDE, 0.25), compile=False)
    with pytest.raises(ValueError, match="must be compiled"):
        mk.fine_tune(bare, x, y, frozen_epochs=0, epochs=1)
    inputs = keras.Input((3,))
    spliced = keras.Model(inputs, keras.layers.Dense(2, name="scores")(inputs))
    with pytest.raises(ValueError, match="no nested backbone"):
        mk.freeze_backbone(spliced)


def test_named_backbones_resolve_without_downloading(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(ranker_module, "application_backbone",
                        lambda *args, **kwargs: calls.append((args, kwargs)) or
                        mk.cpu_convnet(SIDE, 0.25))
    model = mk.build_ranker(3, WARPLoss(), backbone="resnet50", input_shape=(SIDE, SIDE, 3))
    assert calls == [(("resnet50", (SIDE, SIDE, 3)), {"weights": "imagenet"})]
    assert model.output_shape == (None, 3)
    with pytest.raises(ValueError, match="`input_shape` applies to a named backbone only"):
        mk.build_ranker(3, WARPLoss(), backbone=mk.cpu_convnet(SIDE), input_shape=(8, 8, 3))
    with pytest.raises(ValueError, match=r"`backbone` must be a keras.Model.*Received: backbone=3"):
        mk.build_ranker(3, WARPLoss(), backbone=3)
    pytest.importorskip("keras_hub")
    with pytest.raises(ValueError, match=r"'resnet_50_imagenett' is neither.*resnet_50_imagenet"):
        mk.build_ranker(3, WARPLoss(), backbone="resnet_50_imagenett")
    with pytest.raises(ValueError, match="looks like a path, but it is not a folder"):
        mk.build_ranker(3, WARPLoss(), backbone=str(tmp_path / "no_such_preset"))


def test_a_dataset_of_unknown_size_trains_without_the_ran_out_of_data_warning():
    """The image pipeline skips unreadable files, so tf.data cannot know its size, and
    Keras warned "Your input ran out of data; interrupting training" at the end of every
    first epoch (the own_photos notebook showed it), though nothing was interrupted."""
    import warnings

    import tensorflow as tf

    x, y = _data()
    data = tf.data.Dataset.from_tensor_slices((x, y)).filter(lambda a, b: True).batch(8)
    assert int(data.cardinality()) == tf.data.UNKNOWN_CARDINALITY
    model = _model()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mk.fine_tune(model, data, frozen_epochs=1, epochs=2, verbose=0)
    assert not [w for w in caught if "ran out of data" in str(w.message)]
    with warnings.catch_warnings(record=True) as caught:  # a real shortage still warns
        warnings.simplefilter("always")
        mk.fine_tune(model, data, frozen_epochs=0, epochs=2, steps_per_epoch=5, verbose=0)
    assert [w for w in caught if "ran out of data" in str(w.message)]
