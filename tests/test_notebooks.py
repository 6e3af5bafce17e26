"""Rules every notebook keeps (notebooks/README.md): run times live in one generated table, not in prose."""
import importlib.util
import json
import pathlib
import re

import matplotlib
import pytest

import helpers

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# "≈ 45 s", "7 min", "114 s", "2 minutes", "1 h": a duration typed into prose drifts from what a run measures.
DURATION = re.compile(r"\d[\d,.]*\s*(?:–|-)?\s*\d*\s*(?:s|sec|secs|seconds?|min|mins|minutes?|h|hours?)\b", re.I)


def _title(path):
    cells = json.loads(path.read_text())["cells"]
    return "".join(next(c for c in cells if c["cell_type"] == "markdown")["source"])


def _time_script():
    spec = importlib.util.spec_from_file_location("time_notebooks", ROOT / "scripts" / "time_notebooks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_title_cell_states_no_run_time_and_points_to_the_table(path):
    title = _title(path)
    found = DURATION.findall(title)
    assert not found, f"{path.name}: the title cell states a run time ({found}); point to the README's table instead"
    assert "README.md#run-times" in title, f"{path.name}: the title cell must link to ../README.md#run-times"


def test_duration_pattern_catches_typed_times():
    for text in ("CPU quick ≈ 45 s", "about 7 min", "114 s", "2 minutes", "30–90 s"):
        assert DURATION.search(text), text
    for text in ("a 3x256 SIREN", "ω₀ = 30", "256² pixels", "section 4"):
        assert not DURATION.search(text), text


def test_times_table_renders_every_notebook_and_labels_each_run(tmp_path):
    mod = _time_script()
    a = {"date": "2026-12-02", "machine": "2-core CPU", "threads": 2, "status": "passed", "seconds": 41.4}
    b = dict(a, date="2026-12-01", threads=1, seconds=250.0)
    table = mod.render({NOTEBOOKS[0].stem: {"quick": a, "standard": b},
                        NOTEBOOKS[1].stem: {"quick": dict(a, status="failed", error="x")}})
    rows = [line for line in table.splitlines() if line.startswith("| [`")]
    assert len(rows) == len(NOTEBOOKS)
    assert "41 s¹" in rows[0] and "250 s²" in rows[0] and "not measured" in rows[0]
    assert "failed¹" in rows[1]
    shared = mod.render({NOTEBOOKS[0].stem: {"quick": dict(a, load=6.2)}})
    assert "machine shared with other jobs (load average up to 6)" in shared
    assert "¹ 2026-12-02, 2-core CPU, 2 torch thread(s)." in table and "² 2026-12-01" in table


def test_readme_holds_the_generated_table():
    mod = _time_script()
    text = (ROOT / "README.md").read_text()
    assert mod.START in text and mod.END in text, "README.md lost the run-time table's marker lines"
    results = json.loads((ROOT / "notebooks" / "times.json").read_text())
    inside = text.split(mod.START, 1)[1].split(mod.END, 1)[0].strip()
    assert inside == mod.render(results), "README's table is not what times.json renders: run --render-only"


@pytest.mark.parametrize("present, size", [(False, 10), (True, 14)])
def test_setup_sets_the_figure_style(present, size, capsys):
    helpers.setup(profile="quick", present=present)
    assert matplotlib.rcParams["font.size"] == size and matplotlib.rcParams["figure.dpi"] == 100
    assert ("presenter" in capsys.readouterr().out) == present
    helpers.runtime.set_figure_style(False)


def test_present_from_environment(monkeypatch):
    monkeypatch.setenv("INR_PRESENT", "1")
    helpers.setup(profile="quick", verbose=False)
    assert matplotlib.rcParams["font.size"] == 14
    helpers.runtime.set_figure_style(False)


def _slides_script():
    spec = importlib.util.spec_from_file_location("slides", ROOT / "scripts" / "slides.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_slide_rule_on_a_small_notebook():
    md = lambda s: {"cell_type": "markdown", "source": s}    # noqa: E731
    code = lambda s: {"cell_type": "code", "source": s}      # noqa: E731
    nb = {"cells": [md("# 99 · Title"), code("rt = H.setup()"), md("## Sizes per profile"), code("cfg = ..."),
                    md("## 1 · Idea"), md("prose"), code("H.show_images(...)"), md("### Detail"),
                    code("# Check: it learned\nassert psnr > 20"), md("## Exercises"), md("<details>...</details>"),
                    code("solution()"), md("## Summary")]}
    assert _slides_script().slide_types(nb) == ["slide", "fragment", "skip", "skip", "slide", "-", "fragment",
                                                "subslide", "skip", "skip", "skip", "skip", "slide"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_carries_the_slide_metadata_of_the_rule(path):
    """RISE presents what the metadata says; `make slides` writes it from scripts/slides.py's rule."""
    nb = json.loads(path.read_text())
    want = _slides_script().slide_types(nb)
    have = [c.get("metadata", {}).get("slideshow", {}).get("slide_type") for c in nb["cells"]]
    assert have == want, f"{path.name}: slide metadata differs from the rule; run `make slides`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_cell_has_a_unique_id(path):
    """nbformat 4.5 requires cell ids (a missing one is a validation warning now, an error in future nbformat)."""
    nb = json.loads(path.read_text())
    ids = [c.get("id") for c in nb["cells"]]
    assert (nb["nbformat"], nb["nbformat_minor"]) >= (4, 5) and all(ids) and len(set(ids)) == len(ids), \
        f"{path.name}: cells without an id or with a repeated one"
