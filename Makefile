# Two commands matter (see README): `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP_INSTALL := $(PY) -m pip install -q -c constraints.txt

.PHONY: setup sandbox demo test release samples benchmark clean

setup: $(VENV)/.installed sandbox

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -e ".[dev]"
	touch $@

# bubblewrap sandboxes the grading; installed where the machine allows (Debian, as root).
sandbox:
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get install -y -q bubblewrap >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q bubblewrap >/dev/null)); } || \
	  echo "WARNING: bubblewrap could not be installed: grading will run WITHOUT a sandbox"

demo: setup
	$(VENV)/bin/dgm-grade demo --cell-timeout 30

test: setup
	$(PY) -m pytest -n 2 --dist loadscope

release: setup
	$(VENV)/bin/dgm-grade release

samples: setup
	$(PY) -m tests.make_samples

benchmark: setup
	$(PIP_INSTALL) -e ".[dev,benchmark]"
	$(PY) -m benchmarks

clean:
	rm -rf autograder/submitted autograder/autograded autograder/feedback autograder/jobs \
	  autograder/reference autograder/gradebook.db autograder/grades*.csv
