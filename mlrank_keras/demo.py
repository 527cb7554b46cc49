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
"""

import pathlib
import time

import keras

from mlrank_keras import _workbench as workbench
from mlrank_keras import metrics, plots

MODELS = ("softmax", "ranking", "warp", "lsep")


def parse(argv=None):
    parser = workbench.recipe_parser("mlrank-keras demo", __doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", choices=list(workbench.RANKERS), default=MODELS)
    parser.add_argument("--k", type=int, default=3, help="labels per image in the table")
    args = workbench.parse_recipe_args(parser, argv)
    if args.k < 1:
        parser.error(f"--k must be >= 1; received {args.k}")
    return args


def main(argv=None):
    args = parse(argv)
    out = pathlib.Path(args.out)
    start = time.perf_counter()
    data = workbench.load_recipe_data(args)
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
    trained = workbench.train_rankers(data, args.models, args, out=out)
    scores = {workbench.RANKERS[key][0]: s for key, (_, s) in trained.items()}
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
