# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOME_DIR ?= $(CURDIR)/.demo-home
STAMP  := $(VENV)/.installed

.PHONY: demo test install clean lint

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/policywatch demo --home $(HOME_DIR)

test: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) $(HOME_DIR) build *.egg-info
