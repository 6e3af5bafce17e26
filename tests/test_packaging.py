"""The repository's own hygiene: declared dependencies agree, notebooks are committed clean."""
import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONDA_NAMES = {"pytorch": "torch", "pysoundfile": "soundfile"}  # conda-forge name -> PyPI name
NOT_PACKAGES = {"python", "pip"}


def _split(req: str):
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req)
    name, spec = m.group(1).lower(), m.group(2).replace(" ", "")
    return name, spec


def pyproject_deps():
    tomllib = pytest.importorskip("tomllib")
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = meta["dependencies"] + meta["optional-dependencies"]["dev"]
    return dict(_split(r) for r in reqs)


def conda_deps():
    deps, in_list = {}, False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            in_list = True
            continue
        m = re.match(r"^  - ([^:#]+?)\s*$", line)  # top-level list items only (the pip: block is nested)
        if in_list and m:
            name, spec = _split(m.group(1))
            if name not in NOT_PACKAGES:
                deps[CONDA_NAMES.get(name, name)] = spec
    return deps


def test_pyproject_and_environment_agree():
    py, conda = pyproject_deps(), conda_deps()
    assert py == conda, f"pyproject.toml {py}\n!= environment.yml {conda}"


def test_dependencies_are_ranges_not_pins():
    for name, spec in {**pyproject_deps(), **conda_deps()}.items():
        assert spec and "==" not in spec and "=" != spec[:1], f"{name} needs a version range, got {spec!r}"
        assert re.fullmatch(r"(>=|<|<=|>|!=|~=)[0-9][0-9.]*(,(>=|<|<=|>|!=)[0-9][0-9.]*)*", spec), (name, spec)


def test_core_dependencies_present():
    need = {"torch", "numpy", "matplotlib", "ipywidgets", "scikit-image", "soundfile", "jupyterlab", "nbval",
            "pytest", "tqdm"}
    assert need <= set(pyproject_deps())


def notebooks():
    return sorted(p for p in (ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert notebooks(), "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.name)
def test_notebook_committed_clean(path):
    nb = json.loads(path.read_text())
    dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
             and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, (f"{path.name} carries outputs or execution counts in cells {dirty}; "
                       "run `make clean-notebooks` (scripts/clean_notebooks.py) before committing")


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.name)
def test_notebook_follows_template(path):
    nb = json.loads(path.read_text())
    cells = nb["cells"]
    assert cells[0]["cell_type"] == "markdown" and "".join(cells[0]["source"]).startswith("# "), "title cell first"
    setup = next(c for c in cells if c["cell_type"] == "code")
    src = "".join(setup["source"])
    assert "import helpers" in src and "H.setup(" in src, "the first code cell imports helpers and calls setup"
    text = "".join("".join(c["source"]) for c in cells)
    assert "rt.pick(" in text, "sizes come from one dict keyed by profile"
    assert "assert " in text, "at least one measured claim is asserted"
    assert "<details>" in text, "exercises with hidden solutions"


def test_clean_script_strips_outputs(tmp_path):
    import subprocess
    import sys

    nb = {"cells": [{"cell_type": "code", "execution_count": 3, "metadata": {}, "outputs": [{"x": 1}],
                     "source": ["1+1"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    p = tmp_path / "a.ipynb"
    p.write_text(json.dumps(nb))
    subprocess.run([sys.executable, str(ROOT / "scripts" / "clean_notebooks.py"), str(tmp_path)], check=True)
    cell = json.loads(p.read_text())["cells"][0]
    assert cell["outputs"] == [] and cell["execution_count"] is None
