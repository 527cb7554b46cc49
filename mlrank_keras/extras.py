"""Optional dependencies: each part of the package that needs more than keras and numpy
names the extra that brings it.

``pip install mlrank-keras`` gives the losses, metrics, layers, models and baselines; the
extras add the data pipeline (``[data]``: TensorFlow Datasets, with TensorFlow from
``[tensorflow]`` or ``[tensorflow-cpu]``), the label embeddings (``[embeddings]``: gensim)
and the figures (``[plots]``: matplotlib); ``[all]`` brings all three. ``[hub]`` brings
keras-hub's requirements for its image backbones, all but tensorflow-text (which pulls the
full ``tensorflow`` wheel, clashing with ``tensorflow-cpu``); keras-hub itself then installs
with ``pip install --no-deps keras-hub``.
"""

import importlib

EXTRAS = {
    "tensorflow": "data,tensorflow-cpu",  # or data,tensorflow
    "tensorflow_datasets": "data",
    "PIL": "data",
    "gensim": "embeddings",
    "matplotlib": "plots",
    "keras_hub": "hub",
}

_ALTERNATIVES = {
    "data,tensorflow-cpu": ' (or "mlrank-keras[data,tensorflow]")',
    "embeddings": ' (or "mlrank-keras[all]")',
    "plots": ' (or "mlrank-keras[all]")',
    "hub": (
        ', then pip install --no-deps keras-hub (or plain pip install keras-hub beside the '
        'full tensorflow wheel: its tensorflow-text needs it)'
    ),
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
