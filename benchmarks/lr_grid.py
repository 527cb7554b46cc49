"""Each loss's learning rate (and margin), chosen on a validation split: the grid.

Trains the main job's rankers (the same CPU backbone, schedule and epochs) on GlyphTags'
training set less its last ``--validation-images`` images, and scores them on those images
(never on the test set) by C-F1 at the top 3 labels, the main job's measure. First every
learning rate of ``--rates`` at margin 1, extended by factors of 2 while the best is at an
end of the rates tried (so that the chosen rate is never an edge of the grid); then, at each
margin loss's best rate, the other ``--margins``. Sampled WARP (Gong's estimator,
``build_warp_alexnet``'s default) runs at every rate too, to compare the two rank estimates
each at its best. Prints the grid (C-F1, C-R, N+, the first and last epochs' mean training
loss) and the chosen values, which are what ``mlrank_keras.tuned.SETTINGS`` holds.
Every row is saved in ``--out``/grid.json as it finishes; a second run with the same options
reuses the rows there.

    TF_ENABLE_ONEDNN_OPTS=1 python benchmarks/lr_grid.py
"""

import json
import math
import pathlib
import time

import keras

from mlrank_keras import metrics, tuned
from mlrank_keras.demo import load_recipe_data, parse_recipe_args, recipe_parser
from mlrank_keras.models import build_ranker, cpu_convnet

VARIANTS = {  # name: (RANKERS key, extra loss arguments)
    "softmax": ("softmax", {}),
    "ranking": ("ranking", {}),
    "warp": ("warp", {"rank_estimate": "exact"}),
    "warp (sampled)": ("warp", {"rank_estimate": "sampled", "seed": 0}),
    "lsep": ("lsep", {}),
    "asl": ("asl", {}),
    "two_way": ("two_way", {}),
    "zlpr": ("zlpr", {}),
}
MARGIN_LOSSES = ("ranking", "warp")


def train_one(data, args, name, rate, margin, done):
    key, loss_kwargs = VARIANTS[name]
    for row in done:
        if (row["loss"], row["rate"], row["margin"]) == (name, rate, margin):
            print(row["line"], "(saved)", flush=True)
            return row
    keras.utils.set_random_seed(args.seed)
    overrides = dict(loss_kwargs)
    if margin is not None and "margin" in tuned.SETTINGS[key]:
        overrides["margin"] = margin
    loss, rate = tuned.tuned_loss(key, rate, **overrides)
    steps_per_epoch = math.ceil(len(data.y_train) / args.batch_size)
    model = build_ranker(
        data.num_labels,
        loss,
        backbone=cpu_convnet(data.crop_size, args.width),
        optimizer=tuned.warmup_cosine_adam(
            rate, steps_per_epoch, args.epochs, schedule=args.schedule
        ),
        name=key,
    )
    start = time.perf_counter()
    history = model.fit(data.train, epochs=args.epochs, verbose=0, shuffle=False)
    seconds = time.perf_counter() - start
    scores = model.predict(data.test, verbose=0)
    report = metrics.annotation_report(data.y_test, scores, k=3)
    losses = history.history["loss"]
    row = dict(
        loss=name, rate=rate, margin=margin, seconds=round(seconds, 1),
        c_f1=float(report["C-F1"]), c_r=float(report["C-R"]), n_plus=int(report["N+"]),
        loss_first=float(losses[0]), loss_last=float(losses[-1]),
    )
    row["line"] = (
        f"| {name} | {rate:g} | {'' if margin is None else f'{margin:g}'} | "
        f"{100 * row['c_f1']:.2f} | {100 * row['c_r']:.2f} | {row['n_plus']} | "
        f"{row['loss_first']:.4g} | {row['loss_last']:.4g} | {seconds:.0f} |"
    )
    print(row["line"], flush=True)
    return row


def main(argv=None):
    parser = recipe_parser("lr_grid", __doc__.split("\n")[0])
    parser.add_argument("--losses", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--rates", type=float, nargs="+", default=[5e-3, 1e-2, 2e-2])
    parser.add_argument("--margins", type=float, nargs="+", default=[0.5, 1.0, 2.0])
    parser.add_argument("--validation-images", type=int, default=2000)
    parser.add_argument("--schedule", choices=("cosine", "constant"), default="cosine")
    parser.add_argument("--max-extensions", type=int, default=3, help="rates added at the ends")
    args = parse_recipe_args(parser, argv)
    if args.smoke:
        args.validation_images = min(args.validation_images, 64)
    data = load_recipe_data(args, validation_images=args.validation_images)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(
        f"Keras {keras.__version__}, backend {keras.backend.backend()}; {args.dataset}: "
        f"{len(data.y_train)} training and {len(data.y_test)} validation images (the end of "
        f"the training split), {args.epochs} epochs, seed {args.seed}; C-F1 and C-R at top 3\n"
    )
    print("| loss | rate | margin | C-F1 | C-R | N+ | loss, epoch 1 | loss, last | s |")
    print("|---|---|---|---|---|---|---|---|---|")
    saved = out / "grid.json"
    setup = {k: getattr(args, k) for k in ("dataset", "epochs", "seed", "width", "batch_size")}
    setup.update(validation_images=args.validation_images, train_images=args.train_images)
    if args.schedule != "cosine":
        setup["schedule"] = args.schedule
    done = []
    if saved.exists():
        previous = json.loads(saved.read_text())
        done = previous["rows"] if previous.get("setup") == setup else []
    start, rows, chosen = time.perf_counter(), [], {}

    def record(row):
        rows.append(row)
        saved.write_text(json.dumps({"setup": setup, "rows": rows, "chosen": chosen}, indent=1))
        return row

    for name in args.losses:
        key = VARIANTS[name][0]
        margin = 1.0 if key in MARGIN_LOSSES else None
        rates = sorted(args.rates)
        runs = [record(train_one(data, args, name, rate, margin, done)) for rate in rates]
        for _ in range(args.max_extensions):
            best = max(runs, key=lambda r: r["c_f1"])
            if len(rates) < 2 or best["rate"] not in (rates[0], rates[-1]):
                break
            rate = rates[-1] * 2 if best["rate"] == rates[-1] else rates[0] / 2
            rates = sorted(rates + [rate])
            runs.append(record(train_one(data, args, name, rate, margin, done)))
        best = max(runs, key=lambda r: r["c_f1"])
        if key in MARGIN_LOSSES:
            for other in args.margins:
                if other != margin:
                    runs.append(record(train_one(data, args, name, best["rate"], other, done)))
            best = max(runs, key=lambda r: r["c_f1"])
        chosen[name] = {"learning_rate": best["rate"]}
        if best["margin"] is not None:
            chosen[name]["margin"] = best["margin"]
        record_chosen = {"setup": setup, "rows": rows, "chosen": chosen}
        saved.write_text(json.dumps(record_chosen, indent=1))
    print(f"\nChosen ({time.perf_counter() - start:.0f} s):")
    for name, values in chosen.items():
        print(f"  {name}: {values}")


if __name__ == "__main__":
    main()
