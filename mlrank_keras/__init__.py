"""mlrank_keras: multilabel image annotation by ranking, for Keras 3 on any backend."""

from mlrank_keras import baselines, losses, metrics
from mlrank_keras.baselines import build_linear_svm

__version__ = "0.1.0"

__all__ = ["baselines", "build_linear_svm", "losses", "metrics", "__version__"]
