"""The main job: train Gong's and Li's losses on GlyphTags and print the papers' table.

Run with ``make demo``, ``mlrank-keras demo`` or ``python -m mlrank_keras.demo``. By default
it trains four models on GlyphTags (the embedded dataset: real MNIST and Fashion-MNIST glyphs,
20 long-tailed labels, no download), all on the same small CNN sized for a CPU
(:func:`mlrank_keras.models.cpu_convnet`: batch normalisation, global pooling): Gong et
al.'s multilabel softmax, pairwise ranking and WARP losses, and Li et al.'s LSEP.
It prints one table of C-P, C-R, C-F1, O-P, O-R, O-F1, F1, N+ and 0-1 for the top ``k`` labels
of each test image (with Gong's upper-bound row), and saves the ``.keras`` models, the table
and the per-class recall and precision-recall figures in ``--out``.

``--dataset voc2007|coco2014|nuswide --data-dir DIR`` runs it on a prepared TFDS dataset
(NUS-WIDE: ``--manual-dir`` with its download). ``--smoke`` is a seconds-long run.

The demo, like the recipes, trains from scratch with Adam, a one-epoch warm-up and a cosine
decay, each loss at the learning rate (and margin) that ``benchmarks/lr_grid.py`` chose on a
validation split of the training set (the papers fine-tune ImageNet weights with SGD). It
trains 6 epochs at 28 x 28, without mirroring (a mirrored digit is another glyph), so the
whole job stays within 10 minutes on a 2-core CPU without AVX-512.

Its options are every recipe's too (``recipes/``): :func:`recipe_parser`,
:func:`parse_recipe_args` and :func:`load_recipe_data` are here, with the command that
uses them, so that a recipe's notebook runs wherever the package is installed. In a
notebook, whose kernel has no command line of its own, they come from the
``MLRANK_RECIPE_ARGS`` environment variable.

>>> args = parse_recipe_args(recipe_parser("recipe"), ["--smoke"])
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

from mlrank_keras import metrics, plots, tuned
from mlrank_keras.data import DATASETS, load_data
from mlrank_keras.data.loaders import default_sizes
from mlrank_keras.models import build_ranker, cpu_convnet

MODELS = ("softmax", "ranking", "warp", "lsep")
# A notebook kernel has no command line of its own: it reads the recipe's options here.
ARGS_ENV = "MLRANK_RECIPE_ARGS"


def recipe_parser(prog, description=None, *, epochs=tuned.EPOCHS, width=0.5, batch_size=64):
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


def parse_recipe_args(parser, argv=None):
    """Parse a recipe's options: ``argv``, else the command line, else (in a notebook) the
    ``MLRANK_RECIPE_ARGS`` environment variable. ``--smoke`` shrinks everything."""
    if argv is None and "ipykernel" in sys.modules:  # a notebook kernel
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
    _one_process(parser)
    return args


def _one_process(parser):
    """The recipes and the demo run in one process: started as one process of a job (the
    KERAS_DISTRIBUTION_* variables set), each process would train the same models alone."""
    from mlrank_keras.distribute import jobs

    try:
        _, processes, _ = jobs.job_settings()
    except ValueError as error:
        parser.error(str(error))
    if processes > 1:
        parser.error(
            f"{jobs.NUM_PROCESSES}={processes} is set, but this command trains in one process "
            "(each process would train the same models alone). For a job of several "
            "processes use `mlrank-keras train --num-processes N ...` or the README's "
            "'Training on several hosts' script; unset the KERAS_DISTRIBUTION_* variables here."
        )


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
            'it there once on a machine with network access (python -c "import '
            "mlrank_keras.data as d; d.tfds_dataset('"
            f"{args.dataset}', 'train', data_dir='{args.data_dir}', download=True)\"), or "
            "pass --manual-dir for NUS-WIDE."
        ) from None


def parse(argv=None):
    parser = recipe_parser("mlrank-keras demo", __doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", choices=list(tuned.LOSSES), default=MODELS)
    parser.add_argument("--k", type=int, default=3, help="labels per image in the table")
    args = parse_recipe_args(parser, argv)
    if args.k < 1:
        parser.error(f"--k must be >= 1; received {args.k}")
    return args


def main(argv=None):
    args = parse(argv)
    out = pathlib.Path(args.out)
    start = time.perf_counter()
    data = load_recipe_data(args)
    if args.k > data.num_labels:  # before any training
        raise SystemExit(
            f"mlrank-keras demo: error: --k must be at most the number of labels "
            f"({data.num_labels}) of {args.dataset}; received {args.k}"
        )
    out.mkdir(parents=True, exist_ok=True)  # once the options and the data are good
    print(
        f"Keras {keras.__version__}, backend {keras.backend.backend()}; {args.dataset}: "
        f"{data.num_labels} labels, {len(data.y_test)} test images, crops of {data.crop_size}\n"
    )
    scores = {}
    steps_per_epoch = math.ceil(len(data.y_train) / args.batch_size)
    for key in args.models:
        title = tuned.LOSSES[key][0]
        print(f"--- {title}")
        started = time.perf_counter()
        keras.utils.set_random_seed(args.seed)  # every model starts from the same seed
        loss, learning_rate = tuned.tuned_loss(key)
        model = build_ranker(
            data.num_labels,
            loss=None,
            backbone=cpu_convnet(data.crop_size, args.width),
            compile=False,
            name=key,
        )
        model.compile(
            optimizer=tuned.warmup_cosine_adam(learning_rate, steps_per_epoch, args.epochs),
            loss=loss,
        )
        # data.train is shuffled by tf.data (each epoch, from the seed): shuffle=False keeps
        # Keras from warning that its own shuffle does not apply to a dataset.
        model.fit(data.train, epochs=args.epochs, verbose=args.verbose, shuffle=False)
        scores[title] = model.predict(data.test, verbose=0)
        model.save(out / f"{key}.keras")
        print(f"    {time.perf_counter() - started:.0f} s; saved {out / key}.keras")
    bound = metrics.upper_bound_labels(data.y_test, k=args.k, seed=0)  # k true labels each
    reports = {"upper bound (Gong)": metrics.annotation_report(data.y_test, bound, k=args.k)}
    for title, y_score in scores.items():
        reports[title] = metrics.annotation_report(data.y_test, y_score, k=args.k)
    table = metrics.format_reports(reports)
    heading = (
        f"{args.dataset} test set, top {args.k} labels per image "
        f"(rates in %, N+ of {data.num_labels}); {len(args.models)} models in "
        f"{time.perf_counter() - start:.0f} s"
    )
    print(f"\n{heading}:\n{table}")
    (out / "table.txt").write_text(f"{heading}\n{table}\n")
    plots.plot_per_class(
        data.y_test,
        {"upper bound (Gong)": bound, **scores},  # its k labels score 1, the others 0
        train_labels=data.y_train.sum(axis=0),
        k=args.k,
        label_names=data.label_names,
        path=out / "per_class_recall.png",
    )
    plots.plot_precision_recall(data.y_test, scores, path=out / "precision_recall.png")
    print(f"\nSaved the models, table.txt, per_class_recall.png and precision_recall.png in {out}")
    return reports


if __name__ == "__main__":
    main()
