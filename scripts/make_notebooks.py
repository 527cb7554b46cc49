"""Write notebooks/NAME.ipynb from recipes/NAME.py, one cell per ``# %%`` section.

The recipes are the source: edit a recipe, then run

    python scripts/make_notebooks.py          # rewrite every notebook
    python scripts/make_notebooks.py --check  # exit 1 if a notebook is out of date

A ``# %% [markdown]`` section becomes a markdown cell (its ``# `` prefixes removed); other
sections become code cells; the text before the first ``# %%`` (the module docstring) is left
out. In a notebook the recipe reads its options from the ``MLRANK_RECIPE_ARGS`` environment
variable (for example ``--smoke``), since a kernel has no command line of its own.
"""

import argparse
import pathlib
import sys

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


def render(recipe):
    return nbformat.writes(notebook(recipe)) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only check they are up to date")
    args = parser.parse_args(argv)
    NOTEBOOKS.mkdir(exist_ok=True)
    stale = []
    for recipe in sorted(RECIPES.glob("*.py")):
        path = NOTEBOOKS / f"{recipe.stem}.ipynb"
        text = render(recipe)
        if path.exists() and path.read_text() == text:
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
