"""The repository's own hygiene: declared dependencies agree, notebooks are committed clean, `make lab` starts."""
import json
import os
import pathlib
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
CONDA_NAMES = {"pytorch": "torch", "pysoundfile": "soundfile"}  # conda-forge name -> PyPI name
NOT_PACKAGES = {"python", "pip"}


def _split(req: str):
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req)
    name, spec = m.group(1).lower(), m.group(2).replace(" ", "")
    return name, spec


def _toml_string_list(text: str, table: str, key: str) -> list[str]:
    """The strings of `key = [...]` in `[table]` of a TOML text: enough for pyproject's dependency lists.

    Python 3.10 (which pyproject.toml allows) has no tomllib, so the checks below must not need it;
    `test_toml_reader_agrees_with_tomllib` compares this reader with tomllib where there is one.
    """
    section = re.search(rf"^\[{re.escape(table)}\][ \t]*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    assert section, f"pyproject.toml has no [{table}] table"
    array = re.search(rf"^{re.escape(key)}[ \t]*=[ \t]*\[(.*?)^\]", section.group(1), re.M | re.S)
    assert array, f"pyproject.toml has no list {key} = [...] in [{table}]"
    body = "\n".join(line.split("#", 1)[0] for line in array.group(1).splitlines())  # drop comments
    return re.findall(r'"([^"]*)"', body)


def _pyproject_lists(text: str) -> dict[str, list[str]]:
    return {"dependencies": _toml_string_list(text, "project", "dependencies"),
            "dev": _toml_string_list(text, "project.optional-dependencies", "dev")}


def pyproject_deps():
    lists = _pyproject_lists((ROOT / "pyproject.toml").read_text())
    return dict(_split(r) for r in lists["dependencies"] + lists["dev"])


def test_toml_reader_agrees_with_tomllib():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the reader itself runs everywhere
    text = (ROOT / "pyproject.toml").read_text()
    meta = tomllib.loads(text)["project"]
    assert _pyproject_lists(text) == {"dependencies": meta["dependencies"],
                                      "dev": meta["optional-dependencies"]["dev"]}


def test_toml_reader_handles_comments_and_tables():
    text = """[project]
name = "x"
dependencies = [
    "a>=1,<2",  # a comment with "quotes"
    # "commented-out>=0"
    "b>=2,<3",
]

[project.optional-dependencies]
dev = ["c>=3,<4",
]
other = [
    "d>=1",
]
"""
    assert _pyproject_lists(text) == {"dependencies": ["a>=1,<2", "b>=2,<3"], "dev": ["c>=3,<4"]}


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
            "pytest", "tqdm", "ruff"}
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_make_lab_starts_jupyterlab(tmp_path):
    """`make lab`, exactly as the Makefile runs it (as root too: Docker, Colab), serves notebooks/ on /api.

    Only the port, a token and --no-browser are added (LAB_ARGS); `-o` keeps make from reinstalling the
    venv. The server and make run in their own process group, which is all this test stops.
    """
    if not (ROOT / ".venv" / "bin" / "jupyter").exists():
        pytest.skip("no .venv/bin/jupyter: run `make setup` first")
    port, token = _free_port(), secrets.token_hex(16)
    args = (f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} --ServerApp.port_retries=0 "
            f"--IdentityProvider.token={token}")
    log = tmp_path / "lab.log"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    with open(log, "w") as out:
        proc = subprocess.Popen(["make", "--no-print-directory", "-o", ".venv/.installed", "lab", f"LAB_ARGS={args}"],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline, answer = time.monotonic() + 120, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents?token={token}", timeout=5) as r:
                    answer = json.load(r)
                break
            except OSError:
                time.sleep(0.5)
        text = log.read_text()
        why = "did not answer within 120 s" if proc.poll() is None else f"exited with code {proc.poll()}"
        assert answer is not None, f"`make lab` {why}:\n{text[-3000:]}"
        names = {item["name"] for item in answer["content"]}
        assert {p.name for p in notebooks()} <= names, f"the server's root is not notebooks/: {sorted(names)}"
        assert "Running as root is not recommended" not in text or "--allow-root" in text
        if os.geteuid() == 0:
            assert "--allow-root" in text.splitlines()[0], "as root, make lab must pass --allow-root"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the group make started: make and its jupyter server
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
