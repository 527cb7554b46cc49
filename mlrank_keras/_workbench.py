"""What the main job and the paper recipes share, and nothing else uses: their command-line
options, the table of rankers they train and the training loop that prints and saves.

Not part of the library's API (it may change with the recipes); the library's own pieces
are :func:`mlrank_keras.models.build_ranker`, :func:`mlrank_keras.models.cpu_convnet` and
:func:`mlrank_keras.data.load_data`.

>>> parser = recipe_parser("demo", epochs=6)
>>> args = parse_recipe_args(parser, ["--smoke"])
>>> args.dataset, args.epochs, args.train_images, args.crop_size
('glyphtags', 1, 256, 28)
"""

import argparse
import math
import os
import pathlib
import shlex
import sys
import time

import keras

from mlrank_keras import tuned
from mlrank_keras.data import DATASETS, load_data
from mlrank_keras.data.loaders import default_sizes
from mlrank_keras.models import build_ranker, cpu_convnet

# A notebook kernel has no command line of its own: it reads the recipe's options here.
ARGS_ENV = "MLRANK_RECIPE_ARGS"

# The tuned settings are public (`mlrank_keras.tuned`); the recipes read them here.
RANKERS = tuned.LOSSES
SETTINGS = tuned.SETTINGS
WARMUP_EPOCHS = tuned.WARMUP_EPOCHS
EPOCHS = tuned.EPOCHS
recipe_optimizer = tuned.warmup_cosine_adam


def build_recipe_ranker(
    key,
    num_labels,
    crop_size,
    width=0.5,
    *,
    steps_per_epoch,
    epochs,
    learning_rate=None,
    margin=None,
    loss_kwargs=None,
    metrics=None,
    schedule="cosine",
):
    """The ranker of :data:`RANKERS` ``key`` on :func:`cpu_convnet`, compiled with the
    :func:`recipe_optimizer` at the loss's tuned learning rate (``mlrank_keras.tuned``; pass
    ``learning_rate`` or ``margin`` to override them; ``loss_kwargs`` go to the loss too;
    ``metrics`` to ``compile``; ``schedule`` to :func:`recipe_optimizer`).

    The papers fine-tune ImageNet weights with SGD (Gong: momentum 0.9, rate 0.002; Li: rate
    0.001); a short CPU run from scratch on a network with batch normalisation learns
    fastest with Adam and a warm-up. TensorFlow compiles without XLA: on a CPU, XLA's
    convolutions take about 1.5 times as long as TensorFlow's own (BENCHMARKS.md).
    """
    overrides = dict(loss_kwargs or {})
    if margin is not None and "margin" in SETTINGS.get(key, {}):
        overrides["margin"] = margin
    loss, rate = tuned.tuned_loss(key, learning_rate, **overrides)
    return build_ranker(
        num_labels,
        loss,
        backbone=cpu_convnet(crop_size, width),
        optimizer=recipe_optimizer(rate, steps_per_epoch, epochs, schedule=schedule),
        metrics=metrics,
        name=key,
        jit_compile=False if keras.backend.backend() == "tensorflow" else "auto",
    )


def build_for_data(key, data, args, epochs=None, **kwargs):
    """:func:`build_recipe_ranker` for ``data`` with a recipe's options: its labels, crop
    size, ``args.width`` and the steps of an epoch of ``args.batch_size`` (``epochs``:
    ``args.epochs`` by default; ``kwargs`` as there)."""
    return build_recipe_ranker(
        key,
        data.num_labels,
        data.crop_size,
        args.width,
        steps_per_epoch=math.ceil(len(data.y_train) / args.batch_size),
        epochs=epochs or args.epochs,
        **kwargs,
    )


def train_rankers(data, keys, args, out=None):
    """Train each ranker of ``keys`` on ``data.train`` with a recipe's options.

    Every model starts from ``args.seed``. Returns ``{key: (model, test scores)}``; with
    ``out``, each model is saved there as ``{key}.keras``.
    """
    trained = {}
    for key in keys:
        keras.utils.set_random_seed(args.seed)
        model = build_for_data(key, data, args)
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


