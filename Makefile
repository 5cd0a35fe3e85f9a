# gmpsim: `make run` sets up everything and runs the default example; `make test` runs the quick tier
# (which replays the fuzz corpus and regression inputs); `make fuzz` fuzzes for FUZZ_TIME seconds.
# Each target installs only what is missing (Debian packages via .ci/install-deps.sh, Python packages
# pinned in python/requirements-bench.txt into .venv), then configures and builds.
SHELL := /bin/bash
BUILD ?= build
SAN_BUILD ?= build-san
JOBS ?= $(shell nproc)
VENV ?= .venv
EXAMPLE ?= examples/default.yaml
CMAKE_FLAGS ?=

.PHONY: all deps build build-san run test test-quick test-san test-long bench bench-long venv clean
.PHONY: fuzz fuzz-build fuzz-merge
.PHONY: python test-python notebooks validate-go calibrate calibrate-static validate validate-bundle go1.19

all: build

deps:
	@bash .ci/install-deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

$(SAN_BUILD)/build.ninja: | deps
	cmake -S . -B $(SAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGMPSIM_SANITIZE=ON -DGMPSIM_CHECKS=ON $(CMAKE_FLAGS)

build-san: $(SAN_BUILD)/build.ninja
	cmake --build $(SAN_BUILD) -j $(JOBS) --target gmpsim_tests gmpsim

# The default example's capacity question: the highest request rate with p99 under 100 ms.
SLO ?= p99<100ms
run: build
	$(BUILD)/models/gmpsim capacity $(EXAMPLE) --slo "$(SLO)"

# Quick tier: Release tests, then the same tests under AddressSanitizer + UndefinedBehaviorSanitizer.
test: test-quick test-san test-python

test-quick: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-san: build-san
	cd $(SAN_BUILD) && ctest --output-on-failure -j $(JOBS)

# Coverage-guided fuzzing (models/fuzz/README.md): libFuzzer with Debian's clang, ASan and UBSan, over the
# scenario loader, --set, the workload compiler and short runs of every model. FUZZ_TIME seconds in all,
# split over FUZZ_TARGETS; new inputs collect in $(FUZZ_BUILD)/corpus (`make fuzz-merge` minimises them
# into models/fuzz/corpus, which `make test` replays with the regression inputs), findings in
# $(FUZZ_BUILD)/crashes. Per input: at most 10 s (-timeout) and 2 GiB (-rss_limit_mb), or it is a finding.
# Built at -O1 with line tables only (quick to compile; asserts and GMPSIM_CHECK invariants on).
FUZZ_BUILD ?= build-fuzz
FUZZ_TIME ?= 600
FUZZ_TARGETS ?= scenario set
FUZZ_FLAGS ?=
FUZZ_OPTIONS = -dict=models/fuzz/gmpsim.dict -timeout=10 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1
$(FUZZ_BUILD)/build.ninja:
	@bash .ci/install-deps.sh --fuzz
	CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" -DGMPSIM_SANITIZE=ON -DGMPSIM_CHECKS=ON \
	  -DGMPSIM_FUZZ=ON -DGMPSIM_BUILD_TESTS=OFF $(CMAKE_FLAGS)
fuzz-build: $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS) $(foreach t,$(FUZZ_TARGETS),--target gmpsim_fuzz_$(t))
	python3 models/fuzz/seeds.py $(FUZZ_BUILD)/seeds
fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/crashes/$$t; \
	  echo "fuzzing $$t for $$(( $(FUZZ_TIME) / $(words $(FUZZ_TARGETS)) )) s"; \
	  $(FUZZ_BUILD)/models/fuzz/gmpsim_fuzz_$$t $(FUZZ_OPTIONS) -max_total_time=$$(( $(FUZZ_TIME) / $(words $(FUZZ_TARGETS)) )) \
	    -artifact_prefix=$(FUZZ_BUILD)/crashes/$$t/ $(FUZZ_FLAGS) $(FUZZ_BUILD)/corpus/$$t models/fuzz/corpus/$$t \
	    models/fuzz/regressions/$$t $(FUZZ_BUILD)/seeds/$$t || \
	  { echo "finding in $(FUZZ_BUILD)/crashes/$$t/: fix it, then move the input into models/fuzz/regressions/$$t/"; exit 1; }; \
	done
