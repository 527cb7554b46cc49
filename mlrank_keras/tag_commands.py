"""``mlrank-keras train``, ``evaluate`` and ``predict``: a tagger from a folder of images and
a tag file, on the command line (:func:`mlrank_keras.tagger.train_tagger`,
:func:`mlrank_keras.tag_predict.evaluate_tagger` and ``predict_tags``).

Bad options are refused before any training, with the option named; an error a person can
cause (a missing file, a bad tag file, an unknown tag) ends in one line, not a traceback.

>>> parser = train_parser()
>>> args = parser.parse_args(["--images", "photos", "--labels", "tags.csv", "--out", "run"])
>>> args.loss, args.backbone, args.validation_split
('warp', 'cpu', 0.2)
"""

import argparse
import math
import os

from mlrank_keras import tuned
from mlrank_keras.data.tag_formats import FORMATS

PROG = "mlrank-keras"


def _positive(kind):
    def parse(text):
        value = kind(text)
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"must be > 0; received {text}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its message
    return parse


def _tag_file_options(parser):
    parser.add_argument("--images", help="the images' folder (default: the tag file's)")
    parser.add_argument("--labels", required=True, help="the tag file (csv, tsv, jsonl)")
    parser.add_argument("--format", choices=FORMATS, help="default: from the extension")
    parser.add_argument("--label-delim", default=" ", help="between tags in a cell (a space)")
    parser.add_argument("--batch-size", type=_positive(int), default=64,
                        help="64: the batch the learning rates were tuned at")


def train_parser():
    parser = argparse.ArgumentParser(
        prog=f"{PROG} train", description="Train a tagger on a folder of images and a tag file."
    )
    _tag_file_options(parser)
    parser.add_argument("--out", required=True, help="results folder (resumed if unfinished)")
    parser.add_argument("--loss", choices=sorted(tuned.LOSSES), default="warp")
    parser.add_argument("--backbone", default="cpu",
                        help="'cpu' (from scratch), a keras.applications name (ImageNet "
                        "weights) or a keras-hub preset name or folder")
    parser.add_argument("--weights", help="a local weights file for an application backbone")
    parser.add_argument("--epochs", type=_positive(int), default=tuned.EPOCHS)
    parser.add_argument("--frozen-epochs", type=int,
                        help="epochs with a pretrained backbone frozen (default 1; 0 for cpu)")
    parser.add_argument("--image-size", type=_positive(int),
                        help="the model's input side (cpu: 112; an application: 224)")
    parser.add_argument("--validation-split", type=float, default=0.2)
    parser.add_argument("--learning-rate", type=_positive(float), help="default: the tuned one")
    parser.add_argument("--width", type=_positive(float), default=0.5, help="cpu network width")
    parser.add_argument("--no-flip", action="store_true", help="no random mirroring (text)")
    parser.add_argument("--cache", action="store_true",
                        help="keep the decoded images in memory after the first epoch")
    parser.add_argument("--min-count", type=_positive(int), default=1,
                        help="tags seen fewer times are left out")
    parser.add_argument("--k", type=_positive(int), default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1)
    parser.add_argument("--overwrite", action="store_true", help="retrain a finished --out")
    job = parser.add_argument_group(
        "a job of several processes (JAX; default: the KERAS_DISTRIBUTION_* variables)")
    job.add_argument("--num-processes", type=_positive(int), help="the job's process count")
    job.add_argument("--process-id", type=int, help="this process, from 0 (the coordinator)")
    job.add_argument("--coordinator", help="process 0's address, host:port")
    return parser


def evaluate_parser():
    parser = argparse.ArgumentParser(
        prog=f"{PROG} evaluate", description="The papers' table of a tagger on labelled images."
    )
    parser.add_argument("model", help="a .keras file from train")
    _tag_file_options(parser)
    parser.add_argument("--k", type=_positive(int), default=3)
    parser.add_argument("--ignore-unknown-tags", action="store_true",
                        help="leave out (and count) tags the model does not know")
    return parser


def predict_parser():
    parser = argparse.ArgumentParser(prog=f"{PROG} predict", description="Tag image files.")
    parser.add_argument("model", help="a .keras file from train")
    parser.add_argument("paths", nargs="+", help="image files or folders")
    decision = parser.add_mutually_exclusive_group()
    decision.add_argument("--k", type=_positive(int), default=3, help="the top k tags")
    decision.add_argument("--threshold", action="store_true",
                          help="the tags above the model's saved thresholds")
    parser.add_argument("--output", help="a .csv or .jsonl file (default: CSV on stdout)")
    parser.add_argument("--batch-size", type=_positive(int), default=32)
    return parser


