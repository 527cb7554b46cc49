"""Annotation metrics of the four papers, as Keras metrics, plus the papers' report.

Every metric takes a top-``k`` decision (``k=3`` by default) or ``threshold=``, follows the
losses' label convention (1 true, 0 false, -1 unknown) and keeps sums and counts as state,
so it adds up across batches and replicas. See :mod:`mlrank_keras.metrics.annotation` for
the definitions; :mod:`mlrank_keras.metrics.label_ranking` holds the ranking metrics
(LRAP, ranking loss, coverage error, one-error, P@k, nDCG@k), which take the scores
themselves.
"""

from mlrank_keras.decisions import decide, threshold_labels, top_k_labels
from mlrank_keras.metrics.annotation import (
    MacroF1,
    NPlus,
    OverallF1,
    OverallPrecision,
    OverallRecall,
    PerClassF1,
    PerClassPrecision,
    PerClassRecall,
    PerLabelCountMetric,
)
from mlrank_keras.metrics.exact_match import ExactMatch, HammingLoss
from mlrank_keras.metrics.label_ranking import (
    CoverageError,
    LabelRankingAveragePrecision,
    NDCGAtK,
    OneError,
    PrecisionAtK,
    RankingLoss,
)
from mlrank_keras.metrics.ranking import MeanAveragePrecision
from mlrank_keras.metrics.report import (
    RANKING_KEYS,
    REPORT_KEYS,
    annotation_report,
    format_reports,
    per_class_scores,
    print_reports,
    upper_bound,
    upper_bound_labels,
)

__all__ = [
    "RANKING_KEYS",
    "REPORT_KEYS",
    "CoverageError",
    "ExactMatch",
    "HammingLoss",
    "LabelRankingAveragePrecision",
    "NDCGAtK",
    "OneError",
    "PrecisionAtK",
    "RankingLoss",
    "PerLabelCountMetric",
    "MacroF1",
    "MeanAveragePrecision",
    "NPlus",
    "OverallF1",
    "OverallPrecision",
    "OverallRecall",
    "PerClassF1",
    "PerClassPrecision",
    "PerClassRecall",
    "annotation_report",
    "decide",
    "format_reports",
    "per_class_scores",
    "print_reports",
    "threshold_labels",
    "top_k_labels",
    "upper_bound",
    "upper_bound_labels",
]
