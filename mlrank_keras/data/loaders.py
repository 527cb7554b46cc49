"""Datasets ready for an experiment: training, training-in-order and test streams plus the
label arrays the metrics need, for GlyphTags or a prepared TFDS dataset.

>>> data = load_data("glyphtags", train_images=64, test_images=32, image_size=32, crop_size=28)
>>> data.num_labels, data.y_train.shape, data.crop_size
(20, (64, 20), 28)
"""

import dataclasses

import numpy as np

from mlrank_keras.data.array_pipeline import array_dataset
from mlrank_keras.data.glyphtags import LABELS as GLYPHTAGS_LABELS
from mlrank_keras.data.glyphtags import load_glyphtags
from mlrank_keras.validation import one_of

DATASETS = ("glyphtags", "voc2007", "coco2014", "nuswide")
TEST_SPLITS = {"voc2007": "test", "coco2014": "validation", "nuswide": "test"}


@dataclasses.dataclass
class Data:
    """A dataset ready for a recipe.

    Attributes:
        name: the dataset's name.
        train: batched ``(images, labels)`` for ``fit``: shuffled each epoch, a random
            crop of five and a random flip. Each access builds a fresh dataset that starts
            the same seeded stream, so every model trained on ``data.train`` sees the same
            batches, crops and flips, epoch by epoch (one dataset object would go on to new
            shuffles for the next model).
        make_train: the function that builds ``train``.
        train_eval: the training images in order, centre crops (features, baselines).
        test: the test images in order, centre crops.
        y_train, y_test: multi-hot label arrays in the order of ``train_eval`` and ``test``.
        label_names: one name per label.
        crop_size: the side of the images the models see.
    """

    name: str
    make_train: object
    train_eval: object
    test: object
    y_train: np.ndarray
    y_test: np.ndarray
    label_names: list
    crop_size: int

    @property
    def train(self):
        return self.make_train()

    @property
    def num_labels(self):
        return self.y_test.shape[1]


def default_sizes(dataset, image_size=None, crop_size=None):
    """``(image_size, crop_size)`` for ``dataset``: the given ones, else 32 and 28 for
    GlyphTags and 128 and 112 for the photographs (what :func:`load_data` uses)."""
    glyphs = dataset == "glyphtags"
    return image_size or (32 if glyphs else 128), crop_size or (28 if glyphs else 112)


def load_data(
    dataset="glyphtags",
    *,
    data_dir=None,
    manual_dir=None,
    batch_size=64,
    train_images=None,
    test_images=None,
    image_size=None,
    crop_size=None,
    seed=0,
    validation_images=0,
):
    """GlyphTags (generated from ``seed``) or a prepared TFDS dataset, as :class:`Data`.

    ``image_size`` and ``crop_size`` default to 32 and 28 for GlyphTags, 128 and 112 for the
    photograph datasets (Gong's 256 and 220 are too large for a CPU run; pass them to use
    them); at 32 x 32 the smallest GlyphTags glyph is 8 pixels high, still legible, and a
    CPU trains four times the epochs it could at 64 x 64. ``train_images`` and
    ``test_images`` take the first images of each split.

    Training mirrors the photographs left-right at random, but not GlyphTags: a mirrored
    digit is not the same digit (or no digit at all).

    ``validation_images`` (GlyphTags only) carves that many images off the end of the
    training split and serves them as ``test``: tune on them, never on the test set.
    """
    one_of(dataset, "dataset", DATASETS)
    glyphs = dataset == "glyphtags"
    image_size, crop_size = default_sizes(dataset, image_size, crop_size)
    kwargs = dict(batch_size=batch_size, crop_size=crop_size, seed=seed)
    validation_images = int(validation_images or 0)
    if validation_images and not glyphs:
        raise ValueError(
            "`validation_images` is for GlyphTags; a TFDS dataset has its own validation "
            f"split. Received: dataset={dataset!r}, validation_images={validation_images}"
        )
    if glyphs:
        x_train, y_train = load_glyphtags(
            "train", num_images=train_images, seed=seed, image_size=image_size
        )
        if validation_images:
            if not 0 < validation_images < len(x_train):
                raise ValueError(
                    f"`validation_images` must be between 0 and the {len(x_train)} training "
                    f"images (both excluded). Received: validation_images={validation_images}"
                )
            cut = len(x_train) - validation_images
            x_test, y_test = x_train[cut:], y_train[cut:]
            x_train, y_train = x_train[:cut], y_train[:cut]
        else:
            x_test, y_test = load_glyphtags(
                "test", num_images=test_images, seed=seed, image_size=image_size
            )
        return Data(
            name=dataset,
            make_train=lambda: array_dataset(
                x_train, y_train, training=True, flip=False, **kwargs
            ),
            train_eval=array_dataset(x_train, y_train, **kwargs),
            test=array_dataset(x_test, y_test, **kwargs),
            y_train=y_train,
            y_test=y_test,
            label_names=list(GLYPHTAGS_LABELS),
            crop_size=crop_size,
        )

    from mlrank_keras.data.datasets import label_names, tfds_dataset  # TFDS: only here

    def split(name, count):
        return f"{name}[:{count}]" if count else name

    kwargs.update(data_dir=data_dir, manual_dir=manual_dir, image_size=image_size)
    train_split = split("train", train_images)
    test_split = split(TEST_SPLITS[dataset], test_images)

    def make_train():
        return tfds_dataset(dataset, train_split, training=True, **kwargs)

    train_eval = tfds_dataset(dataset, train_split, training=False, **kwargs)
    test = tfds_dataset(dataset, test_split, training=False, **kwargs)
    return Data(
        name=dataset,
        make_train=make_train,
        train_eval=train_eval,
        test=test,
        y_train=dataset_labels(train_eval),
        y_test=dataset_labels(test),
        label_names=list(label_names(dataset)),
        crop_size=crop_size,
    )


def dataset_labels(dataset):
    """The labels of a batched ``(images, labels)`` dataset, concatenated, as NumPy."""
    return np.concatenate([np.asarray(y) for _, y in dataset])