def _check_train(parser, args):
    if not 0 < args.validation_split < 1:
        parser.error(f"--validation-split must be in (0, 1); received {args.validation_split}")
    if args.frozen_epochs is not None and not 0 <= args.frozen_epochs < args.epochs:
        parser.error(f"--frozen-epochs must be from 0 to --epochs - 1 = {args.epochs - 1}; "
                     f"received {args.frozen_epochs}")
    if not 0 <= args.seed < 2**32:
        parser.error(f"--seed must be from 0 to 2**32 - 1; received {args.seed}")
    if args.image_size is not None and args.image_size < 8:
        parser.error(f"--image-size must be at least 8; received {args.image_size}")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        parser.error(f"--out {args.out} is a file; it must be a folder (made if missing)")
    if args.weights is not None and not os.path.isfile(args.weights):
        parser.error(f"--weights {args.weights} is not a file")
    try:
        from mlrank_keras.distribute import job_settings

        _, processes, _ = job_settings(args.coordinator, args.num_processes, args.process_id)
    except ValueError as error:
        parser.error(str(error).replace("`num_processes`", "--num-processes")
                     .replace("`process_id`", "--process-id")
                     .replace("`coordinator`", "--coordinator"))
    if processes > 1 and keras_backend() != "jax":
        parser.error(f"--num-processes {processes}: a job of several processes runs on the "
                     "JAX backend only (TensorFlow's multi-worker strategy fails with Keras 3, "
                     "PyTorch has no Keras distribution); set KERAS_BACKEND=jax")
    if args.batch_size % processes:
        parser.error(f"--batch-size {args.batch_size} (the global batch) must divide by the "
                     f"{processes} processes")
    _check_files(parser, args)


def keras_backend():
    import keras

    return keras.backend.backend()


def _check_files(parser, args):
    if not os.path.isfile(args.labels):
        parser.error(f"--labels {args.labels} is not a file")
    if args.images is not None and not os.path.isdir(args.images):
        parser.error(f"--images {args.images} is not a folder")


def run_train(argv):
    parser = train_parser()
    args = parser.parse_args(argv)
    _check_train(parser, args)
    from mlrank_keras.tag_predict import format_tagger_reports
    from mlrank_keras.tagger import train_tagger

    result = _one_line(parser, train_tagger, args.labels, args.out, args.images,
                       loss=args.loss, backbone=args.backbone, weights=args.weights,
                       epochs=args.epochs, frozen_epochs=args.frozen_epochs,
                       image_size=args.image_size, validation_split=args.validation_split,
                       batch_size=args.batch_size, learning_rate=args.learning_rate,
                       seed=args.seed, width=args.width, flip=not args.no_flip,
                       cache=args.cache, k=args.k, verbose=args.verbose,
                       overwrite=args.overwrite, format=args.format,
                       label_delim=args.label_delim, min_count=args.min_count,
                       coordinator=args.coordinator, num_processes=args.num_processes,
                       process_id=args.process_id)
    from mlrank_keras.distribute import is_chief

    if not is_chief():  # another process of a job: process 0 writes and prints
        return
    print(f"\nvalidation split, best epoch {result.best_epoch + 1} of {args.epochs} by C-F1 "
          f"at top {args.k}; threshold {result.threshold:.4g}:")
    print(format_tagger_reports(result.reports))
    print(f"saved {result.path}")


def run_evaluate(argv):
    parser = evaluate_parser()
    args = parser.parse_args(argv)
    _check_files(parser, args)
    from mlrank_keras.tag_predict import evaluate_tagger, format_tagger_reports

    reports = _one_line(parser, evaluate_tagger, args.model, args.labels, args.images,
                        k=args.k, batch_size=args.batch_size, format=args.format,
                        label_delim=args.label_delim,
                        unknown_tags="ignore" if args.ignore_unknown_tags else "error")
    print(format_tagger_reports(reports))


def run_predict(argv):
    parser = predict_parser()
    args = parser.parse_args(argv)
    if args.output is not None and not args.output.endswith((".csv", ".jsonl")):
        parser.error(f"--output must end in .csv or .jsonl; received {args.output}")
    from mlrank_keras.tag_predict import predict_tags, write_predictions

    rows, skipped = _one_line(parser, predict_tags, args.model, args.paths, k=args.k,
                              threshold=args.threshold, batch_size=args.batch_size)
    write_predictions(rows, args.output)
    if skipped:
        print(f"skipped {len(skipped)} unreadable image(s): {skipped[:5]}", flush=True)


def _one_line(parser, function, *args, **kwargs):
    """``function(*args, **kwargs)``; the errors a person causes end the command in one line."""
    try:
        return function(*args, **kwargs)
    except (ValueError, OSError, ImportError) as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")


COMMANDS = {"train": run_train, "evaluate": run_evaluate, "predict": run_predict}
