# The two commands of the README:
#   make bench   builds wasmheap for wasm, runs the example programs under Node,
#                then runs the benchmark suite (quick matrix, Node and Chromium)
#   make test    runs every test: host, ASan+UBSan (with a bounded fuzz run),
#                the checked build, ThreadSanitizer, wasm32-wasi under Node, and
#                the benchmark report's rendering check
.PHONY: setup bench examples test test-host test-asan test-checked test-tsan test-wasm test-report clean

JOBS ?= 2
NODE_WASI = node --no-warnings tests/node/run_wasi.mjs

setup:
	@scripts/setup.sh

examples: setup
	cmake --preset wasm32-wasi
	cmake --build --preset wasm32-wasi -j $(JOBS) --target hello_c hello_cxx
	$(NODE_WASI) build/wasm32-wasi/examples/hello_c.wasm
	$(NODE_WASI) build/wasm32-wasi/examples/hello_cxx.wasm

bench: examples
	bench/run.sh

test: setup test-host test-asan test-checked test-tsan test-wasm test-report

# Configure, build and test one CMake preset.
define preset
	cmake --preset $(1)
	cmake --build --preset $(1) -j $(JOBS)
	ctest --preset $(1) -j $(JOBS)
endef

test-host: setup
	$(call preset,host)
test-asan: setup
	$(call preset,host-asan)
test-checked: setup
	$(call preset,host-checked)
test-tsan: setup
	$(call preset,host-tsan)
test-wasm: setup
	$(call preset,wasm32-wasi)

test-report: setup
	node bench/test_report.mjs

clean:
	rm -rf build bench/build
