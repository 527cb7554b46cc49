"""Gong et al. 2014's feature baselines (section 4): weighted kNN tag transfer and
one-vs-all linear SVMs, both on feature vectors."""

from mlrank_keras.baselines.features import thumbnail_features
from mlrank_keras.baselines.knn import KNNTagTransfer
from mlrank_keras.baselines.svm import build_linear_svm

__all__ = ["KNNTagTransfer", "build_linear_svm", "thumbnail_features"]
