# promptlab — two commands: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
# What `make run` installs. GPU users: make run EXTRAS=all-gpu (onnxruntime-gpu instead of onnxruntime).
EXTRAS ?= all

.PHONY: run test browser clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

$(VENV)/.installed-$(EXTRAS): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[$(EXTRAS)]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[dev]'
	touch $@

run: $(VENV)/.installed-$(EXTRAS)
	$(BIN)/promptlab app --host 127.0.0.1 --port $(PORT)   # file watcher off: see promptlab/cli/app_cmds.py

# Debian's Chromium for the real-browser test (Playwright cannot download its own browser here).
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk fonts-noto-color-emoji >/dev/null; \
	else echo "note: chromium not found and cannot be installed without root; the browser tests will skip"; fi

test: $(VENV)/.installed-dev browser
	$(BIN)/python -m pytest

clean-venv:
	rm -rf $(VENV)
