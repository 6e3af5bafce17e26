"""Repository-wide pytest setup.

Notebook kernels started by nbval inherit this process's environment, so
setting INR_NBVAL here makes `helpers.runtime.select_profile` pick `quick`
inside every notebook run by the test suite.
"""
import os

os.environ.setdefault("INR_NBVAL", "1")
