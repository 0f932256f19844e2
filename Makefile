# ketch: every set-up step lives here. `make demo` and `make test` work on a
# fresh clone; both share one build profile (see ../shared/TOOLCHAIN.md).

PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
# A fixed target directory outside the clone: a machine that built once
# rebuilds only the workspace crates.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/ketch/target
export CARGO_INCREMENTAL ?= 0
# pyo3's build looks at this interpreter; keep it identical for every target.
export PYO3_PYTHON := $(abspath $(PY))
SF          ?= 0.1
DATA        := data/tpch-sf$(SF)

.PHONY: all venv develop build demo test test-rust test-python conformance chromium azurite nginx lint fmt bench bench-memory bench-observe bench-wheel bench-udf bench-images

all: test

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.deps: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --group dev
	touch $@

venv: $(VENV)/.deps

# The shared development profile (dependencies at opt-level 1): used by test and demo.
develop: venv
	$(VENV)/bin/maturin develop --quiet --profile dev --locked

# An optimized (release) build of the extension into the venv, for benchmarks and wheels.
build: venv
	$(VENV)/bin/maturin develop --quiet --release --locked

$(DATA)/.done: | venv
	$(PY) examples/gen_tpch.py --scale-factor $(SF) --output $(DATA)
	touch $@

demo: develop $(DATA)/.done
	$(PY) examples/tpch.py --data $(DATA)
	$(PY) examples/images.py --data data/images --out data/images-out

test-rust:
	cargo test --locked --workspace --exclude ketch-python

# Headless Chromium renders DataFrame HTML previews in tests/test_multimodal_html.py.
chromium:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium)

# Azurite (Microsoft's Azure Storage emulator, npm) serves az:// in tests/test_storage.py.
AZURITE     := $(HOME)/.cache/ketch/azurite/node_modules/.bin/azurite-blob
$(AZURITE):
	npm install --silent --no-audit --no-fund --prefix $(HOME)/.cache/ketch/azurite azurite@3.37.0
azurite: $(AZURITE)

# The tests, and the `>>>` examples in the package's docstrings.
test-python: develop chromium azurite
	$(PY) -m pytest -q tests
	$(PY) -m pytest -q --doctest-modules python/ketch

# Daft's own tests (../shared/daft-tests, tag v0.7.24) with `daft` resolving to
# ketch (conformance/shim.py); conformance/expected_failures.txt lists, with a
# reason, each test ketch is expected to fail. A listed test that passes, an
# unlisted failure or a stale entry fails the run (conformance/plugin.py).
DAFT_TESTS  ?= $(abspath ../shared/daft-tests)
CONFORMANCE_DIRS := dataframe sql window expressions functions series udf io catalog cookbook recordbatch
conformance: develop
	cd $(DAFT_TESTS) && DAFT_RUNNER=native DAFT_PROGRESS_BAR=0 PYTHONDONTWRITEBYTECODE=1 \
		PYTHONPATH=$(CURDIR)/conformance $(abspath $(PY)) -m pytest -p shim -p plugin -p no:cacheprovider \
		-q --timeout=300 --continue-on-collection-errors --tb=short -p no:warnings \
		$(addprefix tests/,$(CONFORMANCE_DIRS))

test: test-rust test-python conformance

lint: venv
	cargo fmt --all --check
	cargo clippy --locked --workspace --all-targets -- -D warnings
	$(VENV)/bin/ruff check python tests examples benchmarks conformance
	$(VENV)/bin/ruff format --check python tests examples benchmarks conformance

fmt: venv
	cargo fmt --all
	$(VENV)/bin/ruff format python tests examples benchmarks conformance
	$(VENV)/bin/ruff check --fix python tests examples benchmarks conformance

# TPC-H side by side (benchmarks/tpch/run.py): a release build of ketch and the
# peers (daft 0.7.26, DuckDB, Polars, datafusion) in their own venv.
# `make bench` runs SF 1; `make bench SF=10 QUERIES=1,3` narrows it.
BENCH_VENV  := .venv-bench
BENCH_SF    := $(if $(filter command line,$(origin SF)),$(SF),1)
QUERIES     ?= 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22
RUNS        ?= 5
WHEELS      := $(HOME)/.cache/ketch/wheels

$(BENCH_VENV)/.deps: pyproject.toml
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet --group bench
	touch $@

# The wheel is built with the bench venv's interpreter (the dev venv may not exist).
bench-wheel: export PYO3_PYTHON := $(abspath $(BENCH_VENV)/bin/python)
bench-wheel: $(BENCH_VENV)/.deps
	rm -f $(WHEELS)/ketch-*.whl
	$(BENCH_VENV)/bin/maturin build --quiet --release --locked -o $(WHEELS)
	$(BENCH_VENV)/bin/python -m pip install --quiet --force-reinstall --no-deps $(WHEELS)/ketch-*.whl

bench: bench-wheel
	$(BENCH_VENV)/bin/python benchmarks/tpch/run.py --sf $(BENCH_SF) --queries $(QUERIES) --runs $(RUNS)

# TPC-H SF 10 under a memory limit: ketch (DataFrame and SQL) and DuckDB limited
# to MEMORY_LIMIT, Daft 0.7.26 as it is (it has no limit); time and peak RSS per query.
MEMORY_SF    := $(if $(filter command line,$(origin SF)),$(SF),10)
MEMORY_LIMIT ?= 4GiB
MEMORY_RUNS  ?= 1
bench-memory: bench-wheel
	$(BENCH_VENV)/bin/python benchmarks/tpch/run.py --sf $(MEMORY_SF) --queries $(QUERIES) --runs $(MEMORY_RUNS) \
		--memory-limit $(MEMORY_LIMIT) --engines ketch,ketch-sql,daft,duckdb

# What watching a query costs: TPC-H with progress bars on (ketch-progress),
# and with them, the dashboard's subscriber and the event log (ketch-observed),
# beside ketch as it is.
bench-observe: bench-wheel
	$(BENCH_VENV)/bin/python benchmarks/tpch/run.py --sf $(BENCH_SF) --queries $(QUERIES) --runs $(RUNS) \
		--engines ketch,ketch-progress,ketch-observed,duckdb

# Image decode/resize and download throughput side by side with Daft (benchmarks/images/run.py).
# nginx serves the HTTP download case with little CPU of its own (Debian's nginx-light).
nginx:
	command -v nginx >/dev/null || test -x /usr/sbin/nginx || (apt-get update -qq && apt-get install -y -qq --no-install-recommends nginx-light)

bench-images: bench-wheel nginx
	$(BENCH_VENV)/bin/python benchmarks/images/run.py --runs $(RUNS)

# Python UDF throughput side by side with Daft (benchmarks/udf/run.py), on the same release build.
bench-udf: bench-wheel
	$(BENCH_VENV)/bin/python benchmarks/udf/run.py --runs $(RUNS)