# The committed corpus minimised afresh from itself and what `make fuzz` found (coverage kept, files fewer).
fuzz-merge: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  rm -rf $(FUZZ_BUILD)/merged/$$t && mkdir -p $(FUZZ_BUILD)/merged/$$t && \
	  $(FUZZ_BUILD)/models/fuzz/gmpsim_fuzz_$$t $(FUZZ_OPTIONS) -merge=1 $(FUZZ_BUILD)/merged/$$t models/fuzz/corpus/$$t \
	    $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/seeds/$$t && \
	  rm -rf models/fuzz/corpus/$$t && mv $(FUZZ_BUILD)/merged/$$t models/fuzz/corpus/$$t || exit 1; \
	done

# Long tier: larger samples and the checks too slow for every change, the soak (an hour of simulated
# time per model, run twice: memory flat after warm-up, the same fingerprint; validation/soak/README.md),
# then the real-Go comparison.
test-long: build
	$(BUILD)/gmpsim_tests "[long]"
	python3 validation/soak/soak.py --gmpsim $(BUILD)/models/gmpsim
	$(MAKE) validate-go

$(VENV)/.installed: python/requirements-bench.txt | deps
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -r python/requirements-bench.txt
	touch $@

venv: $(VENV)/.installed

# `make python` installs the gmpsim package (python/) into $(VENV) with the pinned build
# tools of python/requirements-dev.txt, rebuilding incrementally in $(PY_BUILD) when a source changes.
PY_BUILD ?= build-python
PY_SOURCES := CMakeLists.txt python/pyproject.toml $(shell find sim models python/CMakeLists.txt python/bindings python/gmpsim -type f \( -name '*.cpp' -o -name '*.h' -o -name '*.py' -o -name '*.pyi' -o -name 'CMakeLists.txt' \) 2>/dev/null)
$(VENV)/.python-deps: python/requirements-dev.txt | deps
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -r python/requirements-dev.txt
	touch $@
$(VENV)/.python-installed: $(VENV)/.python-deps $(PY_SOURCES)
	$(VENV)/bin/pip install -q --no-build-isolation --no-deps -C build-dir=$(abspath $(PY_BUILD)) ./python
	touch $@
python: $(VENV)/.python-installed
# mypy on the package's annotations, the extension's stub (python/gmpsim/_core.pyi) against the compiled
# module (mypy's stubtest), then the tests, with warnings as errors and the CLI of $(BUILD) for parity.
test-python: build python
	$(VENV)/bin/python -m mypy --config-file python/pyproject.toml python/gmpsim
	$(VENV)/bin/python -m mypy.stubtest gmpsim._core --mypy-config-file python/pyproject.toml \
	  --allowlist python/stubtest-allowlist.txt
	GMPSIM_CLI="$${GMPSIM_CLI:-$(abspath $(BUILD))/models/gmpsim}" $(VENV)/bin/python -m pytest python/tests -q

