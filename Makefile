# Two entry points (see README): `make demo` runs the main job, `make test` the whole suite.
# Both create .venv on first use with the versions pinned in constraints.txt.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SHARED_DATA ?= ../shared/data/medmnist

.PHONY: demo test bench baselines lint clean

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e ".[all,dev]"
	touch $@

demo: $(VENV)/.installed
	SHARED_DATA=$(SHARED_DATA) PATH="$(abspath $(VENV))/bin:$$PATH" bash scripts/demo.sh

test: $(VENV)/.installed
	$(PY) -m pytest -q

bench: $(VENV)/.installed
	$(PY) -m bench

baselines: $(VENV)/.installed
	SHARED_DATA=$(SHARED_DATA) PATH="$(abspath $(VENV))/bin:$$PATH" bash scripts/train_baselines.sh

lint: $(VENV)/.installed
	$(PY) -m ruff check src tests bench

clean:
	rm -rf $(VENV) out
