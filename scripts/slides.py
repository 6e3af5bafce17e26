"""Give every notebook the slide metadata that presents it as a talk (RISE: Alt+R in JupyterLab).

    python scripts/slides.py [notebooks/ or files...]      # `make slides`; writes only what changes

One rule for all notebooks, so the slides follow the text when it changes
(tests/test_notebooks.py checks that every notebook carries exactly what this rule gives):
  - the title cell, and every markdown cell with a section heading (`## `), starts a slide;
    a `### ` heading starts a subslide (below the slide, in RISE's 2D layout);
  - a code cell is a fragment: its code and its figure appear on the next key press;
  - left out of the slides: the sections a talk skips ("Sizes …", "Exercises": the profile table,
    the exercises and their solutions) and the check cells (code starting with `# Check`);
  - any other markdown continues the current slide.
"""
from __future__ import annotations

import pathlib
import re
import sys

SKIPPED_SECTIONS = re.compile(r"^##\s+(sizes|exercises)\b", re.IGNORECASE)


def _heading(cell: dict, level: str) -> str | None:
    """The first heading line of exactly `level` ('##' or '###') in a markdown cell, or None."""
    for line in "".join(cell.get("source", "")).splitlines():
        if re.match(rf"^{level}\s", line):
            return line
    return None


def slide_types(nb: dict) -> list[str]:
    """The RISE slide type of every cell of `nb`, in order."""
    types, skipping = [], False
    for k, cell in enumerate(nb["cells"]):
        source = "".join(cell.get("source", ""))
        if cell["cell_type"] == "markdown":
            section = _heading(cell, "##")
            if section is not None:
                skipping = bool(SKIPPED_SECTIONS.match(section))
            if skipping:
                types.append("skip")
            elif k == 0 or section is not None:
                types.append("slide")
            elif _heading(cell, "###") is not None:
                types.append("subslide")
            else:
                types.append("-")
        elif skipping or source.lstrip().startswith("# Check"):
            types.append("skip")
        else:
            types.append("fragment")
    return types


def apply(nb: dict) -> dict:
    for cell, kind in zip(nb["cells"], slide_types(nb)):
        cell.setdefault("metadata", {})["slideshow"] = {"slide_type": kind}
    return nb


def main(args) -> None:
    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    from clean_notebooks import rewrite

    rewrite(args, apply, "slides:", pattern="[0-9][0-9]_*.ipynb")


if __name__ == "__main__":
    main(sys.argv[1:])
