"""GlyphTags: a small real multilabel image dataset that needs no download.

Each image is a coloured canvas with 1 to ``max_objects`` real glyphs pasted at random positions
and scales, later ones over earlier ones (so objects occlude each other). The glyphs are MNIST
digits and Fashion-MNIST items, 20 labels in all, shipped inside the package
(``resources/glyphs.npz``, 1.4 MB, with ``resources/LICENSES.md``). Label frequencies follow a
Zipf law over a fixed ranking of the labels (``FREQUENCY_ORDER``), so, as in NUS-WIDE, a few
labels are common and many are rare: with the default exponent the most frequent label is about
40 times as common as the rarest in a 10,000-image training set. Train and test images are drawn
from disjoint glyph instances (180 and 60 per label). Everything is deterministic given ``seed``.

This module needs only NumPy; ``glyphtags_dataset`` wraps the arrays in a ``tf.data`` pipeline.
"""

import functools
import pathlib

import numpy as np

from mlrank_keras.validation import positive_int

LABELS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    "t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
    "ankle boot",
)  # fmt: skip
# Label indices from the most to the least frequent (a fixed shuffle, so digits and clothes mix).
FREQUENCY_ORDER = (2, 16, 13, 1, 9, 4, 0, 14, 10, 7, 18, 19, 5, 12, 15, 8, 3, 6, 17, 11)
SPLITS = {"train": 10_000, "test": 2_000}
GLYPH_SIZE = 28

_RESOURCES = pathlib.Path(__file__).parent / "resources"


@functools.cache
def _glyphs(split):
    with np.load(_RESOURCES / "glyphs.npz") as bank:
        return bank[split]  # (20, glyphs per label, 28, 28) uint8


@functools.cache
def _resize_matrix(size):
    """(size, 28) bilinear interpolation weights (pixel centres aligned, edges clamped)."""
    position = (np.arange(size) + 0.5) * GLYPH_SIZE / size - 0.5
    position = np.clip(position, 0, GLYPH_SIZE - 1)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, GLYPH_SIZE - 1)
    weight = position - low
    matrix = np.zeros((size, GLYPH_SIZE), np.float32)
    matrix[np.arange(size), low] += 1 - weight
    matrix[np.arange(size), high] += weight
    return matrix


def label_probabilities(zipf_exponent):
    """Each label's probability of being drawn for one object: rank ** -zipf_exponent.

    >>> p = label_probabilities(1.0)
    >>> round(float(p[FREQUENCY_ORDER[0]] / p[FREQUENCY_ORDER[-1]]), 6)
    20.0
    """
    if not np.isfinite(zipf_exponent) or zipf_exponent < 0:
        raise ValueError(f"`zipf_exponent` must be a finite number >= 0, got {zipf_exponent!r}.")
    weights = np.empty(len(LABELS))
    weights[list(FREQUENCY_ORDER)] = np.arange(1, len(LABELS) + 1, dtype=float) ** -zipf_exponent
    return weights / weights.sum()


