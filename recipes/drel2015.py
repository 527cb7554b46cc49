"""He et al. 2015, DREL: deep representation learning and tag embedding learning.

Reproduces Table 1 (low-level features: kNN, SVM, WSABIE, DREL), Table 2 (CNN features: the
same, plus CNNs trained end to end with softmax, pairwise hinge and WARP), with mP, mR, F1 and
N+ at the top 5 tags, and the paper's online learning: new tags join a trained DREL model
(``add_tags``) and are learnt from new data while the old tags keep their weights. On
GlyphTags by default or on a prepared TFDS dataset.

    python recipes/drel2015.py [--smoke] [--dataset ...] [--epochs 6] [--out out/drel2015]
"""

# %% [markdown]
# # He et al. 2015: DREL
#
# Two sigmoid towers (image features, learned tag embeddings) meet in a metric-matrix score
# y~^T M x~, trained with a triplet hinge. The paper uses off-the-shelf ImageNet CNN features;
# with no download here, the "CNN features" are the penultimate layer of a CNN trained on the
# training images with the multilabel softmax (so they already know the tags: the CNN rows
# and the feature rows are closer than in the paper). The low-level features are 8 x 8 colour
# thumbnails. GlyphTags by default: no download.

# %%
import math
import pathlib

import keras
import numpy as np

from mlrank_keras import metrics, tuned
from mlrank_keras.baselines import KNNTagTransfer, build_linear_svm, thumbnail_features
from mlrank_keras.demo import load_recipe_data, parse_recipe_args, recipe_parser
from mlrank_keras.models import (
    add_tags,
    build_drel,
    build_ranker,
    build_wsabie,
    cpu_convnet,
    ranker_features,
)

# The demo's options (--smoke, --dataset, --epochs, ...; in a notebook: MLRANK_RECIPE_ARGS).
parser = recipe_parser("drel2015", "He et al. 2015 (DREL): Tables 1-2, online tags")
parser.add_argument("--k", type=int, default=5, help="tags per image (the paper: 5)")
parser.add_argument("--feature-epochs", type=int, default=30, help="epochs on features")
parser.add_argument("--new-tags", type=int, default=4, help="tags that arrive later")
args = parse_recipe_args(parser)
if args.smoke:
    args.feature_epochs = min(args.feature_epochs, 2)
out = pathlib.Path(args.out)
out.mkdir(parents=True, exist_ok=True)
data = load_recipe_data(args)
print(f"{data.name}: {len(data.y_train)} training and {len(data.y_test)} test images")


# %%
def drel(image_dim, num_tags):
    """DREL sized for these features: towers dim-256-256 and 64-128-256 (paper: 4096-2048-1024
    and 256-512-1024)."""
    keras.utils.set_random_seed(args.seed)
    return build_drel(image_dim, num_tags, tag_dim=64, image_units=(256, 256), tag_units=(128, 256))


def fit_on_features(model, x, y, epochs=None):
    model.fit(x, y, epochs=epochs or args.feature_epochs, batch_size=128, verbose=0)
    return model


def feature_methods(x_train, x_test):
    """Test scores of kNN (k = 100, as He), linear SVMs, WSABIE and DREL on features."""
    y = data.y_train
    scores = {}
    knn = KNNTagTransfer(k=min(100, len(x_train)), sigma=float(x_train.shape[1]))
    scores["kNN"] = knn.fit(x_train, y).predict(x_test)
    svm = build_linear_svm(x_train.shape[1], data.num_labels, num_samples=len(x_train))
    scores["SVM"] = fit_on_features(svm, x_train, y).predict(x_test, verbose=0)
    keras.utils.set_random_seed(args.seed)
    wsabie = build_wsabie(x_train.shape[1], data.num_labels, embedding_dim=64, seed=args.seed)
    scores["WSABIE"] = fit_on_features(wsabie, x_train, y).predict(x_test, verbose=0)
    model = fit_on_features(drel(x_train.shape[1], data.num_labels), x_train, y)
    scores["DREL"] = model.predict(x_test, verbose=0)
    return scores, model


