"""A model that knows its labels (issue 21, item 3): the names and the per-label thresholds
travel in the .keras file, and tags are decided by name. References: hand-made scores."""

import keras
import numpy as np
import pytest

import mlrank_keras as mk
from mlrank_keras.layers import LabelNames
from mlrank_keras.losses import WARPLoss
from tests.helpers import to_numpy

NAMES = ["bird", "cat", "dog"]


def tiny_ranker(**kwargs):
    inputs = keras.Input((4,))
    backbone = keras.Model(inputs, keras.layers.Dense(5, activation="relu")(inputs))
    return mk.build_ranker(3, WARPLoss(), backbone=backbone, **kwargs)


def test_names_and_thresholds_survive_a_keras_file(tmp_path):
    model = tiny_ranker(label_names=NAMES)
    assert mk.model_label_names(model) == NAMES
    np.testing.assert_array_equal(mk.model_thresholds(model), [0.0, 0.0, 0.0])
    x = np.random.default_rng(0).standard_normal((6, 4)).astype("float32")
    y = (np.random.default_rng(1).random((6, 3)) < 0.5).astype("float32")
    model.fit(x, y, epochs=1, verbose=0)  # trains as before: the layer passes scores through
    mk.set_thresholds(model, [0.25, -1.0, 3.0])
    path = tmp_path / "tagger.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert mk.model_label_names(loaded) == NAMES
    np.testing.assert_allclose(mk.model_thresholds(loaded), [0.25, -1.0, 3.0])
    np.testing.assert_allclose(to_numpy(loaded.predict(x, verbose=0)),
                               to_numpy(model.predict(x, verbose=0)), rtol=1e-6)


def test_decide_tags_by_name():
    model = tiny_ranker(label_names=NAMES)
    mk.set_thresholds(model, [0.5, 0.0, 1.0])
    scores = np.array([[0.6, 0.1, 0.9], [0.4, -0.2, 2.0], [np.nan, 0.3, 0.2]])
    assert mk.decide_tags(model, scores) == [["bird", "cat"], ["dog"], ["cat"]]
    assert mk.decide_tags(model, scores, k=2) == [["dog", "bird"], ["dog", "bird"],
                                                  ["cat", "dog"]]
    with pytest.raises(ValueError, match=r"`k` must be an int in \[1, 3\]"):
        mk.decide_tags(model, scores, k=4)
    with pytest.raises(ValueError, match=r"`scores` must be \(images, 3\)"):
        mk.decide_tags(model, scores[:, :2])


def test_bad_names_and_thresholds_are_clear_errors():
    with pytest.raises(ValueError, match="repeats"):
        LabelNames(["cat", "cat"])
    with pytest.raises(ValueError, match="sequence of strings"):
        LabelNames("cat")
    with pytest.raises(ValueError, match="2 names but the scores have 3 labels"):
        tiny_ranker(label_names=["a", "b"])
    model = tiny_ranker(label_names=NAMES)
    with pytest.raises(ValueError, match="3 finite numbers"):
        mk.set_thresholds(model, [0.0, np.nan, 1.0])
    with pytest.raises(ValueError, match="carries no label names"):
        mk.model_thresholds(tiny_ranker())
    assert mk.model_label_names(tiny_ranker()) is None


def test_with_label_names_wraps_a_trained_model():
    model = tiny_ranker()
    tagged = mk.with_label_names(model, NAMES, thresholds=0.1)
    x = np.ones((2, 4), "float32")
    np.testing.assert_allclose(to_numpy(tagged.predict(x, verbose=0)),
                               to_numpy(model.predict(x, verbose=0)), rtol=1e-6)
    np.testing.assert_allclose(mk.model_thresholds(tagged), [0.1] * 3)
