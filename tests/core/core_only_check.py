"""Run as a script: the core works with TensorFlow, TFDS, gensim, matplotlib and Pillow
made unimportable (what `pip install mlrank-keras` with only a backend gives).

Trains a tiny ranker with WARPLoss and checks that each extra's module names its extra.
Prints one line per check; exits non-zero on the first failure.
"""

import importlib.abc
import sys

BLOCKED = ("tensorflow", "tensorflow_datasets", "gensim", "matplotlib", "PIL")


class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {fullname!r} (blocked)", name=fullname)
        return None


sys.meta_path.insert(0, Blocker())

import keras  # noqa: E402
import numpy as np  # noqa: E402

import mlrank_keras as mk  # noqa: E402

rng = np.random.default_rng(0)
x = rng.integers(0, 255, size=(32, 28, 28, 3)).astype("float32") / 255.0
y = (rng.random((32, 5)) < 0.4).astype("float32")
keras.utils.set_random_seed(0)
model = mk.build_ranker(5, mk.losses.WARPLoss(), backbone=mk.cpu_alexnet(28, width=0.25))
history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
assert np.isfinite(history.history["loss"]).all(), history.history
print("trained", keras.backend.backend(), history.history["loss"])
assert not any(name.split(".")[0] in BLOCKED for name in sys.modules), sorted(sys.modules)

for module, extra in (
    ("mlrank_keras.data", "mlrank-keras[data,tensorflow-cpu]"),
    ("mlrank_keras.plots", "mlrank-keras[plots]"),
):
    try:
        importlib.import_module(module)
    except ImportError as error:
        assert extra in str(error), str(error)
        print("refused", module, "->", extra)
    else:
        raise AssertionError(f"{module} imported without its extra")
from mlrank_keras.embeddings import load_vectors  # noqa: E402

try:
    load_vectors(__file__)
except ImportError as error:
    assert "mlrank-keras[embeddings]" in str(error), str(error)
    print("refused load_vectors -> mlrank-keras[embeddings]")
else:
    raise AssertionError("load_vectors ran without gensim")
