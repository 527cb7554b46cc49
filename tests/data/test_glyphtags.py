"""GlyphTags: shipped glyphs, long tail, disjoint splits, determinism, and training on it."""

import hashlib

import keras
import numpy as np
import pytest

from mlrank_keras.data import glyphtags
from mlrank_keras.data.glyphtags import (
    FREQUENCY_ORDER,
    LABELS,
    glyphtags_dataset,
    label_probabilities,
    load_glyphtags,
)


@pytest.fixture(scope="module")
def train():
    return load_glyphtags("train")


def test_default_train_set_is_long_tailed(train):
    x, y = train
    assert x.shape == (10_000, 64, 64, 3) and x.dtype == np.uint8
    assert y.shape == (10_000, 20) and set(np.unique(y)) == {0.0, 1.0}
    counts = y.sum(axis=0)
    assert counts.min() > 0
    assert counts.max() / counts.min() >= 30  # as NUS-WIDE's head and tail
    # Frequencies fall along FREQUENCY_ORDER: a Spearman correlation computed by hand.
    ranks = np.empty(20)
    ranks[np.argsort(-counts)] = np.arange(20)
    expected = np.empty(20)
    expected[list(FREQUENCY_ORDER)] = np.arange(20)
    d = ranks - expected
    assert 1 - 6 * (d**2).sum() / (20 * (20**2 - 1)) > 0.95


def test_objects_per_image_and_labels(train):
    _, y = train
    per_image = y.sum(axis=1)
    assert per_image.min() == 1 and per_image.max() == 4


def test_uniform_labels_with_exponent_zero():
    _, y = load_glyphtags("train", num_images=4000, zipf_exponent=0.0, max_objects=1)
    counts = y.sum(axis=0)
    assert (y.sum(axis=1) == 1).all()
    assert abs(counts - 200).max() < 60  # 4,000 draws over 20 labels, ~4 standard deviations


def test_probabilities_follow_zipf_by_hand():
    p = label_probabilities(1.4)
    weights = np.arange(1, 21, dtype=float) ** -1.4
    np.testing.assert_allclose(p[list(FREQUENCY_ORDER)], weights / weights.sum())


def test_train_and_test_glyphs_are_disjoint():
    train_bank, test_bank = glyphtags._glyphs("train"), glyphtags._glyphs("test")
    assert train_bank.shape == (20, 180, 28, 28) and test_bank.shape == (20, 60, 28, 28)

    def digests(bank):
        return {hashlib.sha1(g.tobytes()).hexdigest() for g in bank.reshape(-1, 28, 28)}

    assert not digests(train_bank) & digests(test_bank)
    assert len(digests(train_bank)) == 20 * 180  # no glyph repeated within a split either


def test_deterministic_from_the_seed():
    a = load_glyphtags("test", num_images=50, seed=3)
    b = load_glyphtags("test", num_images=50, seed=3)
    c = load_glyphtags("test", num_images=50, seed=4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_each_image_shows_a_glyph_of_its_label():
    """One unscaled glyph on a 28 x 28 canvas: of all 1,200 test glyphs, the one the image
    correlates with best belongs to the image's label."""
    x, y = load_glyphtags(
        "test", num_images=40, image_size=28, max_objects=1, scale_range=(28, 28), seed=1
    )
    bank = glyphtags._glyphs("test").astype(np.float64).reshape(20 * 60, -1)
    bank = (bank - bank.mean(1, keepdims=True)) / bank.std(1, keepdims=True)
    grey = x.astype(np.float64).mean(axis=-1).reshape(40, -1)
    grey = (grey - grey.mean(1, keepdims=True)) / grey.std(1, keepdims=True)
    correlation = grey @ bank.T / grey.shape[1]  # (40 images, 1200 glyphs)
    best = correlation.argmax(axis=1)
    np.testing.assert_array_equal(best // 60, y.argmax(axis=1))
    assert correlation.max(axis=1).min() > 0.9


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="`split`"):
        load_glyphtags("valid")
    with pytest.raises(ValueError, match="`scale_range`"):
        load_glyphtags("test", num_images=2, image_size=32, scale_range=(10, 40))
    with pytest.raises(ValueError, match="`zipf_exponent`"):
        load_glyphtags("test", num_images=2, zipf_exponent=-1)
    with pytest.raises(ValueError, match="`num_images`"):
        load_glyphtags("test", num_images=0)


def test_labels_are_the_twenty_glyph_classes():
    assert len(LABELS) == 20 and LABELS[:2] == ("zero", "one") and LABELS[-1] == "ankle boot"
    assert sorted(FREQUENCY_ORDER) == list(range(20))


def test_a_tiny_model_trains_on_glyphtags():
    """GlyphTags through tf.data into model.fit on the current backend: the loss falls."""
    train = glyphtags_dataset(
        "train",
        batch_size=64,
        num_images=512,
        image_size=32,
        crop_size=28,
        scale_range=(12, 20),
        seed=0,
    )
    x, y = next(iter(train))
    assert tuple(x.shape) == (64, 28, 28, 3) and tuple(y.shape) == (64, 20)
    model = keras.Sequential(
        [
            keras.Input((28, 28, 3)),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(20),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    history = model.fit(train, epochs=4, verbose=0).history["loss"]
    assert np.isfinite(history).all()
    assert history[-1] < 0.8 * history[0]
