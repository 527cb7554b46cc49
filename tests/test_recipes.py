"""The paper recipes in smoke mode: as notebooks on TensorFlow, as scripts on JAX and torch."""

import hashlib
import importlib.util
import json
import pathlib
import runpy
import sys

import keras
import pytest

from tests.helpers import only_on

ROOT = pathlib.Path(__file__).resolve().parents[1]
RECIPES = sorted(p.stem for p in (ROOT / "recipes").glob("*.py"))
# What each recipe must leave in its output folder.
OUTPUTS = {
    "gong2014": ["tables.txt", "figure2_per_class_recall.png", "figure3_per_class_precision.png"],
    "transformation": ["tables.txt", "transform.keras", "query_seen.keras", "figure8_rows.png",
                       "figure9_jaccard.png"],
    "drel2015": ["tables.txt", "drel.keras"],
    "own_photos": ["tables.txt", "cli/model.keras", "hub/model.keras", "photos/tags.csv"],
    "lsep2017": [
        "tables.txt",
        "lsep_threshold_estimation.keras",
        "figure2_top_label_f1.png",
        "figure3_precision_recall.png",
    ],
}
TABLES = {
    "gong2014": ["Table 1:", "Table 2:", "CNN + WARP", "visual features + kNN"],
    "transformation": ["Table 3:", "Table 4:", "Table 5:", "Figure 8:", "Zero-shot",
                       "label-query head"],
    "drel2015": ["Table 1:", "Table 2:", "DREL", "WSABIE", "Online learning"],
    "own_photos": ["Tag your own photos", "Table 1: mlrank-keras train", "Table 2:", "top-3",
                   "file_name,tags"],
    "lsep2017": ["Table 1:", "Table 2", "LSEP + threshold estimation (Li)", "BP-MLL (Li)",
                 "ASL (Ridnik)", "two-way (Kobayashi)", "ZLPR (Su), score > 0"],
}


def _make_notebooks():
    spec = importlib.util.spec_from_file_location(
        "make_notebooks", ROOT / "scripts/make_notebooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check_outputs(name, out):
    for file in OUTPUTS[name]:
        assert (out / file).stat().st_size > 0, file
    text = (out / "tables.txt").read_text()
    for needle in TABLES[name]:
        assert needle in text, needle


def test_every_recipe_has_its_checks():
    assert RECIPES == sorted(OUTPUTS) == sorted(TABLES)


def test_notebooks_and_their_outputs_come_from_the_current_recipes():
    make = _make_notebooks()
    for name in RECIPES:
        path = ROOT / "notebooks" / f"{name}.ipynb"
        recipe = ROOT / "recipes" / f"{name}.py"
        assert make.up_to_date(path, recipe), (
            f"{path} is out of date: run python scripts/make_notebooks.py --run {name}"
        )
        # Independent of the helper: the recorded hash is the recipe's bytes' SHA-256.
        recorded = json.loads(path.read_text())["metadata"]["mlrank_keras"]["recipe_sha256"]
        assert recorded == hashlib.sha256(recipe.read_bytes()).hexdigest()
        # A reader sees no Keras warning in the outputs (fit(shuffle=True) on a dataset,
        # "Your input ran out of data" at the end of an epoch of unknown size, ...).
        warned = [line for line in path.read_text().splitlines() if "UserWarning" in line]
        assert not warned, f"{path}: {warned[0][:200]}"


def test_notebook_outputs_of_an_older_recipe_are_stale(tmp_path):
    make = _make_notebooks()
    recipe = tmp_path / "r.py"
    recipe.write_text("# %%\nprint(1)\n")
    path = tmp_path / "r.ipynb"
    nb = make.notebook(recipe)
    nb.cells[1].outputs = [{"output_type": "stream", "name": "stdout", "text": "1\n"}]
    nb.metadata["mlrank_keras"]["run"] = {"seconds": 1}
    # What an execution adds: the kernel's language details, cell timings.
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    nb.cells[1].metadata = {"execution": {"iopub.status.busy": "2026-12-03T02:40:00Z"}}
    nb.cells[1].execution_count = 1
    path.write_text(json.dumps(nb))
    assert make.up_to_date(path, recipe)  # outputs and a run record are fine
    recipe.write_text("# %%\nprint(2)\n")  # the code changed after the run
    assert not make.up_to_date(path, recipe)
    nb.cells[1].source = "print(2)"  # even with the cell edited by hand: the hash is old
    path.write_text(json.dumps(nb))
    assert not make.up_to_date(path, recipe)


def test_notebook_cells_follow_the_percent_markers():
    make = _make_notebooks()
    source = "'''doc'''\n# %% [markdown]\n# # Title\n#\n# text\n\n# %%\nx = 1\n\n# %%\n\n"
    assert make.cells(source) == [("markdown", "# Title\n\ntext"), ("code", "x = 1")]


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="notebooks run on TF")
@pytest.mark.parametrize("name", RECIPES)
def test_notebook_runs_in_smoke_mode(name, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    out = tmp_path / "out"
    monkeypatch.setenv("MLRANK_RECIPE_ARGS", f"--smoke --verbose 0 --out {out}")
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    notebook = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
        timeout=None,  # no time limit in a test
    )
    client.execute()
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    _check_outputs(name, out)


@only_on("torch", "TensorFlow runs the notebooks; the recipes' pieces are tested everywhere")
@pytest.mark.parametrize("name", RECIPES)
def test_recipe_script_runs_in_smoke_mode(name, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    argv = [f"recipes/{name}.py", "--smoke", "--verbose", "0", "--out", str(out)]
    monkeypatch.setattr(sys, "argv", argv)
    runpy.run_path(str(ROOT / "recipes" / f"{name}.py"), run_name="__main__")
    _check_outputs(name, out)
    assert "Table" in capsys.readouterr().out