columns = ("C-P", "C-R", "C-F1", "N+")  # mP, mR, F1 (of mP and mR), N+


def table(scores, title):
    reports = {
        name: metrics.annotation_report(data.y_test, s, k=args.k) for name, s in scores.items()
    }
    text = metrics.format_reports(reports, keys=columns, percent=False, digits=2)
    return f"{title} (top {args.k}; C-P = mP, C-R = mR, C-F1 = F1)\n{text}\n"


# %% [markdown]
# ## Table 1: low-level features

# %%
low_scores, _ = feature_methods(
    thumbnail_features(data.train_eval), thumbnail_features(data.test)
)
tables = [table(low_scores, "Table 1: low-level features")]
print(tables[-1])

# %% [markdown]
# ## Table 2: CNN features, and CNNs trained end to end

# %%
steps_per_epoch = math.ceil(len(data.y_train) / args.batch_size)
trained = {}  # key: (model, test scores)
for key in ("softmax", "ranking", "warp"):
    keras.utils.set_random_seed(args.seed)
    loss, learning_rate = tuned.tuned_loss(key)  # tuned settings (mlrank_keras.tuned)
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
extractor = ranker_features(trained["softmax"][0])
f_train = extractor.predict(data.train_eval, verbose=0)
f_test = extractor.predict(data.test, verbose=0)
cnn_scores, drel_model = feature_methods(f_train, f_test)
drel_model.save(out / "drel.keras")
names = {"softmax": "CNN softmax", "ranking": "CNN hinge loss", "warp": "CNN WARP"}
for key, (_, s) in trained.items():
    cnn_scores[names[key]] = s
cnn_scores["DREL"] = cnn_scores.pop("DREL")  # last, as in the paper
tables.append(table(cnn_scores, "Table 2: CNN features"))
print(tables[-1])

# %% [markdown]
# ## Online learning: new tags join a trained model
# Train DREL on the old tags, add the new ones (every few places down the frequency order)
# with `add_tags`, and fine-tune on data that has all tags. The old tags' scores do not change
# when the tags are added; fine-tuning then trains the shared towers for both.

# %%
order = np.argsort(-data.y_train.sum(axis=0), kind="stable")
new = np.sort(order[:: max(1, data.num_labels // args.new_tags)][: args.new_tags])
old = np.setdiff1d(np.arange(data.num_labels), new)
columns_after = np.concatenate([old, new])  # add_tags appends the new tags' columns
before = fit_on_features(drel(f_train.shape[1], len(old)), f_train, data.y_train[:, old])
old_scores = before.predict(f_test, verbose=0)
grown = add_tags(before, len(new), seed=args.seed)
unchanged = np.abs(grown.predict(f_test, verbose=0)[:, : len(old)] - old_scores).max()
fit_on_features(grown, f_train, data.y_train[:, columns_after], max(1, args.feature_epochs // 3))
after = np.empty_like(cnn_scores["DREL"])
after[:, columns_after] = grown.predict(f_test, verbose=0)
reports = {
    f"old {len(old)} tags, before": metrics.annotation_report(
        data.y_test[:, old], old_scores, k=args.k
    ),
    f"all {data.num_labels} tags, after add_tags": metrics.annotation_report(
        data.y_test, after, k=args.k
    ),
    f"all {data.num_labels} tags, trained at once": metrics.annotation_report(
        data.y_test, cnn_scores["DREL"], k=args.k
    ),
}
recall = metrics.per_class_scores(data.y_test, after, k=args.k)["recall"][new]
tables.append(
    f"Online learning: new tags {[data.label_names[i] for i in new]}; old tags' scores changed "
    f"by at most {unchanged:.2e} when they were added; new tags' recall after fine-tuning "
    f"{np.round(recall, 3).tolist()}\n"
    + metrics.format_reports(reports, keys=columns, percent=False, digits=2)
    + "\n"
)
print(tables[-1])
(out / "tables.txt").write_text("\n".join(tables))
