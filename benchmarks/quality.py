"""Annotation quality on GlyphTags over several seeds: mean and spread per loss, k = 3 and 5.

Trains the main job's four models (multilabel softmax, pairwise ranking, WARP, LSEP; the same
CPU backbone, Adam, 6 epochs) once per seed, where the seed draws the GlyphTags images, the
initial weights and the shuffling; adds Li's per-class threshold estimation on the LSEP model.
Prints (and writes to ``--out``) markdown tables of mean and standard deviation over the seeds,
plus the per-class recall of the rarest and the most frequent labels, to check two claims:
WARP beats softmax on per-class recall, most on rare labels (Gong); LSEP with threshold
estimation gives the best precision and exact match (Li).

    TF_ENABLE_ONEDNN_OPTS=1 python benchmarks/quality.py --seeds 0 1 2
"""

import json
import pathlib
import time

import keras
import numpy as np

from mlrank_keras import _workbench as workbench
from mlrank_keras import metrics
from mlrank_keras.models import threshold_estimation

KEYS = ("softmax", "ranking", "warp", "lsep")
COLUMNS = ("C-P", "C-R", "C-F1", "O-P", "O-R", "O-F1", "F1", "N+", "0-1")


def run_seed(args, seed):
    args.seed = seed
    data = workbench.load_recipe_data(args)
    trained = workbench.train_rankers(data, KEYS, args)
    frequency = data.y_train.sum(axis=0)
    order = np.argsort(frequency, kind="stable")
    rare, common = order[: args.tail], order[::-1][: args.tail]
    results = {}
    for key, (_, scores) in trained.items():
        title = workbench.RANKERS[key][0]
        for k in (3, 5):
            report = metrics.annotation_report(data.y_test, scores, k=k)
            recall = metrics.per_class_scores(data.y_test, scores, k=k)["recall"]
            report["C-R rare"] = float(recall[rare].mean())
            report["C-R frequent"] = float(recall[common].mean())
            results[f"{title}|top {k}"] = report
    decision = threshold_estimation(
        trained["lsep"][0], data.train_eval, data.y_train, epochs=args.head_epochs
    )
    labels = decision.predict(data.test, verbose=0)
    report = metrics.annotation_report(data.y_test, labels, threshold=0.5)
    recall = metrics.per_class_scores(data.y_test, labels, threshold=0.5)["recall"]
    report["C-R rare"] = float(recall[rare].mean())
    report["C-R frequent"] = float(recall[common].mean())
    report["labels per image"] = float(labels.sum(axis=1).mean())
    results["LSEP + threshold estimation (Li)|thresholds"] = report
    for k in (3, 5):
        results[f"upper bound (Gong)|top {k}"] = metrics.upper_bound(data.y_test, k=k, seed=seed)
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
                elif column == "N+":
                    cells.append(f"{values.mean():.1f} ± {values.std():.1f}")
                else:
                    cells.append(f"{100 * values.mean():.1f} ± {100 * values.std():.1f}")
            lines.append(f"| {name.split('|')[0]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = workbench.recipe_parser("quality", __doc__.split("\n")[0], epochs=6)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--tail", type=int, default=5, help="rare / frequent labels shown")
    parser.add_argument("--head-epochs", type=int, default=20)
    args = workbench.parse_recipe_args(parser, argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"Keras {keras.__version__}, backend {keras.backend.backend()}, seeds {args.seeds}")
    start, runs = time.perf_counter(), []
    for seed in args.seeds:
        print(f"=== seed {seed}")
        runs.append(run_seed(args, seed))
        (out / "runs.json").write_text(json.dumps(runs, indent=1))
    columns = COLUMNS + ("C-R rare", "C-R frequent")
    text = summarise(runs, columns)
    heading = (
        f"{args.dataset}, {len(args.seeds)} seeds, {args.epochs} epochs, width {args.width}: "
        "mean ± std in % (N+: labels recalled at least once); "
        f"C-R rare / frequent: the {args.tail} rarest / most frequent training labels; "
        f"{time.perf_counter() - start:.0f} s"
    )
    print(f"\n{heading}\n{text}")
    (out / "quality.md").write_text(f"{heading}\n{text}\n")


if __name__ == "__main__":
    main()
