"""What the main job and the paper recipes share: data, a CPU-sized backbone, arguments.

A recipe runs on GlyphTags (the embedded dataset, no download) unless given a prepared TFDS
dataset, so :func:`load_data` hands back the same :class:`Data` for both: a shuffled,
augmented training dataset, the training and test images in order (centre crops), and the
label arrays the metrics need.

>>> parser = recipe_parser("demo", epochs=6)
>>> args = parse_recipe_args(parser, ["--smoke"])
>>> args.dataset, args.epochs, args.train_images, args.crop_size
('glyphtags', 1, 256, 28)
"""

import argparse
import dataclasses
import os
import pathlib
import shlex
import sys
import time

import keras
import numpy as np

from mlrank_keras.losses import BPMLLLoss
from mlrank_keras.models import (
    alexnet_backbone,
    build_lsep_vgg16,
    build_ranking_alexnet,
    build_softmax_alexnet,
    build_warp_alexnet,
)

DATASETS = ("glyphtags", "voc2007", "coco2014", "nuswide")
TEST_SPLITS = {"voc2007": "test", "coco2014": "validation", "nuswide": "test"}
# A notebook kernel has no command line of its own: it reads the recipe's options here.
ARGS_ENV = "MLRANK_RECIPE_ARGS"


def cpu_backbone(crop_size, width=0.5, name="cpu_alexnet"):
    """A small AlexNet-shaped backbone for CPU runs: five convolutions (32, 64, 96, 96 and
    64 filters times ``width``; kernels 5, 3, 3, 3, 3), max pooling after the 1st, 2nd and
    5th, then one Dense layer of ``256 * width`` units (ReLU, dropout 0.3).

    >>> cpu_backbone(28, width=0.25).output_shape
    (None, 64)
    """
    filters = [max(4, int(round(f * width))) for f in (32, 64, 96, 96, 64)]
    return alexnet_backbone(
        (crop_size, crop_size, 3),
        filters=filters,
        kernel_sizes=(5, 3, 3, 3, 3),
        strides=(1, 1, 1, 1, 1),
        pools=(True, True, False, False, True),
        dense_units=(max(8, int(round(256 * width))),),
        dropout=0.3,
        name=name,
    )


def _build_bpmll(num_labels, backbone, optimizer, name):
    model = build_lsep_vgg16(num_labels, backbone=backbone, compile=False, name=name)
    model.compile(optimizer=optimizer, loss=BPMLLLoss())
    return model


# key: (title, builder(num_labels=, backbone=, optimizer=, name=))
RANKERS = {
    "softmax": ("multilabel softmax (Gong)", build_softmax_alexnet),
    "ranking": ("pairwise ranking (Gong)", build_ranking_alexnet),
    "warp": ("WARP (Gong)", build_warp_alexnet),
    "bpmll": ("BP-MLL (Li)", _build_bpmll),
    "lsep": ("LSEP (Li)", build_lsep_vgg16),
}


def build_ranker(key, num_labels, crop_size, width=0.5, learning_rate=1e-3):
    """One of :data:`RANKERS` on :func:`cpu_backbone`, compiled with ``Adam``.

    The papers train with SGD (Gong: momentum 0.9, rate 0.002; Li: rate 0.001) from
    ImageNet weights; a short CPU run from scratch needs Adam's faster start.
    """
    if key not in RANKERS:
        raise ValueError(f"`key` must be one of {list(RANKERS)}; received key={key!r}")
    return RANKERS[key][1](
        num_labels=num_labels,
        backbone=cpu_backbone(crop_size, width),
        optimizer=keras.optimizers.Adam(learning_rate),
        name=key,
    )