def recipe_parser(prog, description=None, *, epochs=EPOCHS, width=0.5, batch_size=64):
    """An ``argparse`` parser with the options every recipe takes (and ``--smoke``)."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--dataset", choices=DATASETS, default="glyphtags")
    parser.add_argument("--data-dir", help="the TFDS data folder (real datasets)")
    parser.add_argument("--manual-dir", help="the NUS-WIDE download folder")
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--batch-size", type=int, default=batch_size)
    parser.add_argument("--train-images", type=int, help="GlyphTags: 10,000; else the split")
    parser.add_argument("--test-images", type=int, help="GlyphTags: 2,000; else the split")
    parser.add_argument("--image-size", type=int, help="32 (GlyphTags), 128 (photographs)")
    parser.add_argument("--crop-size", type=int, help="28 (GlyphTags), 112 (photographs)")
    parser.add_argument("--width", type=float, default=width, help="scales the backbone")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=f"out/{prog.split()[-1]}", help="results folder")
    parser.add_argument("--verbose", type=int, default=1, help="Keras progress bars (0-2)")
    parser.add_argument("--smoke", action="store_true", help="a seconds-long run")
    return parser


def show_figure(path):
    """Print where a figure was saved and, in a notebook, show it (so that a notebook run
    keeps its figures with its outputs)."""
    print(f"saved {path}")
    if in_notebook():
        from IPython.display import Image, display

        display(Image(filename=str(path)))


def in_notebook():
    """True inside a Jupyter kernel (whose command line is not the recipe's)."""
    return "ipykernel" in sys.modules


def parse_recipe_args(parser, argv=None):
    """Parse a recipe's options: ``argv``, else the command line, else (in a notebook) the
    ``MLRANK_RECIPE_ARGS`` environment variable. ``--smoke`` shrinks everything."""
    if argv is None and in_notebook():
        argv = shlex.split(os.environ.get(ARGS_ENV, ""))
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size", "train_images", "test_images", "image_size", "crop_size"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1; received {value}")
    if not 0 <= args.seed < 2**32:
        parser.error(f"--seed must be from 0 to 2**32 - 1 = {2**32 - 1}; received {args.seed}")
    if not (math.isfinite(args.width) and args.width > 0):
        parser.error(f"--width must be a finite number > 0; received {args.width}")
    if args.dataset != "glyphtags" and args.data_dir is None:
        parser.error(
            f"--dataset {args.dataset} needs --data-dir, a TFDS data folder where the dataset "
            "is prepared (this command never downloads)"
        )
    if args.smoke:
        args.epochs = min(args.epochs, 1)
        args.train_images = args.train_images or 256
        args.test_images = args.test_images or 128
        args.image_size, args.crop_size, args.width = 32, 28, min(args.width, 0.25)
    image_size, crop_size = default_sizes(args.dataset, args.image_size, args.crop_size)
    if crop_size > image_size:
        parser.error(
            f"--crop-size ({crop_size}) must be at most --image-size ({image_size})"
            + ("" if args.image_size and args.crop_size else f" for --dataset {args.dataset}")
        )
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        parser.error(f"--out {args.out} is a file; it must be a folder (made if missing)")
    return args


def load_recipe_data(args, validation_images=0):
    """:func:`load_data` with a recipe's parsed options (``validation_images``: see there).

    A TFDS dataset missing from ``--data-dir`` ends the command with a message that says
    how to prepare it (the commands never download).
    """
    try:
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
            validation_images=validation_images,
        )
    except AssertionError as error:  # TFDS's "Dataset ...: could not find data in ..."
        if "could not find data" not in str(error):
            raise
        raise SystemExit(
            f"error: {args.dataset} is not prepared in --data-dir {args.data_dir}. Prepare "
            "it there once on a machine with network access (python -c \"import "
            "mlrank_keras.data as d; d.tfds_dataset('"
            f"{args.dataset}', 'train', data_dir='{args.data_dir}', download=True)\"), or "
            "pass --manual-dir for NUS-WIDE."
        ) from None
