"""The image-dependent transformation model: a CNN outputs A (k x d) that ranks label vectors.

Reproduces Tables 3-4 (the model against WARP, top 3 and top 5 labels), Table 5 (the k row
classifiers voting with their top N labels), Figure 8 (the effect of k), Figure 9 (the Jaccard
similarity of the row classifiers' label sets) and the zero-shot use the paper proposes
(labels never seen in training ranked by their word vectors), on GlyphTags by default or on a
prepared TFDS dataset. Label vectors: the shipped GloVe 6B 50-d vectors of the dataset's labels
(the paper: 300-d word2vec; any vectors work, see ``mlrank_keras.embeddings``).

    python recipes/transformation.py [--smoke] [--dataset ...] [--epochs 6] [--rows 20]
"""

# %% [markdown]
# # The image-dependent transformation model
#
# The network's last layer is read as a matrix A (k x d); a label with word vector w scores
# -||A w||, trained with the hinge rank loss (the positives' mean norm against sampled
# negatives). Because labels enter only through their vectors, the trained model ranks any
# label set, also labels it never saw. GlyphTags by default: no download.

# %%
import math
import pathlib

import keras
import numpy as np
from matplotlib.figure import Figure

from mlrank_keras import metrics, plots, tuned
from mlrank_keras.data import select_labels
from mlrank_keras.demo import load_recipe_data, parse_recipe_args, recipe_parser
from mlrank_keras.embeddings import glove_label_vectors
from mlrank_keras.layers import LabelQueryHead
from mlrank_keras.models import (
    build_ranker,
    build_transform_alexnet,
    cpu_convnet,
    row_classifier_jaccard,
    row_classifier_votes,
    transform_matrices,
    with_label_vectors,
)

# The demo's options (--smoke, --dataset, --epochs, ...; in a notebook: MLRANK_RECIPE_ARGS).
parser = recipe_parser("transformation", "The transformation model: Tables 3-5")
parser.add_argument("--rows", type=int, default=20, help="k, the rows of A (paper: 100)")
parser.add_argument("--sweep", type=int, nargs="+", default=[5, 10, 20, 40], help="Fig. 8 k")
parser.add_argument("--sweep-epochs", type=int, help="epochs per Fig. 8 model (epochs / 2)")
parser.add_argument("--unseen", type=int, default=5, help="labels held out for zero-shot")
args = parse_recipe_args(parser)
if args.smoke:
    args.rows, args.sweep = min(args.rows, 4), [2, 4]
