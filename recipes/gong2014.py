"""Gong et al. 2014, "Deep Convolutional Ranking for Multilabel Image Annotation".

Reproduces Tables 1-2 (k = 3 and k = 5: the upper bound, visual features with kNN and linear
SVMs, and one CNN per loss: multilabel softmax, pairwise ranking, WARP) and Figures 2-3 (recall
and precision per label, labels ordered by training frequency), on GlyphTags by default or on
a prepared TFDS dataset (``--dataset nuswide --manual-dir DIR`` is the paper's).

    python recipes/gong2014.py [--smoke] [--dataset ...] [--epochs 6] [--out out/gong2014]
"""

# %% [markdown]
# # Gong et al. 2014: deep convolutional ranking
#
# Three losses on one CNN (multilabel softmax, pairwise ranking, WARP) against
# fixed visual features with kNN tag transfer and one-vs-all linear SVMs; Tables 1-2 (top 3
# and top 5 labels) and Figures 2-3 (per-label recall and precision). GlyphTags by default:
# no download. The CNN here (`cpu_convnet`: batch normalisation, global pooling) is sized for
# a CPU and trained from scratch with Adam, a warm-up and a cosine decay, each loss at its own
# learning rate tuned on a validation split (`benchmarks/lr_grid.py`); the paper fine-tunes
# AlexNet on NUS-WIDE with SGD.

# %%
import math
import pathlib

import keras

from mlrank_keras import metrics, plots, tuned
from mlrank_keras.baselines import KNNTagTransfer, build_linear_svm, thumbnail_features
from mlrank_keras.demo import load_recipe_data, parse_recipe_args, recipe_parser
from mlrank_keras.models import build_ranker, cpu_convnet

# The demo's options (--smoke, --dataset, --epochs, ...; in a notebook: MLRANK_RECIPE_ARGS).
args = parse_recipe_args(recipe_parser("gong2014", "Gong et al. 2014: Tables 1-2, Figures 2-3"))
out = pathlib.Path(args.out)
out.mkdir(parents=True, exist_ok=True)
data = load_recipe_data(args)
print(f"{data.name}: {len(data.y_train)} training and {len(data.y_test)} test images")

# %% [markdown]
# ## Visual features with kNN and SVMs
# Gong's baselines use GIST, colour and texture features; here, 8 x 8 colour thumbnails.
# kNN: the 50 nearest training images vote (Gong, after Makadia et al.); SVM: one linear
# SVM per label (C = 2).

# %%
x_train = thumbnail_features(data.train_eval)
x_test = thumbnail_features(data.test)
scores = {}
knn = KNNTagTransfer(k=min(50, len(x_train)), sigma=float(x_train.shape[1]))
scores["visual features + kNN"] = knn.fit(x_train, data.y_train).predict(x_test)
svm = build_linear_svm(x_train.shape[1], data.num_labels, num_samples=len(x_train), C=2.0)
svm.fit(x_train, data.y_train, epochs=max(2, 3 * args.epochs), batch_size=256, verbose=0)
scores["visual features + SVM"] = svm.predict(x_test, verbose=0)

# %% [markdown]
# ## One CNN per loss
# The same CNN and seed for each loss; each loss with its tuned settings
# (`mlrank_keras.tuned`: learning rate, margin), trained with Adam, a one-epoch warm-up and a
# cosine decay.

# %%
steps_per_epoch = math.ceil(len(data.y_train) / args.batch_size)
for key in ("softmax", "ranking", "warp"):
    keras.utils.set_random_seed(args.seed)
    loss, learning_rate = tuned.tuned_loss(key)  # e.g. WARPLoss(margin=0.5), 1e-2
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
    name = "CNN + " + tuned.LOSSES[key][0].replace(" (Gong)", "")
    scores[name] = model.predict(data.test, verbose=0)

# %% [markdown]
# ## Tables 1 and 2
# Rates in %; N+ is the number of labels recalled at least once (Gong prints it in %).

# %%
tables = []
for k in (3, 5):
    reports = {"upper bound": metrics.upper_bound(data.y_test, k=k, seed=args.seed)}
    reports.update(
        {name: metrics.annotation_report(data.y_test, s, k=k) for name, s in scores.items()}
    )
    keys = ("C-R", "C-P", "O-R", "O-P", "N+")  # the paper's column order
    table = metrics.format_reports(reports, keys=keys)
    tables.append(f"Table {(k == 5) + 1}: {data.name}, top {k} labels\n{table}\n")
    print(tables[-1])
(out / "tables.txt").write_text("\n".join(tables))

# %% [markdown]
# ## Figures 2 and 3: recall and precision per label (top 3)
# Labels in decreasing training frequency: WARP's gain is largest on the rare labels.

# %%
cnn = {name: s for name, s in scores.items() if name.startswith("CNN")}
frequencies = data.y_train.sum(axis=0)
for metric, figure in (("recall", 2), ("precision", 3)):
    path = out / f"figure{figure}_per_class_{metric}.png"
    plots.plot_per_class(
        data.y_test,
        cnn,
        train_labels=frequencies,
        metric=metric,
        k=3,
        label_names=data.label_names,
        path=path,
    )
    plots.show_figure(path)
