"""Package-wide promises: no TensorFlow outside data/, and runnable docstring examples."""

import ast
import doctest
import importlib
import pathlib
import pkgutil

import pytest

import mlrank_keras

PACKAGE_DIR = pathlib.Path(mlrank_keras.__file__).parent
# Only the data pipeline may use TensorFlow (tf.data, TFDS), and distribute.py for
# tf.distribute.MirroredStrategy on the TensorFlow backend.
TF_ALLOWED = {"data", "distribute.py"}


def _modules():
    for info in pkgutil.walk_packages([str(PACKAGE_DIR)], prefix="mlrank_keras."):
        yield info.name


def _imported_roots(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0], node.lineno


def test_backend_neutral_code_does_not_import_tensorflow():
    offenders = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        relative = path.relative_to(PACKAGE_DIR)
        if relative.parts[0] in TF_ALLOWED:
            continue
        for root, line in _imported_roots(path):
            if root in ("tensorflow", "tensorflow_datasets", "tf_keras", "jax", "torch"):
                offenders.append(f"{relative}:{line} imports {root}")
    assert not offenders, "backend-specific imports outside data/: " + "; ".join(offenders)


@pytest.mark.parametrize("name", sorted(_modules()))
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert result.failed == 0
