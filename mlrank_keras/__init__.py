"""mlrank_keras: multilabel image annotation by ranking, for Keras 3 on any backend.

Needs only keras and numpy (and a backend). The data pipeline (``mlrank_keras.data``), the
label embeddings (``mlrank_keras.embeddings``) and the figures (``mlrank_keras.plots``) are
imported on their own and need the extras ``[data]``, ``[embeddings]`` and ``[plots]``.
"""

from mlrank_keras import baselines, decisions, labels, layers, losses, metrics, models, tuned
from mlrank_keras.baselines import build_linear_svm
from mlrank_keras.fine_tuning import fine_tune, freeze_backbone
from mlrank_keras.models import (
    add_tags,
    application_backbone,
    build_drel,
    build_label_count_head,
    build_label_decision_model,
    build_lsep_vgg16,
    build_ranker,
    build_ranking_alexnet,
    build_softmax_alexnet,
    build_threshold_head,
    build_transform_alexnet,
    build_warp_alexnet,
    build_wsabie,
    cpu_alexnet,
    cpu_convnet,
    decide_tags,
    hub_backbone,
    model_label_names,
    model_thresholds,
    ranker_backbone,
    ranker_features,
    set_thresholds,
    with_label_names,
    with_label_vectors,
)
from mlrank_keras.tag_predict import evaluate_tagger, predict_tags
from mlrank_keras.tagger import train_tagger

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "add_tags",
    "application_backbone",
    "baselines",
    "build_drel",
    "build_label_count_head",
    "build_label_decision_model",
    "build_linear_svm",
    "build_lsep_vgg16",
    "build_ranker",
    "build_ranking_alexnet",
    "build_softmax_alexnet",
    "build_threshold_head",
    "build_transform_alexnet",
    "build_warp_alexnet",
    "build_wsabie",
    "cpu_alexnet",
    "cpu_convnet",
    "decide_tags",
    "decisions",
    "evaluate_tagger",
    "fine_tune",
    "freeze_backbone",
    "hub_backbone",
    "labels",
    "layers",
    "losses",
    "metrics",
    "model_label_names",
    "model_thresholds",
    "models",
    "predict_tags",
    "ranker_backbone",
    "ranker_features",
    "set_thresholds",
    "train_tagger",
    "tuned",
    "with_label_names",
    "with_label_vectors",
]
