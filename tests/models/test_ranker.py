"""build_ranker: any loss (ours or Keras's) on any backbone in one call, and the papers'
builders as presets over it that give the models they gave before."""

import pathlib

import keras
import numpy as np
import pytest

import mlrank_keras as mk
from mlrank_keras import losses
from tests.models import builders, toy

SAVED = pathlib.Path(__file__).resolve().parent / "saved"
OURS = [
    losses.MultilabelSoftmaxLoss(),
    losses.PairwiseHingeLoss(),
    losses.WARPLoss(),
    losses.WARPLoss(rank_estimate="sampled", seed=1),
    losses.LSEPLoss(),
    losses.LSEPLoss(num_pairs=3, seed=1),
    losses.BPMLLLoss(),
    losses.HingeRankLoss(num_negatives=2, seed=1),
    losses.TripletHingeLoss(),
    losses.ThresholdEstimationLoss(),
    losses.OneVsAllHingeLoss(),
]
KERAS = ["binary_crossentropy", keras.losses.BinaryFocalCrossentropy(from_logits=True),
         "mlrank_keras>WARPLoss", "mlrank_keras>lsep_loss"]


@pytest.mark.parametrize("loss", OURS + KERAS, ids=lambda loss: getattr(loss, "name", loss))
def test_any_registered_loss_is_one_call(loss):
    x, y = toy.features(n=32)  # a small backbone on feature vectors: any keras.Model
    keras.utils.set_random_seed(0)
    backbone = keras.Sequential([keras.Input((16,)), keras.layers.Dense(8, activation="relu")])
    model = mk.build_ranker(6, loss, backbone=backbone)
    assert model.output_shape == (None, 6)
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0).history["loss"]
    assert np.isfinite(history).all()
    assert mk.ranker_features(model).output_shape == (None, 8)


def test_bad_loss_backbone_and_head_are_clear_errors():
    backbone = mk.cpu_alexnet(32, width=0.125)
    with pytest.raises(ValueError, match="`loss` must be a Keras loss.*loss='warp-ish'"):
        mk.build_ranker(4, "warp-ish", backbone=backbone)
    with pytest.raises(ValueError, match="`loss` must be given"):
        mk.build_ranker(4, None, backbone=backbone)
    assert not mk.build_ranker(4, None, backbone=backbone, compile=False).compiled
    with pytest.raises(ValueError, match="`backbone` must be a keras.Model.*'alexnet' is neither"):
        mk.build_ranker(4, "binary_crossentropy", backbone="alexnet")
    with pytest.raises(ValueError, match=r"`head` must output \(batch, num_labels=4\)"):
        mk.build_ranker(4, "binary_crossentropy", backbone=backbone,
                        head=keras.layers.Dense(5))
    with pytest.raises(ValueError, match="`num_labels` must be a positive int"):
        mk.build_ranker(np.int64(0), "binary_crossentropy", backbone=backbone)


def test_the_label_decision_heads_attach_to_the_transformation_model():
    model, x, y = builders.tiny("transform_alexnet")
    features = mk.ranker_features(model).predict(x, verbose=0)
    assert features.shape == (len(x), 32)  # the backbone's, not A's k x d
    head = mk.build_label_count_head(features.shape[1], max_count=3)
    decision = mk.build_label_decision_model(model, count_head=head)
    labels = decision.predict(x[:4], verbose=0)
    assert set(np.unique(labels)) <= {0.0, 1.0} and (labels.sum(axis=1) >= 1).all()


@pytest.mark.parametrize("name", ["warp_alexnet", "transform_alexnet"])
def test_the_presets_build_the_models_the_old_builders_built(name):
    """The same layers with the same weight shapes as the files saved by 0.1.0's builders,
    the backbone's now nested in one layer (plus the weightless "features" layer), the same
    loss class and optimizer."""
    old = keras.saving.load_model(SAVED / f"{name}.keras")
    new, _, _ = builders.tiny(name)
    assert new.count_params() == old.count_params()
    shapes = lambda m: [tuple(w.shape) for w in m.weights]  # noqa: E731
    assert shapes(new) == shapes(old)
    assert type(new.loss) is type(old.loss)
    assert type(new.optimizer) is type(old.optimizer)
    backbone = mk.ranker_backbone(new)
    names = [layer.name for layer in backbone.layers]
    names += [layer.name for layer in new.layers[2:] if layer.name != "features"]
    assert names == [layer.name for layer in old.layers]


def test_the_papers_compiled_defaults():
    tiny = toy.TINY_ALEXNET
    warp = mk.build_warp_alexnet(4, **tiny)
    assert isinstance(warp.loss, losses.WARPLoss)
    assert warp.loss.get_config()["rank_estimate"] == "exact"
    assert isinstance(warp.optimizer, keras.optimizers.SGD)
    assert warp.optimizer.get_config()["momentum"] == pytest.approx(0.9)
    assert isinstance(mk.build_ranking_alexnet(4, **tiny).loss, losses.PairwiseHingeLoss)
    assert isinstance(mk.build_softmax_alexnet(4, **tiny).loss, losses.MultilabelSoftmaxLoss)
    lsep = mk.build_lsep_vgg16(4, **toy.TINY_VGG)
    assert isinstance(lsep.loss, losses.LSEPLoss)
    config = lsep.optimizer.get_config()
    assert (config["learning_rate"], config["momentum"], config["weight_decay"]) == \
        pytest.approx((0.001, 0.9, 5e-5))
