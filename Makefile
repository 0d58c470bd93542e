# Two commands matter (see README): `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# TORCH_INDEX: a second package index for torch, e.g. make setup TORCH_INDEX=https://download.pytorch.org/whl/cpu
# (on Linux PyPI's torch pulls the multi-GB CUDA libraries; that index has the CPU build). Unset: PyPI only.
TORCH_INDEX ?=
PIP_INSTALL := $(PY) -m pip install -q -c constraints.txt $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX))

.PHONY: setup sandbox browser demo test release samples bundle docs benchmark clean

setup: $(VENV)/.installed sandbox browser

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -e ".[dev]"
	touch $@

# bubblewrap sandboxes the grading; installed where the machine allows (Debian, as root).
sandbox:
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get install -y -q bubblewrap >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q bubblewrap >/dev/null)); } || \
	  echo "WARNING: bubblewrap could not be installed: grading will run WITHOUT a sandbox"

# Debian's Chromium for the browser tests (Playwright drives it; its own browser download is not used).
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q chromium chromium-driver >/dev/null)); } || \
	  echo "WARNING: chromium could not be installed: the browser tests will be skipped"

demo: setup
	$(VENV)/bin/dgm-grade demo --cell-timeout 30

# Tests start in the order tests/conftest.py sorts them (the longest first, so both workers end together; xdist's
# reordering by group size would start them later); tests sharing a module's costly fixture form an xdist_group.
# Then nbval runs every solutions notebook and every sample full-marks submission top to bottom in fast mode
# (--dist loadscope keeps a notebook's cells on one worker; loadgroup would split them), its kernels on Unix sockets
# (tests/nbval_kernels.py: two workers starting TCP kernels at once can race for a port).
NBVAL_NOTEBOOKS := solutions $(wildcard autograder/samples/*/full_marks.ipynb)
test: setup
	$(PY) -m pytest -n 2 --dist loadgroup --no-loadscope-reorder --durations=25
	DGM_FAST=1 $(PY) -m pytest -p tests.nbval_kernels -n 2 --dist loadscope --nbval-lax $(NBVAL_NOTEBOOKS)

release: setup
	$(VENV)/bin/dgm-grade release

samples: setup
	$(PY) -m tests.make_samples

# The students' bundle: dist/dgm-course/ and dist/dgm-course.zip (checked: no solution, no hidden test).
bundle: setup
	$(PY) -m autograder.bundle --zip

# docs/api.md from the docstrings of dgm_utils (a test checks it is current).
docs: setup
	$(PY) -m autograder.apidoc

benchmark: setup
	$(PIP_INSTALL) -e ".[dev,benchmark]"
	$(PY) -m benchmarks

# The automatic mutation score of the hidden tests (see tests/mutation_score.py); slow: it grades every mutant.
.PHONY: mutation-score
mutation-score: setup
	$(PY) -m tests.mutation_score --cap $(or $(CAP),6) $(ASSIGNMENTS)

clean:
	rm -rf autograder/submitted autograder/autograded autograder/feedback autograder/jobs \
	  autograder/reference autograder/gradebook.db autograder/grades*.csv

# The course hub (deploy/jupyterhub, docs/jupyterhub.md). configurable-http-proxy from the npm registry,
# into a git-ignored folder; `make hub` (root, Linux) creates trial accounts and runs the hub on 127.0.0.1:8000.
CHP_VERSION := 5.3.0
CHP := deploy/jupyterhub/.work/proxy/node_modules/.bin/configurable-http-proxy
.PHONY: proxy hub
proxy: $(CHP)
$(CHP):
	npm install --silent --no-audit --no-fund --prefix deploy/jupyterhub/.work/proxy configurable-http-proxy@$(CHP_VERSION)

hub: setup proxy
	$(PY) deploy/jupyterhub/trial.py
