"""Optional dependencies: each part of the package that needs more than keras and numpy
names the extra that brings it.

``pip install mlrank-keras`` gives the losses, metrics, layers, models and baselines; the
extras add the data pipeline (``[data]``: TensorFlow Datasets, with TensorFlow from
``[tensorflow]`` or ``[tensorflow-cpu]``), the label embeddings (``[embeddings]``: gensim)
and the figures (``[plots]``: matplotlib); ``[all]`` brings all three.
"""

import importlib

EXTRAS = {
    "tensorflow": "data,tensorflow-cpu",  # or data,tensorflow
    "tensorflow_datasets": "data",
    "PIL": "data",
    "gensim": "embeddings",
    "matplotlib": "plots",
}

_ALTERNATIVES = {
    "data,tensorflow-cpu": ' (or "mlrank-keras[data,tensorflow]")',
    "embeddings": ' (or "mlrank-keras[all]")',
    "plots": ' (or "mlrank-keras[all]")',
}


def require(module, feature):
    """Imports ``module``, or raises an ``ImportError`` that names the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        extra = EXTRAS[module.split(".")[0]]
        raise ImportError(
            f"{feature} needs `{module.split('.')[0]}`, which is not installed. Install it "
            f"with: pip install \"mlrank-keras[{extra}]\"{_ALTERNATIVES.get(extra, '')}."
        ) from error
