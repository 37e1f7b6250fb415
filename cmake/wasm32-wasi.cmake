# Cross-compiles for wasm32-wasi with clang-19 against Debian's packages:
#   wasi-libc              /usr/include/wasm32-wasi, /usr/lib/wasm32-wasi
#   libc++-19-dev-wasm32   /usr/include/wasm32-wasi/c++/v1, libc++.a beside libc.a
#   libclang-rt-19-dev-wasm32   clang's builtins for wasm32
#   lld-19                 wasm-ld-19
# clang finds all of these from --sysroot=/usr and the target triple. Programs
# run under Node's WASI (tests/node/run_wasi.mjs), so ctest and
# gtest_discover_tests can execute the .wasm files as if they were native.

set(CMAKE_SYSTEM_NAME WASI)
set(CMAKE_SYSTEM_VERSION 1)
set(CMAKE_SYSTEM_PROCESSOR wasm32)

# Platform/WASI.cmake lives next to this file.
list(APPEND CMAKE_MODULE_PATH "${CMAKE_CURRENT_LIST_DIR}")

set(CMAKE_C_COMPILER clang-19)
set(CMAKE_CXX_COMPILER clang++-19)
set(CMAKE_C_COMPILER_TARGET wasm32-wasi)
set(CMAKE_CXX_COMPILER_TARGET wasm32-wasi)
set(CMAKE_SYSROOT /usr)

# GNU ar writes no symbol index for wasm objects, and wasm-ld refuses archives
# without one; LLVM's archiver understands them.
find_program(CMAKE_AR NAMES llvm-ar-19 REQUIRED NO_CMAKE_FIND_ROOT_PATH)
find_program(CMAKE_RANLIB NAMES llvm-ranlib-19 REQUIRED NO_CMAKE_FIND_ROOT_PATH)

# /usr/bin/wasm-ld may belong to an older LLVM (Debian keeps several); link
# with the one that matches the compiler.
find_program(WASMHEAP_WASM_LD NAMES wasm-ld-19 REQUIRED NO_CMAKE_FIND_ROOT_PATH)
set(CMAKE_LINKER "${WASMHEAP_WASM_LD}")

# Debian's libc++ and libc++abi for wasm32-wasi are built without exception
# support, so everything linked with them must be too.
set(CMAKE_CXX_FLAGS_INIT "-fno-exceptions")
# Let programs grow memory to wasm32's full 4 GiB: the allocator's tests grow
# far beyond wasm-ld's default, and memory is never given back.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-ld=${WASMHEAP_WASM_LD} -Wl,--max-memory=4294967296")

# Target headers and libraries come from the sysroot only, never the host's;
# tools run on the host. Packages are searched both ways: the sysroot is the
# host's own /usr, so wasm builds of other projects are installed in prefixes
# of their own (CMAKE_PREFIX_PATH), which must not be re-rooted under /usr.
# A package whose version file records the pointer size (as wasmheap's does)
# is not taken from a 64-bit host build by mistake.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# Run .wasm programs (tests, test discovery) with Node's WASI. --no-warnings
# keeps the "WASI is experimental" notice out of their output, which
# gtest_discover_tests parses. --no-turbo-fast-api-calls avoids a Node bug that
# crashes WASI programs at random (see tests/node/run_wasi.mjs).
find_program(WASMHEAP_NODE NAMES node nodejs REQUIRED NO_CMAKE_FIND_ROOT_PATH)
get_filename_component(_wasmheap_runner "${CMAKE_CURRENT_LIST_DIR}/../tests/node/run_wasi.mjs" ABSOLUTE)
set(CMAKE_CROSSCOMPILING_EMULATOR
  "${WASMHEAP_NODE};--no-warnings;--no-turbo-fast-api-calls;${_wasmheap_runner}")
unset(_wasmheap_runner)
