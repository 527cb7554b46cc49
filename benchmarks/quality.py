"""Annotation quality on GlyphTags, trained to convergence, over several seeds.

Trains the main job's four models (multilabel softmax, pairwise ranking, WARP, LSEP; the
recipes' CPU backbone, schedule and tuned learning rates) once per seed, where the seed draws
the GlyphTags images, the initial weights and the shuffling. Each trains for at most
``--max-epochs`` (the cosine schedule spans them) and stops early when C-F1 at top 3 on a
validation split carved from the training set (``--validation-images``) has not improved for
``--patience`` epochs, keeping its best weights; the test set is used only for the tables.
Adds Li's per-class threshold estimation on the LSEP model. Prints (and writes to ``--out``)
markdown tables of mean and standard deviation over the seeds at top 3, top 5 and with the
thresholds, plus the per-class recall of the rarest and the most frequent labels and each
row's C-F1 as a share of the upper bound's, to check two claims: WARP beats softmax on
per-class recall, most on rare labels (Gong); LSEP with threshold estimation gives the best
precision and exact match (Li).

    TF_ENABLE_ONEDNN_OPTS=1 python benchmarks/quality.py --seeds 0 1 2
"""

import json
import math
import pathlib
import time

import keras
import numpy as np

from mlrank_keras import metrics, tuned
from mlrank_keras.demo import load_recipe_data, parse_recipe_args, recipe_parser
from mlrank_keras.losses.zlpr import DECISION_THRESHOLD as ZLPR_THRESHOLD
from mlrank_keras.models import build_ranker, cpu_convnet, threshold_estimation

KEYS = ("softmax", "ranking", "warp", "lsep")
COLUMNS = ("C-P", "C-R", "C-F1", "O-P", "O-R", "O-F1", "F1", "N+", "0-1")


def train_converged(key, tuning, args):
    """``key``'s ranker trained on ``tuning.train`` with early stopping on ``tuning.test``."""
    keras.utils.set_random_seed(args.seed)
    loss, rate = tuned.tuned_loss(key)
    steps_per_epoch = math.ceil(len(tuning.y_train) / args.batch_size)
    model = build_ranker(
        tuning.num_labels,
        loss,
        backbone=cpu_convnet(tuning.crop_size, args.width),
        optimizer=tuned.warmup_cosine_adam(rate, steps_per_epoch, args.max_epochs),
        metrics=[metrics.PerClassF1(k=3, name="c_f1")],
        name=key,
    )
    stop = keras.callbacks.EarlyStopping(
        monitor="val_c_f1", mode="max", patience=args.patience, restore_best_weights=True
    )
    start = time.perf_counter()
    history = model.fit(
        tuning.train,
        validation_data=tuning.test,
        epochs=args.max_epochs,
        callbacks=[stop],
        verbose=args.verbose,
        shuffle=False,  # tf.data shuffles
    )
    best = int(np.argmax(history.history["val_c_f1"]))
    print(
        f"--- {tuned.LOSSES[key][0]}: best epoch {best + 1} of "
        f"{len(history.history['loss'])} (validation C-F1 "
        f"{100 * history.history['val_c_f1'][best]:.2f}), {time.perf_counter() - start:.0f} s",
        flush=True,
    )
    return model, best + 1


def with_tail(report, y_true, decided, rare, common, **decision):
    recall = metrics.per_class_scores(y_true, decided, **decision)["recall"]
    report["C-R rare"] = float(recall[rare].mean())
    report["C-R frequent"] = float(recall[common].mean())
    return report


