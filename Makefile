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

.PHONY: all configure test demo bench fuzz fuzz-smoke clean distclean

all: configure
	cmake --build $(BUILD) -j $(JOBS)

configure:
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null

test: all
	@bash tests/run-suite.sh $(BUILD)

demo: all
	@bash scripts/demo.sh $(BUILD)

bench: all
	@bash bench/run.sh $(BUILD)

# libFuzzer targets (clang). fuzz-smoke is CI's short run; fuzz runs longer.
build-fuzz/bin/.built: $(wildcard lib/*.c include/mbmssec/*.h tests/fuzz/*.c)
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
