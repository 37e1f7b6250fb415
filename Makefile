# The two commands of the README:
#   make bench   builds wasmheap and shows it working and measured
#   make test    runs every test
.PHONY: setup bench test test-host test-asan clean

JOBS ?= $(shell nproc)

setup:
	@scripts/setup.sh

bench: setup
	cmake --preset host
	cmake --build --preset host -j $(JOBS)
	build/host/examples/heap_demo

test: setup test-host test-asan

test-host:
	cmake --preset host
	cmake --build --preset host -j $(JOBS)
	ctest --preset host -j $(JOBS)

test-asan:
	cmake --preset host-asan
	cmake --build --preset host-asan -j $(JOBS)
	ctest --preset host-asan -j $(JOBS)

clean:
	rm -rf build
