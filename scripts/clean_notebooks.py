"""Strip outputs, execution counts and run metadata from notebooks, in place.

Usage: python scripts/clean_notebooks.py [notebooks/ or files...]
Writes only notebooks that change; prints their names. Exit code 0.
"""
import json
import pathlib
import sys


def clean(nb: dict) -> dict:
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        cell.get("metadata", {}).pop("execution", None)
    nb.get("metadata", {}).pop("widgets", None)
    return nb


def rewrite(args, transform, verb: str, pattern: str = "**/*.ipynb") -> None:
    """Apply transform(nb) -> nb to the notebooks named by `args` (files, or folders searched with `pattern`).

    Writes only the notebooks that change, as nbformat writes them (indent 1), and prints "<verb> <path>".
    Shared with scripts/slides.py.
    """
    paths = []
    for a in args or ["notebooks"]:
        p = pathlib.Path(a)
        paths += sorted(p.glob(pattern)) if p.is_dir() else [p]
    for p in paths:
        if ".ipynb_checkpoints" in p.parts:
            continue
        text = p.read_text(encoding="utf-8")
        new = json.dumps(transform(json.loads(text)), indent=1, ensure_ascii=False) + "\n"
        if new != text:
            p.write_text(new, encoding="utf-8")
            print(f"{verb} {p}")


def main(args):
    rewrite(args, clean, "cleaned")


if __name__ == "__main__":
    main(sys.argv[1:])
