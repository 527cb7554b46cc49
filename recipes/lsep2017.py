"""Li, Song and Luo 2017, "Improving Pairwise Ranking for Multi-label Image Classification".

Reproduces Table 1 (softmax, pairwise ranking, WARP, BP-MLL and LSEP, each with top-k and
with a threshold, and LSEP with per-class threshold estimation), Table 2 (label decision for
LSEP: top-k, one threshold, label-count estimation, per-class threshold estimation), Figure 2
(per-class F1 of the 10 most frequent labels) and Figure 3 (precision-recall curves), on
GlyphTags by default or on a prepared TFDS dataset (``--dataset voc2007|coco2014|nuswide``).

    python recipes/lsep2017.py [--smoke] [--dataset ...] [--epochs 6] [--out out/lsep2017]
"""

# %% [markdown]
# # Li et al. 2017: LSEP and label decision
#
# Five losses on one CNN, then Li's label decision: how many labels to give each image. The
# "threshold" rows use one threshold per model, the one with the best overall F1 on the
# training images (the paper does not say how its threshold is chosen). The heads (label count
# and per-class thresholds) train on the frozen ranker's features and training scores.
# GlyphTags by default: no download; a CPU-sized CNN (`cpu_convnet`) from scratch with Adam,
# a warm-up and each loss's tuned learning rate (the paper fine-tunes VGG16 with SGD).

# %%
import math
import pathlib

import keras

from mlrank_keras import decisions as decide
from mlrank_keras import metrics, plots, tuned
from mlrank_keras.demo import load_recipe_data, parse_recipe_args, recipe_parser
from mlrank_keras.models import (
    build_label_count_head,
    build_label_decision_model,
    build_ranker,
    cpu_convnet,
    ranker_features,
    threshold_estimation,
)

# The demo's options (--smoke, --dataset, --epochs, ...; in a notebook: MLRANK_RECIPE_ARGS).
parser = recipe_parser("lsep2017", "Li et al. 2017: Tables 1-2, Figures 2-3")
parser.add_argument("--k", type=int, default=3, help="labels per image for top-k rows")
parser.add_argument("--head-epochs", type=int, default=20, help="epochs of the heads")
args = parse_recipe_args(parser)
out = pathlib.Path(args.out)
out.mkdir(parents=True, exist_ok=True)
data = load_recipe_data(args)
print(f"{data.name}: {len(data.y_train)} training and {len(data.y_test)} test images")

# %% [markdown]
# ## Five losses on one CNN, and three from after the paper
# The same CNN and seed for each loss; each loss with its tuned settings
# (`mlrank_keras.tuned`), trained with Adam, a one-epoch warm-up and a cosine decay. Li's
# five, then the asymmetric loss (Ridnik et al. 2021), the two-way loss (Kobayashi 2023)
# and ZLPR (Su et al.), whose own decision is a score above 0.

# %%
PAPER_KEYS = ("softmax", "ranking", "warp", "bpmll", "lsep")
steps_per_epoch = math.ceil(len(data.y_train) / args.batch_size)
trained = {}  # key: (model, test scores)
for key in PAPER_KEYS + ("asl", "two_way", "zlpr"):
    keras.utils.set_random_seed(args.seed)
    loss, learning_rate = tuned.tuned_loss(key)  # e.g. LSEPLoss(), 4e-2
    model = build_ranker(
        data.num_labels, loss=None, backbone=cpu_convnet(data.crop_size, args.width),
        compile=False, name=key,
    )
    model.compile(
        optimizer=tuned.warmup_cosine_adam(learning_rate, steps_per_epoch, args.epochs),
        loss=loss,
    )
    print(f"--- {tuned.LOSSES[key][0]}")
    # data.train is shuffled by tf.data (each epoch, from the seed): shuffle=False keeps
    # Keras from warning that its own shuffle does not apply to a dataset.
    model.fit(data.train, epochs=args.epochs, verbose=args.verbose, shuffle=False)
    model.save(out / f"{key}.keras")
    trained[key] = (model, model.predict(data.test, verbose=0))


# %% [markdown]
# ## One threshold per model
# Chosen on the training images: the score quantile with the best overall F1.

