"""Multilabel ranking losses, exact and ``O(B L log L)``, on every Keras backend.

Label convention: ``y_true`` has ``y_pred``'s shape; ``> 0.5`` is a positive label, ``[0,
0.5]`` a negative one, and a negative entry (``-1``) an unknown label that takes no part.
Each ranking loss returns one value per sample; a row with no positive or no negative label
gives 0. (The pointwise losses (the one-vs-all hinge of the SVM baseline, the asymmetric
loss) and ZLPR still count such a row; the two-way loss adds a label-wise term over the
batch to every row.)
"""

from mlrank_keras.losses.asymmetric import AsymmetricLoss, asymmetric_loss
from mlrank_keras.losses.base import MultilabelLoss
from mlrank_keras.losses.bpmll import BPMLLLoss, bpmll_loss
from mlrank_keras.losses.decision_heads import (
    LabelCountLoss,
    ThresholdEstimationLoss,
    label_count_loss,
    threshold_estimation_loss,
)
from mlrank_keras.losses.hinge import OneVsAllHingeLoss, one_vs_all_hinge_loss
from mlrank_keras.losses.hinge_rank import HingeRankLoss, hinge_rank_loss
from mlrank_keras.losses.lsep import LSEPLoss, lsep_loss
from mlrank_keras.losses.pairwise import PairwiseHingeLoss, pairwise_hinge_loss
from mlrank_keras.losses.softmax import MultilabelSoftmaxLoss, multilabel_softmax_loss
from mlrank_keras.losses.triplet import TripletHingeLoss, triplet_hinge_loss
from mlrank_keras.losses.two_way import TwoWayLoss, two_way_loss
from mlrank_keras.losses.warp import WARPLoss, warp_loss
from mlrank_keras.losses.zlpr import (
    MultilabelCategoricalCrossentropy,
    multilabel_categorical_crossentropy,
)

__all__ = [
    "AsymmetricLoss",
    "BPMLLLoss",
    "HingeRankLoss",
    "LSEPLoss",
    "LabelCountLoss",
    "MultilabelCategoricalCrossentropy",
    "MultilabelLoss",
    "MultilabelSoftmaxLoss",
    "OneVsAllHingeLoss",
    "PairwiseHingeLoss",
    "ThresholdEstimationLoss",
    "TripletHingeLoss",
    "TwoWayLoss",
    "WARPLoss",
    "asymmetric_loss",
    "bpmll_loss",
    "hinge_rank_loss",
    "label_count_loss",
    "lsep_loss",
    "multilabel_categorical_crossentropy",
    "multilabel_softmax_loss",
    "one_vs_all_hinge_loss",
    "pairwise_hinge_loss",
    "threshold_estimation_loss",
    "triplet_hinge_loss",
    "two_way_loss",
    "warp_loss",
]
