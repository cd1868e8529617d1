# obol: the two commands a user needs, and a few more. Each target installs what is
# missing (scripts/deps.sh), configures with CMake presets and builds.
#   make run       the main job: play the scenario library, write the report to reports/out/
#   make test      every test: the Cortex-M3 card image first (the hardware tests run it
#                  under QEMU), ctest in the default build and in the ASan+UBSan build,
#                  the APDU fuzzer for a bounded time
#   make bench     every benchmark, one `BENCH name value unit` line per figure
#   make firmware  the Cortex-M3 card image build-arm/obol-card.elf
#   make python    the Python module `obol` in build/python (python/README.md)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build build-asan run test test-default test-asan test-fuzz bench firmware python format clean

all: build

deps:
	@scripts/deps.sh build test bench firmware interop python

build: deps
	@cmake --preset default >/dev/null
	@cmake --build --preset default -j $(JOBS)

build-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)

run: build
	@./build/bin/obol run all

test: firmware test-default test-asan test-fuzz

test-default: build
	@echo "== ctest (default build)"
	@ctest --preset default -j $(JOBS)

test-asan: build-asan
	@echo "== ctest (AddressSanitizer + UndefinedBehaviorSanitizer build)"
	@ctest --preset asan -j $(JOBS)

test-fuzz: deps
	@echo "== libFuzzer on the APDU dispatcher (ASan + UBSan, bounded time)"
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)
	@ctest --preset fuzz

bench: build
	@bench/run.sh build

# The Python module build/python/obol*.so (python/README.md); `pip install .` in python/
# builds the same sources against the static libraries this leaves in build/lib.
python: deps
	@cmake --preset default >/dev/null
	@cmake --build --preset default -j $(JOBS) --target obol_python

firmware: deps
	@cmake --preset arm >/dev/null
	@cmake --build --preset arm -j $(JOBS)

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf build build-asan build-arm build-fuzz
