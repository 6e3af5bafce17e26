# Two commands: `make lab` (set up + open JupyterLab) and `make test` (set up + run every test).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Which torch to install. With an NVIDIA driver present: the newest CUDA build in
# range. Without one: the CPU-sized 2.13.0 pin (a local wheel on the course
# machines; a range would pull several GB of CUDA packages for nothing).
# Override on the command line, e.g. `make lab TORCH="torch>=2.5,<3"`.
ifeq ($(shell command -v nvidia-smi 2>/dev/null),)
TORCH ?= torch==2.13.0
else
TORCH ?= torch>=2.2,<3
endif

.PHONY: setup lab test test-fast test-browser browser-setup lint times slides clean-notebooks bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/jupyterlab-overrides.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (INR course)" >/dev/null
	# JupyterLab defaults for the course: start the notebook's kernel without asking, never fetch news or
	# update checks from the internet (the course works offline)
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp scripts/jupyterlab-overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	touch $(STAMP)

# JupyterLab on notebooks/. As root (Docker, Colab) Jupyter refuses to start without --allow-root.
# tests/test_packaging.py starts this very command (LAB_ARGS: its port, token and --no-browser).
LAB_ARGS ?=
LAB = $(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS) notebooks

lab: setup
	$(LAB)

# Unit tests, then every notebook under nbval in the `quick` profile.
test: setup
	$(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-current-env --durations=15

# The real-browser test needs Playwright (the `browser` extra) and Debian's chromium; without them it is
# skipped (with INR_BROWSER=1, as in .ci/run, it fails instead, and nbval leaves the notebooks it runs to it).
browser-setup: setup
	$(BIN)/python -m pip install --quiet -e ".[browser]"
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  { echo "no chromium: install it with 'apt-get install chromium' (Debian/Ubuntu)"; exit 1; }

# JupyterLab in headless Chromium: the notebooks with sliders, audio or an animation, as a student sees them.
test-browser: browser-setup
	INR_BROWSER=1 $(BIN)/python -m pytest tests/test_browser.py -v

# Unit tests only (seconds).
test-fast: setup
	$(BIN)/python -m pytest tests --ignore=tests/test_browser.py

# ruff with the rule set in pyproject.toml ([tool.ruff]).
lint: setup
	$(BIN)/ruff check .

# Run times per notebook and profile -> notebooks/times.json and the README's table (scripts/time_notebooks.py),
# e.g. `make times PROFILES=quick NOTEBOOKS="02 08"`.
PROFILES ?= quick standard
NOTEBOOKS ?=
times: setup
	$(BIN)/python scripts/time_notebooks.py --profiles $(PROFILES) $(if $(NOTEBOOKS),--notebooks $(NOTEBOOKS))

# Slide metadata for RISE (Alt+R in JupyterLab presents a notebook as a talk), from one rule: scripts/slides.py.
slides: setup
	$(BIN)/python scripts/slides.py notebooks

# Strip outputs and execution counts from every notebook before committing.
clean-notebooks: setup
	$(BIN)/python scripts/clean_notebooks.py notebooks

bench: setup
	$(BIN)/python -m helpers.bench

clean:
	rm -rf $(VENV) *.egg-info