sweep_epochs = args.sweep_epochs or max(1, args.epochs // 2)
out = pathlib.Path(args.out)
out.mkdir(parents=True, exist_ok=True)
data = load_recipe_data(args)
vectors = glove_label_vectors(data.name)
print(f"{data.name}: {data.num_labels} labels with {vectors.shape[1]}-d GloVe vectors")


# %%
def train_transform(label_vectors, rows, epochs, train, name):
    """A transformation model on the CPU backbone, trained from ``args.seed`` with the
    recipes' schedule at WARP's tuned learning rate (its loss is a hinge rank loss too)."""
    keras.utils.set_random_seed(args.seed)
    steps_per_epoch = math.ceil(len(data.y_train) / args.batch_size)
    rate = tuned.SETTINGS["warp"]["learning_rate"]
    model = build_transform_alexnet(
        label_vectors,
        k=rows,
        backbone=cpu_convnet(data.crop_size, args.width),
        optimizer=tuned.warmup_cosine_adam(rate, steps_per_epoch, epochs),
        seed=args.seed,
        name=name,
    )
    model.fit(train, epochs=epochs, verbose=args.verbose, shuffle=False)  # tf.data shuffles
    return model


# %% [markdown]
# ## Tables 3 and 4: the transformation model against WARP

# %%
print(f"--- transformation model, k = {args.rows}")
model = train_transform(vectors, args.rows, args.epochs, data.train, "transform")
model.save(out / "transform.keras")
scores = {f"transformation (k = {args.rows})": model.predict(data.test, verbose=0)}
print("--- WARP (Gong)")
keras.utils.set_random_seed(args.seed)
loss, rate = tuned.tuned_loss("warp")  # WARPLoss(margin=0.5), 1e-2
steps_per_epoch = math.ceil(len(data.y_train) / args.batch_size)
warp = build_ranker(
    data.num_labels, loss=None, backbone=cpu_convnet(data.crop_size, args.width),
    compile=False, name="warp",
)
warp.compile(optimizer=tuned.warmup_cosine_adam(rate, steps_per_epoch, args.epochs), loss=loss)
warp.fit(data.train, epochs=args.epochs, verbose=args.verbose, shuffle=False)  # tf.data shuffles
warp.save(out / "warp.keras")
scores["WARP (Gong)"] = warp.predict(data.test, verbose=0)
tables = []
for number, k in ((3, 3), (4, 5)):
    reports = {"upper bound": metrics.upper_bound(data.y_test, k=k, seed=args.seed)}
    reports.update(
        {name: metrics.annotation_report(data.y_test, s, k=k) for name, s in scores.items()}
    )
    keys = ("C-P", "C-R", "C-F1", "O-P", "O-R", "O-F1")
    tables.append(f"Table {number}: top {k} labels\n{metrics.format_reports(reports, keys=keys)}\n")
    print(tables[-1])

# %% [markdown]
# ## Table 5: the rows of A as a committee of classifiers
# Each row a_r ranks labels by |a_r . w|; each votes for its top N labels, and the 3 labels
# with most votes annotate the image (ties broken by the full model's scores).

# %%
matrices = transform_matrices(model, data.test)
full = scores[f"transformation (k = {args.rows})"]
tie_break = (full - full.min()) / (full.max() - full.min() + 1e-12)
reports = {}
for top_n in [n for n in (1, 3, 5) if n < data.num_labels]:
    votes = row_classifier_votes(matrices, vectors, top_n=top_n)
    reports[f"votes of top {top_n}"] = metrics.annotation_report(
        data.y_test, votes + 1e-3 * tie_break, k=3
    )
reports["full model"] = metrics.annotation_report(data.y_test, full, k=3)
tables.append(f"Table 5: top 3 labels by votes\n{metrics.format_reports(reports, keys=keys)}\n")
print(tables[-1])

# %% [markdown]
# ## Figure 9: how different are the row classifiers?
# Each test image's mean Jaccard similarity between the rows' top-5 label sets (the paper:
# mean 0.10 on NUS-WIDE, so the rows disagree and the committee helps).

# %%
jaccard = row_classifier_jaccard(matrices, vectors, top_n=min(5, data.num_labels))
figure = Figure(figsize=(5, 3.5))
ax = figure.subplots()
ax.hist(jaccard, bins=20, range=(0, 1))
ax.set_xlabel("mean Jaccard similarity of the rows' top-5 labels")
ax.set_ylabel("test images")
ax.set_title(f"mean {jaccard.mean():.4f}, std {jaccard.std():.4f}")
figure.tight_layout()
figure.savefig(out / "figure9_jaccard.png")
plots.show_figure(out / "figure9_jaccard.png")
print(f"Figure 9: mean Jaccard {jaccard.mean():.4f} (std {jaccard.std():.4f})")

# %% [markdown]
# ## Figure 8: the number of rows k
# The paper finds the results stable from k = 10 to 100.

# %%
sweep = {}
for rows in args.sweep:
    print(f"--- k = {rows}, {sweep_epochs} epochs")
    swept = train_transform(vectors, rows, sweep_epochs, data.train, f"transform_k{rows}")
    test_scores = swept.predict(data.test, verbose=0)
    sweep[rows] = [metrics.annotation_report(data.y_test, test_scores, k=k)["O-F1"] for k in (3, 5)]
figure = Figure(figsize=(5, 3.5))
ax = figure.subplots()
for i, k in enumerate((3, 5)):
    ax.plot(list(sweep), [100 * v[i] for v in sweep.values()], marker="o", label=f"top {k}")
ax.set_xlabel("k (rows of A)")
ax.set_ylabel("O-F1 (%)")
ax.legend()
figure.tight_layout()
figure.savefig(out / "figure8_rows.png")
plots.show_figure(out / "figure8_rows.png")
tables.append(
    "Figure 8: O-F1 (%) at top 3 / top 5 by k\n"
    + "\n".join(f"k = {r:3d}: {100 * a:6.2f} {100 * b:6.2f}" for r, (a, b) in sweep.items())
    + "\n"
)
print(tables[-1])

# %% [markdown]
# ## Zero-shot: labels never seen in training
# Train on all but a few labels (every few places down the frequency order, so rare and common
# ones are held out), then rank only the held-out labels by their word vectors: mean average
# precision over the test images that have a held-out label, against chance (random scores).

# %%
order = np.argsort(-data.y_train.sum(axis=0), kind="stable")
unseen = np.sort(order[:: max(1, data.num_labels // args.unseen)][: args.unseen])
seen = np.setdiff1d(np.arange(data.num_labels), unseen)
print(f"--- zero-shot: trained without {[data.label_names[i] for i in unseen]}")
seen_model = train_transform(
    vectors[seen], args.rows, args.epochs, select_labels(data.train, seen), "transform_seen"
)
zero_shot = with_label_vectors(seen_model, vectors[unseen], name="zero_shot")
zero_scores = zero_shot.predict(data.test, verbose=0)
rows_with = data.y_test[:, unseen].max(axis=1) > 0
y_unseen = data.y_test[rows_with][:, unseen]


def mean_ap(y_true, y_score):
    metric = metrics.MeanAveragePrecision(num_thresholds=2000)
    metric.update_state(y_true, y_score)
    return float(metric.result())


chance = np.mean(
    [mean_ap(y_unseen, np.random.default_rng(i).normal(size=y_unseen.shape)) for i in range(20)]
)
zero_map = mean_ap(y_unseen, zero_scores[rows_with])

# %% [markdown]
# ## Zero-shot with a label-query head (ML-Decoder's form of the idea)
# The same CNN without its global pooling; each label's word vector, through a shared
# projection, is a query that attends over the feature map, and a shared unit scores what it
# gathered. Trained with WARP's tuned settings on the seen labels, then queried with the
# unseen labels' vectors.

# %%
print("--- label-query head, seen labels only")
keras.utils.set_random_seed(args.seed)
loss, rate = tuned.tuned_loss("warp")
query_model = build_ranker(
    len(seen), loss=None, backbone=cpu_convnet(data.crop_size, args.width, pooling=False),
    head=LabelQueryHead(label_vectors=vectors[seen], dim=64, num_heads=4),
    compile=False, name="query_seen",
)
query_model.compile(optimizer=tuned.warmup_cosine_adam(rate, steps_per_epoch, args.epochs),
                    loss=loss)
query_model.fit(select_labels(data.train, seen), epochs=args.epochs, verbose=args.verbose,
                shuffle=False)  # tf.data shuffles
query_model.save(out / "query_seen.keras")
query_zero = with_label_vectors(query_model, vectors[unseen]).predict(data.test, verbose=0)
query_map = mean_ap(y_unseen, query_zero[rows_with])
tables.append(
    f"Zero-shot, {len(unseen)} unseen labels, {int(rows_with.sum())} test images: mAP "
    f"{100 * zero_map:.2f} % (transformation model), {100 * query_map:.2f} % (label-query "
    f"head); chance {100 * chance:.2f} %\n"
)
print(tables[-1])
(out / "tables.txt").write_text("\n".join(tables))