# The notebooks executed, with their figures, so a reader sees the plots without running anything:
# notebooks/executed/*.ipynb (GitHub and any Jupyter viewer show them) and notebooks/html/*.html (any
# browser, offline). `make test` runs the same notebooks (python/tests/test_notebooks.py) but keeps nothing.
NB_EXECUTED ?= notebooks/executed
NB_HTML ?= notebooks/html
notebooks: build python
	rm -rf $(NB_EXECUTED) $(NB_HTML)
	cd notebooks && ../$(VENV)/bin/jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=600 \
	  --output-dir ../$(NB_EXECUTED) *.ipynb
	$(VENV)/bin/jupyter nbconvert --to html --output-dir $(NB_HTML) $(NB_EXECUTED)/*.ipynb

# Debian's Go 1.19 beside the preinstalled Go 1.26, for the go1.19 profile (skipped when it cannot be installed).
go1.19:
	@dpkg-query -W -f='$${Status}' golang-1.19-go 2>/dev/null | grep -q 'install ok installed' || \
	  { [ "$$(id -u)" = 0 ] && apt-get install -y -qq golang-1.19-go; } || echo "golang-1.19-go missing: the go1.19 comparison is skipped"

# Real Go side by side with the go model (a report, not a test; needs the installed `go`).
validate-go: build go1.19
	python3 validation/go/compare.py --gmpsim $(BUILD)/models/gmpsim

# Calibration and validation (validation/README.md): calibrate this host for Boost.Fiber and each Go
# toolchain, run every case real and simulated, write validation/report.md and validation/results/, then
# draw the plots. About 40 minutes on a 2-vCPU VM left otherwise idle (other work disturbs the real runs);
# VALIDATE_FLAGS=--quick for a short run, --only CASE for one case.
VALIDATE_FLAGS ?=
VALIDATE_OUT ?= validation
validate: build python go1.19
	$(BUILD)/models/gmpsim validate --out $(VALIDATE_OUT) $(VALIDATE_FLAGS)
	$(VENV)/bin/python -m gmpsim.validation $(VALIDATE_OUT)

# Host calibration (validation/calibrate/README.md): measure this machine and write its profile.
# CALIBRATE_FLAGS=--quick for the short run.
CALIBRATE_OUT ?= calibration/host.yaml
CALIBRATE_FLAGS ?=
calibrate: build
	$(BUILD)/models/gmpsim calibrate --out $(CALIBRATE_OUT) $(CALIBRATE_FLAGS)

# The harness and the Boost.Fiber runner as static x86-64 files, to copy to another machine and run there
# alone:   ./gmpsim-calibrate --out host.yaml   ./gmpsim-fiberrun SCENARIO --out real.json
STATIC_BUILD ?= build-static
calibrate-static: | deps
	cmake -S . -B $(STATIC_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DGMPSIM_STATIC=ON -DGMPSIM_BUILD_TESTS=OFF $(CMAKE_FLAGS)
	cmake --build $(STATIC_BUILD) -j $(JOBS) --target gmpsim-calibrate gmpsim-fiberrun
	@echo "static harness: $(STATIC_BUILD)/validation/calibrate/gmpsim-calibrate"
	@echo "static runner:  $(STATIC_BUILD)/validation/fiberrun/gmpsim-fiberrun"

# Everything `gmpsim validate --real-only` needs on another x86-64 Linux host, as one archive: static
# gmpsim, gmpsim-calibrate and gmpsim-fiberrun, the case manifests, scenarios and the Go probes' sources
# (that host builds them with its own Go). validation/README.md, "Validating another host".
BUNDLE := $(STATIC_BUILD)/gmpsim-validate-bundle.tar.gz
validate-bundle: | deps
	cmake -S . -B $(STATIC_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DGMPSIM_STATIC=ON -DGMPSIM_BUILD_TESTS=OFF $(CMAKE_FLAGS)
	cmake --build $(STATIC_BUILD) -j $(JOBS) --target gmpsim gmpsim-calibrate gmpsim-fiberrun
	rm -rf $(STATIC_BUILD)/gmpsim-validate && mkdir -p $(STATIC_BUILD)/gmpsim-validate/validation
	cp $(STATIC_BUILD)/models/gmpsim $(STATIC_BUILD)/validation/calibrate/gmpsim-calibrate \
	  $(STATIC_BUILD)/validation/fiberrun/gmpsim-fiberrun $(STATIC_BUILD)/gmpsim-validate/
	cp -r validation/scenarios validation/go validation/supplied $(STATIC_BUILD)/gmpsim-validate/validation/
	tar czf $(BUNDLE) -C $(STATIC_BUILD) gmpsim-validate
	@echo "bundle: $(BUNDLE) (on the other host: tar xzf it; cd gmpsim-validate; ./gmpsim validate --real-only --out run)"

# The speed figures of issue 18, each against its goal: the event queue, the go model's big-machine
# real-time factor (validation/bench/gomodel.py), the million-goroutine program against real Go
# (million.py). `make bench-long` (or `make bench LONG=1`) adds 100M parked goroutines (parked.py:
# minutes, ~8 GB of RAM).
LONG ?=
bench: build venv
	$(BUILD)/sim/gmpsim_bench_engine
	$(BUILD)/models/gmpsim_bench_fifo --simpy "$(VENV)/bin/python validation/bench/simpy_mmc.py"
	python3 validation/bench/gomodel.py --gmpsim $(BUILD)/models/gmpsim
	python3 validation/bench/million.py --gmpsim $(BUILD)/models/gmpsim
	$(if $(LONG),python3 validation/bench/parked.py --gmpsim $(BUILD)/models/gmpsim)

bench-long:
	$(MAKE) bench LONG=1

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(STATIC_BUILD)
	rm -rf $(PY_BUILD)
