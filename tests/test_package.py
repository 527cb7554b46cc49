"""Package-wide promises: no TensorFlow outside data/, and runnable docstring examples."""

import ast
import doctest
import importlib
import pathlib
import pkgutil

import keras
import pytest

import mlrank_keras

PACKAGE_DIR = pathlib.Path(mlrank_keras.__file__).parent
# Only the data pipeline may use TensorFlow (tf.data, TFDS), and distribute/ for
# tf.distribute.MirroredStrategy and jax.distributed (the backends' own mechanisms).
TF_ALLOWED = {"data", "distribute"}


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


def _package_of(module):
    """``mlrank_keras.losses.warp`` -> ``losses``; a top-level module -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else ""


def _module_name(path):
    relative = path.relative_to(PACKAGE_DIR.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1] + ["__init__"]
    return ".".join(parts)


def test_no_module_is_over_300_lines():
    long = {
        str(path.relative_to(PACKAGE_DIR)): n
        for path in PACKAGE_DIR.rglob("*.py")
        if (n := len(path.read_text().splitlines())) > 300
    }
    assert not long, f"modules over 300 lines: {long}"


def test_no_private_name_crosses_a_package_boundary():
    """``from mlrank_keras.X import _name`` (or a module ``_name``) only within package X."""
    offenders = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        here = _package_of(_module_name(path))
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.ImportFrom) and node.module and node.level == 0):
                continue
            if not node.module.startswith("mlrank_keras"):
                continue
            there = _package_of(node.module + ".x")
            if there == here:
                continue
            private = [p for p in node.module.split(".")[1:] if p.startswith("_")]
            private += [a.name for a in node.names if a.name.startswith("_")]
            if private and not (here == "" and there == ""):
                offenders.append(f"{path.relative_to(PACKAGE_DIR)}:{node.lineno} {private}")
    assert not offenders, offenders


def test_the_public_api_lists_what_exists_and_no_recipe_toolbox():
    assert "experiment" not in mlrank_keras.__all__
    assert not hasattr(mlrank_keras, "experiment")
    for package in (mlrank_keras, mlrank_keras.losses, mlrank_keras.metrics,
                    mlrank_keras.models, mlrank_keras.layers, mlrank_keras.baselines):
        for name in package.__all__:
            assert hasattr(package, name), f"{package.__name__}.{name}"


def test_the_readme_quickstart_uses_only_public_names():
    readme = (PACKAGE_DIR.parent / "README.md").read_text()
    start = readme.index("## Quickstart")
    begin = readme.index("```python", start) + len("```python")
    code = readme[begin : readme.index("```", begin)]
    tree = ast.parse(code)
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module.startswith("mlrank_keras"):
            module = importlib.import_module(node.module)
            for alias in node.names:
                assert not alias.name.startswith("_"), alias.name
                assert alias.name in getattr(module, "__all__", dir(module)), alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            chain, base = [node.attr], node.value
            while isinstance(base, ast.Attribute):
                chain.insert(0, base.attr)
                base = base.value
            if isinstance(base, ast.Name) and aliases.get(base.id) == "mlrank_keras":
                obj = mlrank_keras
                for part in chain:
                    assert not part.startswith("_"), chain
                    assert part in getattr(obj, "__all__", dir(obj)), f"mk.{'.'.join(chain)}"
                    obj = getattr(obj, part)


def _public_callables():
    seen = set()
    for package in (mlrank_keras, mlrank_keras.losses, mlrank_keras.metrics,
                    mlrank_keras.models, mlrank_keras.layers, mlrank_keras.baselines):
        for name in package.__all__:
            obj = getattr(package, name)
            if callable(obj) and id(obj) not in seen:
                seen.add(id(obj))
                yield f"{package.__name__}.{name}", obj


def _documented_defaults(doc):
    """``{argument: literal}`` for each ``name: ... Defaults to X.`` entry of ``doc``."""
    import re

    found = {}
    entries = re.split(r"\n\s+(?=\w+(?:, \w+)*: )", doc or "")
    for entry in entries:
        match = re.match(r"(\w+): (.*)", entry, re.S)
        if not match:
            continue
        text = " ".join(match.group(2).split())
        # "Defaults to 1." and "Defaults to ``"exact"``." (the backticks are optional)
        default = re.search(r"Defaults to (?:``)?([^`\s]+?)(?:``)?[.,)](?:\s|$)", text)
        if default:
            try:
                found[match.group(1)] = ast.literal_eval(default.group(1))
            except (ValueError, SyntaxError):
                pass  # e.g. ``keras.backend.floatx()``: not a literal
    return found


def _doc_and_signature(obj):
    import inspect

    target = obj.__init__ if inspect.isclass(obj) else obj
    doc = (obj.__doc__ or "") + (target.__doc__ or "" if inspect.isclass(obj) else "")
    return doc, inspect.signature(target)  # every public callable has a signature


DOCUMENTED = [name for name, obj in _public_callables()
              if _documented_defaults(_doc_and_signature(obj)[0])]


@pytest.mark.parametrize("name", DOCUMENTED)
def test_documented_defaults_equal_the_code_defaults(name):
    obj = dict(_public_callables())[name]
    doc, signature = _doc_and_signature(obj)
    documented = _documented_defaults(doc)
    unknown = sorted(set(documented) - set(signature.parameters))
    assert not unknown, f"{name} documents defaults of no argument: {unknown}"
    for argument, value in documented.items():
        actual = signature.parameters[argument].default
        assert actual == value, f"{name}({argument}): {actual!r}, doc {value!r}"


def test_every_loss_class_documents_its_defaults():
    """What the check above covers: each loss class with keyword defaults (Keras's
    "Defaults to" lines); the metrics, builders and layers document theirs in prose, which
    this check does not read."""
    import inspect

    for package in (mlrank_keras.losses,):
        for name in package.__all__:
            obj = getattr(package, name)
            if not inspect.isclass(obj) or not issubclass(obj, keras.losses.Loss):
                continue
            defaults = [p for p in inspect.signature(obj.__init__).parameters.values()
                        if p.default is not inspect.Parameter.empty
                        and p.name not in ("name", "dtype", "reduction")]
            if defaults:
                assert f"{package.__name__}.{name}" in DOCUMENTED, name


def test_one_rank_estimate_default_for_warp_everywhere():
    import inspect

    from mlrank_keras import losses, models

    for fn in (losses.WARPLoss, losses.warp_loss, models.build_warp_alexnet, models.build_wsabie):
        default = inspect.signature(fn).parameters["rank_estimate"].default
        assert default == "exact", fn.__name__
