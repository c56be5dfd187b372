# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOME_DIR ?= $(CURDIR)/.demo-home
STAMP  := $(VENV)/.installed

.PHONY: demo test install clean lint

$(BIN)/python:
	@echo "Creating the virtualenv $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Not --quiet: the first install downloads about a hundred packages, and pip shows its progress.
$(STAMP): $(BIN)/python pyproject.toml
	@echo "Installing policywatch and its dependencies into $(VENV) (the first time takes a few minutes)"
	$(BIN)/python -m pip install -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/policywatch demo --home $(HOME_DIR)

# ruff (lint and format) and the import contract of pyproject.toml: data flows one way.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test: lint
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m pytest -q -n auto

clean:
	rm -rf $(VENV) $(HOME_DIR) build *.egg-info