def load_glyphtags(
    split="train",
    num_images=None,
    seed=0,
    image_size=64,
    max_objects=4,
    scale_range=None,
    zipf_exponent=1.4,
):
    """GlyphTags images and multi-hot labels as NumPy arrays.

    Args:
        split: ``"train"`` or ``"test"``; they use disjoint glyph instances and different
            random streams.
        num_images: how many images; default 10,000 for train and 2,000 for test.
        seed: the random seed; the same arguments always give the same arrays.
        image_size: the side of the square RGB images.
        max_objects: each image holds 1 to ``max_objects`` objects (uniformly many); two
            objects may share a label.
        scale_range: ``(smallest, largest)`` side in pixels of a pasted glyph; by default
            1/4 and 9/16 of ``image_size`` (16 and 36 pixels at 64).
        zipf_exponent: label ``r``-th in ``FREQUENCY_ORDER`` is drawn with probability
            proportional to ``r ** -zipf_exponent`` (0 gives uniform labels).

    Returns:
        ``(images, labels)``: uint8 ``(num_images, image_size, image_size, 3)`` and float32
        ``(num_images, 20)`` multi-hot, columns in the order of ``LABELS``.

    >>> x, y = load_glyphtags("test", num_images=3, image_size=32, scale_range=(12, 20))
    >>> x.shape, x.dtype, y.shape
    ((3, 32, 32, 3), dtype('uint8'), (3, 20))
    >>> bool(((y.sum(axis=1) >= 1) & (y.sum(axis=1) <= 4)).all())
    True
    """
    if split not in SPLITS:
        raise ValueError(f"`split` must be one of {sorted(SPLITS)}, got {split!r}.")
    num_images = SPLITS[split] if num_images is None else positive_int(num_images, "num_images")
    image_size = positive_int(image_size, "image_size")
    max_objects = positive_int(max_objects, "max_objects")
    low, high = _scale_range(scale_range, image_size)
    probabilities = label_probabilities(zipf_exponent)

    glyphs = _glyphs(split)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), list(SPLITS).index(split)]))
    counts = rng.integers(1, max_objects + 1, size=num_images)
    total = int(counts.sum())
    classes = rng.choice(len(LABELS), size=total, p=probabilities)
    instances = rng.integers(0, glyphs.shape[1], size=total)
    sizes = rng.integers(low, high + 1, size=total)
    corners = rng.random((total, 2))
    colours = rng.uniform(110, 255, size=(total, 3)).astype(np.float32)
    backgrounds = rng.uniform(0, 90, size=(num_images, 3)).astype(np.float32)

    images = np.empty((num_images, image_size, image_size, 3), np.uint8)
    labels = np.zeros((num_images, len(LABELS)), np.float32)
    image_of = np.repeat(np.arange(num_images), counts)
    labels[image_of, classes] = 1.0
    starts = np.concatenate([[0], np.cumsum(counts)])
    for i in range(num_images):
        canvas = np.empty((image_size, image_size, 3), np.float32)
        canvas[:] = backgrounds[i]
        canvas += rng.normal(0.0, 8.0, size=canvas.shape).astype(np.float32)
        for j in range(starts[i], starts[i + 1]):
            size = sizes[j]
            matrix = _resize_matrix(size)
            alpha = matrix @ glyphs[classes[j], instances[j]].astype(np.float32) @ matrix.T
            alpha = np.clip(alpha / 255.0, 0.0, 1.0)[..., None]
            top, left = (corners[j] * (image_size - size + 1)).astype(int)
            patch = canvas[top : top + size, left : left + size]
            patch *= 1.0 - alpha
            patch += alpha * colours[j]
        images[i] = np.clip(canvas, 0, 255).round().astype(np.uint8)
    return images, labels


def _scale_range(scale_range, image_size):
    if scale_range is None:
        return max(1, round(image_size / 4)), max(1, round(image_size * 9 / 16))
    try:
        low, high = (int(v) for v in scale_range)
    except (TypeError, ValueError):
        low = high = None
    if low is None or not 1 <= low <= high <= image_size:
        raise ValueError(
            "`scale_range` must be (smallest, largest) glyph sides with "
            f"1 <= smallest <= largest <= image_size={image_size}, got {scale_range!r}."
        )
    return low, high


def glyphtags_dataset(
    split="train",
    batch_size=32,
    training=None,
    num_images=None,
    seed=0,
    image_size=32,
    crop_size=28,
    normalization="imagenet",
    flip=False,
    **kwargs,
):
    """GlyphTags as a batched ``tf.data.Dataset`` of ``(images, multi-hot labels)``.

    The arrays of ``load_glyphtags(split, num_images, seed, image_size, **kwargs)`` go through
    ``array_dataset``: for training (default for the train split) shuffled and a random one of
    the five ``crop_size`` crops, not mirrored unless ``flip`` (a mirrored digit is not the
    same digit); otherwise the centre crop. 32 x 32 images with 28 x 28 crops are what the
    main job trains on (the smallest glyph is then 8 pixels high).
    """
    from mlrank_keras.data.array_pipeline import array_dataset

    images, labels = load_glyphtags(split, num_images, seed, image_size, **kwargs)
    return array_dataset(
        images,
        labels,
        training=split == "train" if training is None else training,
        batch_size=batch_size,
        crop_size=crop_size,
        normalization=normalization,
        seed=seed,
        flip=flip,
    )
