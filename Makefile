# Daily-work wrapper around CMake. `make` builds into build/ (binaries in
# build/bin/); SANITIZE=1 builds with ASan+UBSan into build-asan/.
BUILD ?= build
CMAKE_FLAGS ?=
ifeq ($(SANITIZE),1)
BUILD := build-asan
CMAKE_FLAGS += -DMBMS_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
endif
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 600

.PHONY: all configure test demo bench install fuzz fuzz-smoke clean distclean

all: configure
	cmake --build $(BUILD) -j $(JOBS)

configure:
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null

test: all
	@bash tests/run-suite.sh $(BUILD)

demo: all
	@if [ -f scripts/demo.sh ]; then bash scripts/demo.sh $(BUILD); \
	else echo "make demo: the end-to-end demo (scripts/demo.sh) is not built yet" >&2; exit 1; fi

bench: all
	@if [ -f bench/run.sh ]; then bash bench/run.sh $(BUILD); \
	else echo "make bench: the benchmark suite (bench/run.sh) is not built yet" >&2; exit 1; fi

# Install programs, library, headers, pkg-config file, man pages, units:
# make install PREFIX=/usr/local [DESTDIR=...]
PREFIX ?= /usr/local
install: all
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

# libFuzzer targets (clang). fuzz-smoke is CI's short run; fuzz runs longer.
build-fuzz/bin/.built: $(wildcard lib/*.c include/mbmssec/*.h tests/fuzz/*.c common/ue_http_frame.[ch])
	cmake -S . -B build-fuzz -DMBMS_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build-fuzz -j $(JOBS)
	@touch $@

fuzz-smoke: build-fuzz/bin/.built
	@bash tests/fuzz/run.sh build-fuzz $${FUZZ_SMOKE_SECONDS:-60}

fuzz: build-fuzz/bin/.built
	@bash tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

clean:
	rm -rf build build-asan build-fuzz

distclean: clean