def train_rankers(data, keys, args, out=None):
    """Train each ranker of ``keys`` on ``data.train`` with a recipe's options.

    Every model starts from ``args.seed``. Returns ``{key: (model, test scores)}``; with
    ``out``, each model is saved there as ``{key}.keras``.
    """
    trained = {}
    for key in keys:
        keras.utils.set_random_seed(args.seed)
        model = build_ranker(key, data.num_labels, data.crop_size, args.width)
        print(f"--- {RANKERS[key][0]}")
        start = time.perf_counter()
        # Shuffled (per epoch, from the seed) by tf.data.
        model.fit(data.train, epochs=args.epochs, verbose=args.verbose, shuffle=False)
        message = f"    {time.perf_counter() - start:.0f} s"
        trained[key] = (model, model.predict(data.test, verbose=0))
        if out is not None:
            path = pathlib.Path(out) / f"{key}.keras"
            model.save(path)
            message += f"; saved {path}"
        print(message)
    return trained


def best_threshold(y_true, scores, num_candidates=200):
    """The one threshold, among ``num_candidates`` quantiles of ``scores``, with the best
    overall F1 on ``(y_true, scores)`` (labels marked -1 are left out).

    Li et al. compare a thresholded decision without saying how the threshold is chosen;
    this picks it on the training images.

    >>> t = best_threshold(np.array([[1, 0], [0, 1]]), np.array([[0.9, 0.1], [0.3, 0.8]]))
    >>> 0.3 <= t < 0.8  # exactly the true labels score above it
    True
    """
    y_true, scores = np.asarray(y_true), np.asarray(scores, dtype="float64")
    known = y_true >= 0
    positives = (y_true > 0) & known
    candidates = np.unique(np.quantile(scores[known], np.linspace(0, 1, num_candidates + 2)[1:-1]))
    best, best_f1 = float(candidates[0]), -1.0
    for t in candidates:
        predicted = (scores > t) & known
        f1 = 2 * (predicted & positives).sum() / max(1, predicted.sum() + positives.sum())
        if f1 > best_f1:
            best, best_f1 = float(t), f1
    return best


def threshold_estimation(ranker, data, epochs=20, train_scores=None, features=None):
    """Li's per-class threshold estimation on a trained ranker: a threshold head trained on
    the frozen ranker's features and training scores, composed with the ranker into one
    model from images to multi-hot labels (:func:`build_label_decision_model`)."""
    from mlrank_keras.models import (
        build_label_decision_model,
        build_threshold_head,
        ranker_features,
    )

    if features is None:  # the frozen ranker's features of the training images
        features = ranker_features(ranker).predict(data.train_eval, verbose=0)
    if train_scores is None:
        train_scores = ranker.predict(data.train_eval, verbose=0)
    head = build_threshold_head(features.shape[1], data.num_labels)
    head.fit([features, train_scores], data.y_train, epochs=epochs, batch_size=256, verbose=0)
    return build_label_decision_model(ranker, threshold_head=head)


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
):
    """GlyphTags (generated from ``seed``) or a prepared TFDS dataset, as :class:`Data`.

    ``image_size`` and ``crop_size`` default to 64 and 56 for GlyphTags, 128 and 112 for the
    photograph datasets (Gong's 256 and 220 are too large for a CPU run; pass them to use
    them). ``train_images`` and ``test_images`` take the first images of each split.
    """
    from mlrank_keras.data import GLYPHTAGS_LABELS, array_dataset, load_glyphtags

    if dataset not in DATASETS:
        raise ValueError(f"`dataset` must be one of {DATASETS}; received dataset={dataset!r}")
    glyphs = dataset == "glyphtags"
    image_size = image_size or (64 if glyphs else 128)
    crop_size = crop_size or (56 if glyphs else 112)
    kwargs = dict(batch_size=batch_size, crop_size=crop_size, seed=seed)
    if glyphs:
        x_train, y_train = load_glyphtags(
            "train", num_images=train_images, seed=seed, image_size=image_size
        )
        x_test, y_test = load_glyphtags(
            "test", num_images=test_images, seed=seed, image_size=image_size
        )
        return Data(
            name=dataset,
            make_train=lambda: array_dataset(x_train, y_train, training=True, **kwargs),
            train_eval=array_dataset(x_train, y_train, **kwargs),
            test=array_dataset(x_test, y_test, **kwargs),
            y_train=y_train,
            y_test=y_test,
            label_names=list(GLYPHTAGS_LABELS),
            crop_size=crop_size,
        )

    from mlrank_keras.data import label_names, tfds_dataset

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


