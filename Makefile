# channelsim — the two set-up commands (see README.md):
#   make demo   create .venv, install channelsim, run the main job on a gallery scenario
#   make test   install the test extras and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= scenarios/workshop_intro.yaml
OUT    ?= runs/demo
# pytest-xdist workers for `make test` (0: one process); each test file runs on one worker
TEST_WORKERS ?= 2

.PHONY: demo test lint bench clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,dask]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/channelsim validate scenarios/*.yaml
	$(BIN)/channelsim simulate $(DEMO) --out $(OUT) --jobs 2
	$(BIN)/channelsim optimize $(DEMO) --validate --out $(OUT)/plan
	@echo "open $(OUT)/report.html (simulation) and $(OUT)/plan/ (plan.json, allocation.csv)"

# Headless Chromium for tests/test_app_browser.py: Debian's package (the test never downloads
# a browser). Installed only when missing, as root or through sudo; otherwise the test is skipped.
# apt's output goes to $(APT_LOG); one line says what is installed and why.
CHROMIUM ?= /usr/bin/chromium
APT_LOG ?= $(VENV)/apt-chromium.log
APT_INSTALL = apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
browser: | $(BIN)/python
	@if [ -x $(CHROMIUM) ]; then :; \
	else \
		if [ "$$(id -u)" = 0 ]; then run=""; \
		elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then run="sudo"; \
		else echo "make browser: $(CHROMIUM) is missing and installing it needs root; the browser test will be skipped"; exit 0; fi; \
		echo "make browser: installing Debian's chromium and chromium-driver with apt-get, for the workshop app's browser test (tests/test_app_browser.py); apt's output: $(APT_LOG)"; \
		if $$run sh -c '$(APT_INSTALL)' >$(APT_LOG) 2>&1; then :; \
		else echo "make browser: apt-get failed (see $(APT_LOG)); the browser test will be skipped"; fi; \
	fi

test: $(VENV)/.installed-dev browser
	$(BIN)/python -m ruff check src tests bench
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

lint: $(VENV)/.installed-dev
	$(BIN)/python -m ruff check src tests bench
	$(BIN)/python -m ruff format --check src tests bench

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache .mypy_cache