def run_seed(args, seed):
    args.seed = seed
    tuning = load_recipe_data(args, validation_images=args.validation_images)
    test = load_recipe_data(args)  # the same training images, plus the test set
    frequency = tuning.y_train.sum(axis=0)
    order = np.argsort(frequency, kind="stable")
    rare, common = order[: args.tail], order[::-1][: args.tail]
    results, models = {}, {}
    for key in args.losses:
        model, epochs = train_converged(key, tuning, args)
        models[key] = model
        scores = model.predict(test.test, verbose=0)
        title = tuned.LOSSES[key][0]
        for k in (3, 5):
            report = metrics.annotation_report(test.y_test, scores, k=k)
            report["epochs"] = epochs
            results[f"{title}|top {k}"] = with_tail(report, test.y_test, scores, rare, common, k=k)
    if "lsep" in models:
        decision = threshold_estimation(
            models["lsep"], tuning.train_eval, tuning.y_train, epochs=args.head_epochs
        )
        labels = decision.predict(test.test, verbose=0)
        report = metrics.annotation_report(test.y_test, labels, threshold=0.5)
        report["labels per image"] = float(labels.sum(axis=1).mean())
        results["LSEP + threshold estimation (Li)|thresholds"] = with_tail(
            report, test.y_test, labels, rare, common, threshold=0.5
        )
    if "zlpr" in models:  # its own decision: a label is on where its score is above 0
        scores = models["zlpr"].predict(test.test, verbose=0)
        report = metrics.annotation_report(test.y_test, scores, threshold=ZLPR_THRESHOLD)
        report["epochs"] = results[f"{tuned.LOSSES['zlpr'][0]}|top 3"]["epochs"]
        results["ZLPR (Su), score > 0|thresholds"] = with_tail(
            report, test.y_test, scores, rare, common, threshold=ZLPR_THRESHOLD
        )
    for k in (3, 5):
        results[f"upper bound (Gong)|top {k}"] = metrics.upper_bound(test.y_test, k=k, seed=seed)
    for name, report in results.items():  # thresholds: against the bound at top 3
        decision = name.split("|")[1].replace("thresholds", "top 3")
        bound = results[f"upper bound (Gong)|{decision}"]["C-F1"]
        report["C-F1 / bound"] = float(report["C-F1"] / bound)
    return results


def summarise(runs, columns):
    """Markdown tables, one per decision, of mean +- std over the runs."""
    rows = {}
    for run in runs:
        for name, report in run.items():
            rows.setdefault(name, []).append(report)
    lines = []
    for decision in ("top 3", "top 5", "thresholds"):
        names = [n for n in rows if n.endswith("|" + decision)]
        if not names:
            continue
        lines += [f"\n**{decision}**\n", "| method | " + " | ".join(columns) + " |"]
        lines.append("|---" * (len(columns) + 1) + "|")
        for name in names:
            cells = []
            for column in columns:
                values = np.array([r[column] for r in rows[name] if column in r], dtype=float)
                if values.size == 0:
                    cells.append("")
                elif column in ("N+", "epochs"):
                    cells.append(f"{values.mean():.1f} ± {values.std():.1f}")
                else:
                    cells.append(f"{100 * values.mean():.1f} ± {100 * values.std():.1f}")
            lines.append(f"| {name.split('|')[0]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = recipe_parser("quality", __doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--losses", nargs="+", choices=list(tuned.LOSSES), default=KEYS)
    parser.add_argument("--max-epochs", type=int, default=20)
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--validation-images", type=int, default=1000)
    parser.add_argument("--tail", type=int, default=5, help="rare / frequent labels shown")
    parser.add_argument("--head-epochs", type=int, default=20)
    args = parse_recipe_args(parser, argv)
    if args.smoke:
        args.max_epochs, args.patience = 2, 1
        args.validation_images = min(args.validation_images, 64)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"Keras {keras.__version__}, backend {keras.backend.backend()}, seeds {args.seeds}")
    start, runs = time.perf_counter(), []
    for seed in args.seeds:
        print(f"=== seed {seed}")
        runs.append(run_seed(args, seed))
        (out / "runs.json").write_text(json.dumps(runs, indent=1))
    columns = COLUMNS + ("C-R rare", "C-R frequent", "C-F1 / bound", "epochs")
    text = summarise(runs, columns)
    heading = (
        f"{args.dataset}, {len(args.seeds)} seeds, at most {args.max_epochs} epochs (early "
        f"stopping on {args.validation_images} validation images, patience {args.patience}), "
        f"width {args.width}: "
        "mean ± std in % (N+: labels recalled at least once); "
        f"C-R rare / frequent: the {args.tail} rarest / most frequent training labels; "
        f"{time.perf_counter() - start:.0f} s"
    )
    print(f"\n{heading}\n{text}")
    (out / "quality.md").write_text(f"{heading}\n{text}\n")


if __name__ == "__main__":
    main()
