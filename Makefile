# Advieszoeker: `make run` sets everything up and starts the app on the seeds;
# `make test` sets up and runs the tests. Everything built lands in ignored
# folders: .venv/ and data/ (override with ADVIESZOEKER_DATA).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH := torch==2.13.0

.PHONY: setup index run serve test test-fast bench lint browser ocr lock clean

setup: $(STAMP) ocr

# torch first, pinned to the CPU build on this machine's disk; then the project
# under the constraints file so every install resolves to the same versions.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,milvus]'
	touch $@

index: setup
	$(BIN)/advieszoeker index seeds

run: index
	$(BIN)/advieszoeker serve

serve: setup
	$(BIN)/advieszoeker serve

# Headless Chromium from Debian for the browser tests (Playwright's own
# browser download cannot work on this network), and axe-core from npm, the
# accessibility engine those tests run, into the ignored .axe/ folder.
AXE := 4.14.1
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@grep -qs '"version": "$(AXE)"' .axe/node_modules/axe-core/package.json || { \
	  echo "Installing axe-core $(AXE) from npm into .axe/ for the accessibility tests..."; \
	  npm install --prefix .axe --no-save --no-audit --no-fund --loglevel=error axe-core@$(AXE) >/dev/null; }

# Tesseract with its Dutch data for scanned PDF pages, and poppler's tools
# (pdftotext is the benchmark's reference reading; pdftoppm renders pages).
ocr:
	@{ command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx nld \
	  && command -v pdftotext >/dev/null 2>&1; } || { \
	  echo "Installing Debian's tesseract-ocr, tesseract-ocr-nld and poppler-utils for OCR..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    tesseract-ocr tesseract-ocr-nld poppler-utils >/dev/null; }

test: setup browser
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not e2e and not browser"

bench: setup browser
	$(BIN)/python -m bench

lint: setup
	$(BIN)/ruff check ingest index app tests bench
	$(BIN)/ruff format --check ingest index app tests bench

# Regenerate the constraints file from the current environment.
lock: setup
	$(BIN)/pip freeze --exclude-editable | grep -v '^advieszoeker' > constraints.txt

clean:
	rm -rf $(VENV) data