def thumbnail_features(dataset, size=8):
    """Hand-made visual features for the papers' feature baselines: each image averaged
    down to a ``size x size`` colour thumbnail, flattened (``3 * size**2`` values), as NumPy.

    A stand-in for the GIST and colour features of Gong's and He's baselines: the papers'
    point is what a model learns beyond fixed features, and these are fixed features.
    """
    rows = []
    for images, _ in dataset:
        images = np.asarray(images, dtype="float32")
        n, h, w, c = images.shape
        ys = np.linspace(0, h, size + 1).astype(int)
        xs = np.linspace(0, w, size + 1).astype(int)
        cells = [
            images[:, ys[i] : ys[i + 1], xs[j] : xs[j + 1]].mean(axis=(1, 2))
            for i in range(size)
            for j in range(size)
        ]
        rows.append(np.stack(cells, axis=1).reshape(n, -1))
    features = np.concatenate(rows)
    return (features - features.mean(axis=0)) / (features.std(axis=0) + 1e-6)


def recipe_parser(prog, description=None, *, epochs=6, width=0.5, batch_size=64):
    """An ``argparse`` parser with the options every recipe takes (and ``--smoke``)."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--dataset", choices=DATASETS, default="glyphtags")
    parser.add_argument("--data-dir", help="the TFDS data folder (real datasets)")
    parser.add_argument("--manual-dir", help="the NUS-WIDE download folder")
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--batch-size", type=int, default=batch_size)
    parser.add_argument("--train-images", type=int, help="GlyphTags: 10,000; else the split")
    parser.add_argument("--test-images", type=int, help="GlyphTags: 2,000; else the split")
    parser.add_argument("--image-size", type=int, help="64 (GlyphTags), 128 (photographs)")
    parser.add_argument("--crop-size", type=int, help="56 (GlyphTags), 112 (photographs)")
    parser.add_argument("--width", type=float, default=width, help="scales the backbone")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=f"out/{prog.split()[-1]}", help="results folder")
    parser.add_argument("--verbose", type=int, default=1, help="Keras progress bars (0-2)")
    parser.add_argument("--smoke", action="store_true", help="a seconds-long run")
    return parser


def in_notebook():
    """True inside a Jupyter kernel (whose command line is not the recipe's)."""
    return "ipykernel" in sys.modules


def parse_recipe_args(parser, argv=None):
    """Parse a recipe's options: ``argv``, else the command line, else (in a notebook) the
    ``MLRANK_RECIPE_ARGS`` environment variable. ``--smoke`` shrinks everything."""
    if argv is None and in_notebook():
        argv = shlex.split(os.environ.get(ARGS_ENV, ""))
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size", "train_images", "test_images", "image_size"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise ValueError(f"`--{name.replace('_', '-')}` must be >= 1; received {value}")
    if args.smoke:
        args.epochs = min(args.epochs, 1)
        args.train_images = args.train_images or 256
        args.test_images = args.test_images or 128
        args.image_size, args.crop_size, args.width = 32, 28, min(args.width, 0.25)
    return args


def load_recipe_data(args):
    """:func:`load_data` with a recipe's parsed options."""
    return load_data(
        args.dataset,
        data_dir=args.data_dir,
        manual_dir=args.manual_dir,
        batch_size=args.batch_size,
        train_images=args.train_images,
        test_images=args.test_images,
        image_size=args.image_size,
        crop_size=args.crop_size,
        seed=args.seed,
    )
