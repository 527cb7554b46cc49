"""The four papers' models as builder functions, plus their backbones and analysis tools."""

from mlrank_keras.models.alexnet import alexnet_backbone, gong_alexnet, transform_alexnet, vgg16
from mlrank_keras.models.drel import add_tags, build_drel, build_wsabie
from mlrank_keras.models.gong2014 import (
    build_ranking_alexnet,
    build_softmax_alexnet,
    build_warp_alexnet,
    gong_optimizer,
)
from mlrank_keras.models.lsep import (
    build_label_count_head,
    build_label_decision_model,
    build_lsep_vgg16,
    build_threshold_head,
    ranker_features,
)
from mlrank_keras.models.transform import (
    build_transform_alexnet,
    row_classifier_jaccard,
    row_classifier_votes,
    transform_matrices,
    with_label_vectors,
)

__all__ = [
    "add_tags",
    "alexnet_backbone",
    "build_drel",
    "build_label_count_head",
    "build_label_decision_model",
    "build_lsep_vgg16",
    "build_ranking_alexnet",
    "build_softmax_alexnet",
    "build_threshold_head",
    "build_transform_alexnet",
    "build_warp_alexnet",
    "build_wsabie",
    "gong_alexnet",
    "gong_optimizer",
    "ranker_features",
    "row_classifier_jaccard",
    "row_classifier_votes",
    "transform_alexnet",
    "transform_matrices",
    "vgg16",
    "with_label_vectors",
]
