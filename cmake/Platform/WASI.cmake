# Platform description for CMAKE_SYSTEM_NAME WASI, which CMake 3.25 does not
# know: without it CMake warns that the system is unknown and gives executables
# no suffix. The toolchain file puts this directory on CMAKE_MODULE_PATH.
set(WASI 1)

# wasm32-wasi modules are single static programs: no shared libraries.
set_property(GLOBAL PROPERTY TARGET_SUPPORTS_SHARED_LIBS FALSE)
set(CMAKE_EXECUTABLE_SUFFIX ".wasm")
set(CMAKE_STATIC_LIBRARY_PREFIX "lib")
set(CMAKE_STATIC_LIBRARY_SUFFIX ".a")

# Relative to CMAKE_SYSROOT (/usr): where Debian's wasi-libc keeps the target's
# headers and libraries, so find_path / find_library look in the right place.
set(CMAKE_SYSTEM_INCLUDE_PATH /include/wasm32-wasi)
set(CMAKE_SYSTEM_LIBRARY_PATH /lib/wasm32-wasi)
