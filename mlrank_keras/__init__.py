"""mlrank_keras: multilabel image annotation by ranking, for Keras 3 on any backend."""

from mlrank_keras import losses, metrics

__version__ = "0.1.0"

__all__ = ["losses", "metrics", "__version__"]
