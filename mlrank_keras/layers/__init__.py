"""Registered layers of the papers' models."""

from mlrank_keras.layers.image_preprocessing import ImagePreprocessing
from mlrank_keras.layers.label_decision import LabelCountDecision, ThresholdDecision, TopKDecision
from mlrank_keras.layers.label_names import LabelNames
from mlrank_keras.layers.label_query import LabelQueryHead
from mlrank_keras.layers.label_transform import LabelTransform
from mlrank_keras.layers.metric_matrix import MetricMatrixTagScores

__all__ = [
    "ImagePreprocessing",
    "LabelCountDecision",
    "LabelNames",
    "LabelQueryHead",
    "LabelTransform",
    "MetricMatrixTagScores",
    "ThresholdDecision",
    "TopKDecision",
]
