# Two commands on a fresh machine (README):
#   make reproduce   set up .venv and reproduce both papers into results/
#   make test        set up .venv and run the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
OUT    ?= results

.PHONY: venv reproduce test test-slow bench clean

$(BIN)/strongtherm: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/strongtherm

venv: $(BIN)/strongtherm

reproduce: venv
	$(BIN)/strongtherm reproduce all --out $(OUT)

test: venv
	$(BIN)/python -m pytest -q

# Long convergence studies in a reduced form (CI runs this too).
test-slow: venv
	STRONGTHERM_REDUCED=1 $(BIN)/python -m pytest -q -m slow || [ $$? -eq 5 ]  # 5: none selected

bench: venv
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
