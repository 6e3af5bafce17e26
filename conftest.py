"""Repository-wide pytest setup.

Notebook kernels started by nbval inherit this process's environment, so
setting INR_NBVAL here makes `helpers.runtime.select_profile` pick `quick`
inside every notebook run by the test suite.

With INR_BROWSER=1 (`.ci/run`, `make test-browser`) the notebooks that
tests/test_browser.py runs in JupyterLab are not run a second time by nbval:
the browser test fails on any error output or unrun cell, as nbval would, so
each notebook is executed once per test run.
"""
import importlib.util
import os
import pathlib

os.environ.setdefault("INR_NBVAL", "1")


def _browser_notebooks() -> set:
    path = pathlib.Path(__file__).parent / "tests" / "test_browser.py"
    spec = importlib.util.spec_from_file_location("_inr_browser_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return set(module.NOTEBOOKS)


def pytest_ignore_collect(collection_path, config):
    if os.environ.get("INR_BROWSER") == "1" and collection_path.suffix == ".ipynb":
        return collection_path.stem in _browser_notebooks() or None
    return None