# %%
train_scores = {
    key: model.predict(data.train_eval, verbose=0) for key, (model, _) in trained.items()
}
thresholds = {key: decide.best_threshold(data.y_train, train_scores[key]) for key in trained}

# %% [markdown]
# ## Label decision heads for LSEP (Li section 3.3)
# The label-count head is an MLP (100, 10) with a softmax over 1..4 labels; the threshold head
# estimates one threshold per label and image. Both train on the frozen LSEP model's features
# (and the threshold head on its training scores too).

# %%
lsep, lsep_test = trained["lsep"]
features = ranker_features(lsep).predict(data.train_eval, verbose=0)
count_head = build_label_count_head(features.shape[1])
count_head.fit(features, data.y_train, epochs=args.head_epochs, batch_size=256, verbose=0)
decisions = {
    "count": build_label_decision_model(lsep, count_head=count_head, name="lsep_count"),
    "thresholds": threshold_estimation(
        lsep,
        data.train_eval,
        data.y_train,
        epochs=args.head_epochs,
        scores=train_scores["lsep"],
        features=features,
    ),
}
decided = {name: model.predict(data.test, verbose=0) for name, model in decisions.items()}
decisions["thresholds"].save(out / "lsep_threshold_estimation.keras")

# %% [markdown]
# ## Table 1: losses and label decisions
# C-P, C-R: per-class precision and recall; O-P, O-R: overall; F1: the mean per-class F1
# (Li's); 0-1: exact match. Rates in %.

# %%
columns = ("C-P", "C-R", "O-P", "O-R", "F1", "0-1")
reports = {}
for key, (_, test_scores) in trained.items():
    title = tuned.LOSSES[key][0]
    reports[f"{title}, top {args.k}"] = metrics.annotation_report(
        data.y_test, test_scores, k=args.k
    )
    reports[f"{title}, threshold"] = metrics.annotation_report(
        data.y_test, test_scores, threshold=thresholds[key]
    )
reports["LSEP + threshold estimation (Li)"] = metrics.annotation_report(
    data.y_test, decided["thresholds"], threshold=0.5
)
reports["ZLPR (Su), score > 0"] = metrics.annotation_report(
    data.y_test, trained["zlpr"][1], threshold=0.0
)
table1 = metrics.format_reports(reports, keys=columns)
print(f"Table 1: {data.name}\n{table1}\n")

# %% [markdown]
# ## Table 2: label decision for LSEP

# %%
table2_reports = {
    f"top {args.k}": reports[f"LSEP (Li), top {args.k}"],
    "threshold": reports["LSEP (Li), threshold"],
    "label count estimation": metrics.annotation_report(
        data.y_test, decided["count"], threshold=0.5
    ),
    "threshold estimation": reports["LSEP + threshold estimation (Li)"],
}
table2 = metrics.format_reports(table2_reports, keys=columns, title="LSEP decision")
print(f"Table 2: {data.name}\n{table2}")
(out / "tables.txt").write_text(f"Table 1: {data.name}\n{table1}\n\nTable 2\n{table2}\n")

# %% [markdown]
# ## Figure 2: per-class F1 of the 10 most frequent labels
# LSEP with threshold estimation against the thresholded baselines.

# %%
chosen = {
    tuned.LOSSES[key][0] + ", threshold": (s > thresholds[key]).astype("float32")
    for key, (_, s) in trained.items()
    if key in PAPER_KEYS and key != "lsep"
}
chosen["LSEP + threshold estimation (Li)"] = decided["thresholds"].astype("float32")
path = out / "figure2_top_label_f1.png"
plots.plot_top_label_f1(
    data.y_test,
    chosen,
    train_labels=data.y_train.sum(axis=0),
    num_labels=min(10, data.num_labels),
    threshold=0.5,
    label_names=data.label_names,
    path=path,
)
plots.show_figure(path)

# %% [markdown]
# ## Figure 3: precision-recall curves (micro-averaged)

# %%
path = out / "figure3_precision_recall.png"
curves = {tuned.LOSSES[key][0]: s for key, (_, s) in trained.items()}
plots.plot_precision_recall(data.y_test, curves, path=path)
plots.show_figure(path)
