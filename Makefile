# Two commands on a fresh machine (README):
#   make reproduce   set up .venv and reproduce both papers into results/
#   make test        set up .venv and run the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
OUT    ?= results

.PHONY: venv reproduce test typecheck test-slow bench docs clean

$(BIN)/strongtherm: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/strongtherm

venv: $(BIN)/strongtherm

# results/ belongs to this target (`make clean` removes it too): start from an empty one, since
# `strongtherm reproduce` refuses a non-empty --out
reproduce: venv
	rm -rf $(OUT)
	$(BIN)/strongtherm reproduce all --out $(OUT)

test: venv
	$(BIN)/python -m pytest -q

# The typed check of the whole package (strict flags on the core; configuration in pyproject.toml).
typecheck: venv
	$(BIN)/python -m mypy

# Long convergence studies in a reduced form (CI runs this too).
test-slow: venv
	STRONGTHERM_REDUCED=1 $(BIN)/python -m pytest -q -m slow || [ $$? -eq 5 ]  # 5: none selected

bench: venv
	$(BIN)/python benchmarks/run_all.py

# The documentation (docs/_build/html): the docs extra, both reproductions into the gallery,
# then Sphinx with warnings as errors. About 15 s after the set-up.
$(VENV)/.docs-installed: pyproject.toml $(BIN)/strongtherm
	$(BIN)/pip install --quiet -e '.[docs]'
	touch $@

# (reproduce refuses a non-empty folder, so its log goes beside the gallery, not into it)
docs: $(VENV)/.docs-installed
	rm -rf docs/_static/gallery && mkdir -p docs/_build
	$(BIN)/strongtherm reproduce all --quiet --out docs/_static/gallery > docs/_build/reproduce.log \
		|| { cat docs/_build/reproduce.log; exit 1; }
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html
	@# the equations render offline: MathJax comes from the site itself, never from a CDN
	grep -q '_static/mathjax/tex-chtml.js' docs/_build/html/conventions.html
	! grep -l 'cdn.jsdelivr.net' docs/_build/html/*.html

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache docs/_build docs/_static/gallery
