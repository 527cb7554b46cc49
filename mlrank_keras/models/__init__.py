"""Models: one ranker builder for any loss, the four papers' builders as presets over it,
their backbones, Li's label decision heads and the analysis tools."""

from mlrank_keras.models.applications import APPLICATIONS, application_backbone
from mlrank_keras.models.backbones import (
    alexnet_backbone,
    cpu_alexnet,
    cpu_convnet,
    gong_alexnet,
    transform_alexnet,
    vgg16,
)
from mlrank_keras.models.decision_heads import (
    build_label_count_head,
    build_label_decision_model,
    build_threshold_head,
    threshold_estimation,
)
from mlrank_keras.models.drel import add_tags, build_drel, build_wsabie
from mlrank_keras.models.gong2014 import (
    build_ranking_alexnet,
    build_softmax_alexnet,
    build_warp_alexnet,
    gong_optimizer,
)
from mlrank_keras.models.hub import hub_backbone
from mlrank_keras.models.lsep import build_lsep_vgg16
from mlrank_keras.models.ranker import build_ranker, ranker_backbone, ranker_features
from mlrank_keras.models.tags import (
    decide_tags,
    model_label_names,
    model_thresholds,
    set_thresholds,
    with_label_names,
)
from mlrank_keras.models.transform import (
    build_transform_alexnet,
    row_classifier_jaccard,
    row_classifier_votes,
    transform_matrices,
    with_label_vectors,
)

__all__ = [
    "APPLICATIONS",
    "add_tags",
    "alexnet_backbone",
    "application_backbone",
    "build_drel",
    "build_label_count_head",
    "build_label_decision_model",
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
    "gong_alexnet",
    "gong_optimizer",
    "hub_backbone",
    "model_label_names",
    "model_thresholds",
    "ranker_backbone",
    "ranker_features",
    "row_classifier_jaccard",
    "row_classifier_votes",
    "set_thresholds",
    "threshold_estimation",
    "transform_alexnet",
    "transform_matrices",
    "vgg16",
    "with_label_names",
    "with_label_vectors",
]
