"""Multilabel ranking losses, exact and ``O(B L log L)``, on every Keras backend.

Label convention: ``y_true`` has ``y_pred``'s shape; ``> 0.5`` is a positive label, ``[0,
0.5]`` a negative one, and a negative entry (``-1``) an unknown label that takes no part.
Each ranking loss returns one value per sample; a row with no positive or no negative label
gives 0. (The one-vs-all hinge of the SVM baseline has no pairs, so such a row still counts.)
"""

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
from mlrank_keras.losses.warp import WARPLoss, warp_loss

__all__ = [
    "BPMLLLoss",
    "HingeRankLoss",
    "LSEPLoss",
    "LabelCountLoss",
    "MultilabelLoss",
    "MultilabelSoftmaxLoss",
    "OneVsAllHingeLoss",
    "PairwiseHingeLoss",
    "ThresholdEstimationLoss",
    "TripletHingeLoss",
    "WARPLoss",
    "bpmll_loss",
    "hinge_rank_loss",
    "label_count_loss",
    "lsep_loss",
    "multilabel_softmax_loss",
    "one_vs_all_hinge_loss",
    "pairwise_hinge_loss",
    "threshold_estimation_loss",
    "triplet_hinge_loss",
    "warp_loss",
]
