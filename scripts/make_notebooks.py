"""Write notebooks/NAME.ipynb from recipes/NAME.py, one cell per ``# %%`` section.

The recipes are the source: edit a recipe, then run

    python scripts/make_notebooks.py          # rewrite every notebook (no outputs)
    python scripts/make_notebooks.py --check  # exit 1 if a notebook is out of date
    TF_ENABLE_ONEDNN_OPTS=1 python scripts/make_notebooks.py --run [NAME ...]
                                              # rewrite and execute: a full run, outputs kept

``--run`` executes each notebook with its recipe's default options (a full run on TensorFlow,
its files in ``out/NAME``) and keeps the outputs, so that a reader on the web sees the tables
and figures; the notebook's metadata records the run (the recipe's SHA-256, seconds, machine,
commit). A notebook is up to date when its cells, outputs aside, are the recipe's and its
recorded hash is the recipe's: outputs from an older recipe fail the check.

A ``# %% [markdown]`` section becomes a markdown cell (its ``# `` prefixes removed); other
sections become code cells; the text before the first ``# %%`` (the module docstring) is left
out. In a notebook the recipe reads its options from the ``MLRANK_RECIPE_ARGS`` environment
variable (for example ``--smoke``), since a kernel has no command line of its own.
"""

import argparse
import hashlib
import os
import pathlib
import platform
import subprocess
import sys
import time

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
RECIPES = ROOT / "recipes"
NOTEBOOKS = ROOT / "notebooks"


def cells(source):
    """``[(kind, text)]`` of a percent-format script, kind ``"markdown"`` or ``"code"``."""
    sections, current = [], None
    for line in source.splitlines():
        if line.startswith("# %%"):
            current = ("markdown" if "[markdown]" in line else "code", [])
            sections.append(current)
        elif current is not None:
            current[1].append(line)
    result = []
    for kind, lines in sections:
        if kind == "markdown":
            lines = [line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines]
        text = "\n".join(lines).strip("\n")
        if text.strip():
            result.append((kind, text))
    return result


def notebook(recipe):
    """The notebook of ``recipe`` (a path), as an ``nbformat`` node."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["mlrank_keras"] = {"recipe_sha256": recipe_hash(recipe)}
    header = (
        f"*Generated from `recipes/{recipe.name}` by `scripts/make_notebooks.py`: edit the recipe, "
        "not this notebook. Options (e.g. `--smoke`, `--dataset voc2007 --data-dir DIR`) come "
        "from the `MLRANK_RECIPE_ARGS` environment variable.*"
    )
    made = [nbformat.v4.new_markdown_cell(header)]
    for kind, text in cells(recipe.read_text()):
        maker = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        made.append(maker(text))
    for i, cell in enumerate(made):
        cell["id"] = f"{recipe.stem}-{i}"  # stable ids: regenerating changes nothing
    nb.cells = made
    return nb


def recipe_hash(recipe):
    return hashlib.sha256(recipe.read_bytes()).hexdigest()


def render(recipe):
    return nbformat.writes(notebook(recipe)) + "\n"


def cells_of(nb):
    """What a notebook says, outputs and run records aside: each cell's id, kind and source."""
    return [(cell.get("id"), cell.cell_type, cell.source) for cell in nb.cells]


def up_to_date(path, recipe):
    """Whether ``path`` holds ``recipe``'s cells and hash (its outputs may be a full run's)."""
    if not path.exists():
        return False
    nb = nbformat.reads(path.read_text(), as_version=4)
    recorded = nb.metadata.get("mlrank_keras", {})
    return recorded.get("recipe_sha256") == recipe_hash(recipe) and cells_of(nb) == cells_of(
        notebook(recipe)
    )


def _machine():
    cpu = platform.processor() or platform.machine()
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()}"


def run(recipe, path):
    """Execute ``recipe``'s notebook with its default options and write it with outputs."""
    import keras
    import nbclient

    nb = notebook(recipe)
    out = ROOT / "out" / recipe.stem
    os.environ["MLRANK_RECIPE_ARGS"] = f"--verbose 0 --out {out}"
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    start = time.perf_counter()
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=None).execute(
        cwd=str(ROOT)
    )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    nb.metadata["mlrank_keras"]["run"] = {
        "command": f"MLRANK_RECIPE_ARGS='--verbose 0 --out out/{recipe.stem}' "
        "(python scripts/make_notebooks.py --run)",
        "seconds": round(time.perf_counter() - start),
        "machine": _machine(),
        "backend": os.environ["KERAS_BACKEND"],
        "keras": keras.__version__,
        "commit": commit,
    }
    path.write_text(nbformat.writes(nb) + "\n")
    assert up_to_date(path, recipe), path  # so that the check below keeps the outputs
    print(f"ran {path.relative_to(ROOT)} in {nb.metadata['mlrank_keras']['run']['seconds']} s")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only check they are up to date")
    parser.add_argument("--run", nargs="*", metavar="NAME", help="execute (all, or these)")
    args = parser.parse_args(argv)
    NOTEBOOKS.mkdir(exist_ok=True)
    stale = []
    recipes = sorted(RECIPES.glob("*.py"))
    if args.run is not None:
        names = {r.stem for r in recipes}
        unknown = sorted(set(args.run) - names)
        if unknown:
            parser.error(f"--run takes recipe names {sorted(names)}; received {unknown}")
        for recipe in recipes:
            if not args.run or recipe.stem in args.run:
                run(recipe, NOTEBOOKS / f"{recipe.stem}.ipynb")
    for recipe in recipes:
        path = NOTEBOOKS / f"{recipe.stem}.ipynb"
        text = render(recipe)
        if up_to_date(path, recipe):
            continue
        stale.append(path)
        if not args.check:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    if args.check and stale:
        print("out of date (run python scripts/make_notebooks.py):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
