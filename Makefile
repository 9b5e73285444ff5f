# Two commands do all set-up: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
RUN_STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
QUESTION ?= How much funding did HM Treasury approve for the clusters?

.PHONY: run test ingest ui ask bench eval checks fit browser-deps ocr-deps clean help

help:
	@echo "make run    - set up, ingest corpus/, start the chat UI at http://localhost:8501"
	@echo "make test   - set up with test extras, run the whole test suite"
	@echo "make eval   - run the tuning (and tuning-extra), validation and sealed sets against ours and the baseline"
	@echo "make checks - run the long-report and table checks (evals/checks/*), each on the library plus its reports"
	@echo "make fit    - refit assistant/answer/params.json on the tuning set (prints validation scores)"
	@echo "make bench  - run the benchmarks (see benchmarks/README.md)"

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# `make run` installs what the product needs; `make test` adds the test extras.
$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	touch $(RUN_STAMP)

$(TEST_STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(TEST_STAMP) $(RUN_STAMP)

ingest: $(RUN_STAMP)
	$(VENV)/bin/audit-assistant ingest corpus/

run: ingest
	$(VENV)/bin/audit-assistant ask "$(QUESTION)"
	$(VENV)/bin/audit-assistant ui

ask: ingest
	$(VENV)/bin/audit-assistant ask "$(QUESTION)"

ui: ingest
	$(VENV)/bin/audit-assistant ui

# The browser tests need Debian's chromium and chromedriver, and the PDF rendering of a check (evals/render_pdf.py)
# the DejaVu fonts; install them when missing.
browser-deps:
	@command -v chromium >/dev/null 2>&1 && test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-dejavu-core >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-dejavu-core >/dev/null; fi; }

# The OCR tests (scanned PDFs, `ingest --ocr`) need Debian's ocrmypdf and tesseract; install them when missing.
ocr-deps:
	@command -v ocrmypdf >/dev/null 2>&1 && command -v tesseract >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ocrmypdf tesseract-ocr tesseract-ocr-eng >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ocrmypdf tesseract-ocr tesseract-ocr-eng >/dev/null; fi; }

test: $(TEST_STAMP) browser-deps ocr-deps
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q

LIBRARY := corpus/ evals/library/tuning evals/library/validation evals/library/sealed

eval: $(RUN_STAMP)
	$(VENV)/bin/audit-assistant ingest $(LIBRARY) --store out/library-store --no-progress
	for set in tuning tuning-extra validation sealed; do \
	  $(VENV)/bin/audit-assistant eval evals/sets/$$set --store out/library-store --baseline $(patsubst %,--corpus %,$(LIBRARY)) --out out/eval-$$set --quiet || exit 1; \
	done

# The long-report and table checks: each asks its questions of the library plus its own reports. The tuning checks
# share one store, as the README's quality table measures them; each held-out pair gets a store of its own.
CHECKS_SHARED := long tables long4 long5
CHECKS_APART := long2 long3 long6

checks: $(RUN_STAMP)
	$(VENV)/bin/audit-assistant ingest $(LIBRARY) $(patsubst %,evals/checks/%,$(CHECKS_SHARED)) --store out/checks-store --no-progress
	for c in $(CHECKS_SHARED); do \
	  $(VENV)/bin/audit-assistant eval evals/checks/$$c/questions.jsonl --store out/checks-store --out out/check-$$c --quiet || exit 1; \
	done
	for c in $(CHECKS_APART); do \
	  $(VENV)/bin/audit-assistant ingest $(LIBRARY) evals/checks/$$c --store out/checks-store-$$c --no-progress && \
	  $(VENV)/bin/audit-assistant eval evals/checks/$$c/questions.jsonl --store out/checks-store-$$c --out out/check-$$c --quiet || exit 1; \
	done

fit: $(RUN_STAMP)
	$(VENV)/bin/audit-assistant ingest $(LIBRARY) --store out/library-store --no-progress
	$(PY) -m evals.fit --store out/library-store

bench: $(TEST_STAMP)
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) .audit-assistant out .pytest_cache
