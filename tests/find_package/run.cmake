# Installs a built wasmheap into a fresh prefix, then configures, builds and
# tests the consumer project in this directory against that prefix alone.
#
#   cmake -DWASMHEAP_BUILD_DIR=... -DWORK_DIR=... -DGENERATOR=...
#         [-DBUILD_TYPE=...] [-DTOOLCHAIN_FILE=...] [-DCXX_COMPILER=...]
#         [-DCXX_FLAGS=...] -P run.cmake
#
# CXX_FLAGS carries flags the library was built with that its users must
# match, such as the sanitizers, whose runtime the consumer has to link.

foreach(var WASMHEAP_BUILD_DIR WORK_DIR GENERATOR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run.cmake needs -D${var}=...")
  endif()
endforeach()

# A fresh directory for each run: a stale prefix could hide a file the install
# no longer provides, and two test runs over the same build tree (two ctest
# invocations at once) must not share one. It is removed after a pass and
# kept after a failure, for a look.
string(RANDOM LENGTH 8 run_id)
set(run_dir ${WORK_DIR}/run-${run_id})
set(prefix ${run_dir}/prefix)
set(consumer_build ${run_dir}/build)
file(REMOVE_RECURSE ${run_dir})

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    list(JOIN ARGN " " command)
    message(FATAL_ERROR "failed (${status}): ${command}")
  endif()
endfunction()

set(install_args --install ${WASMHEAP_BUILD_DIR} --prefix ${prefix})
if(BUILD_TYPE)
  list(APPEND install_args --config ${BUILD_TYPE})
endif()
run(${CMAKE_COMMAND} ${install_args})

foreach(file
    include/wasmheap/heap.hpp
    lib/libwasmheap.a
    lib/cmake/wasmheap/wasmheapConfig.cmake
    lib/cmake/wasmheap/wasmheapConfigVersion.cmake
    lib/cmake/wasmheap/wasmheapTargets.cmake)
  if(NOT EXISTS ${prefix}/${file})
    message(FATAL_ERROR "the install did not provide ${file}")
  endif()
endforeach()

set(configure_args -S ${CMAKE_CURRENT_LIST_DIR} -B ${consumer_build} -G ${GENERATOR}
  -DCMAKE_PREFIX_PATH=${prefix})
if(BUILD_TYPE)
  list(APPEND configure_args -DCMAKE_BUILD_TYPE=${BUILD_TYPE})
endif()
if(TOOLCHAIN_FILE)
  list(APPEND configure_args -DCMAKE_TOOLCHAIN_FILE=${TOOLCHAIN_FILE})
else()
  list(APPEND configure_args -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
endif()
if(CXX_FLAGS)
  list(APPEND configure_args "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${CXX_FLAGS}")
endif()
run(${CMAKE_COMMAND} ${configure_args})
run(${CMAKE_COMMAND} --build ${consumer_build})
run(${CMAKE_CTEST_COMMAND} --test-dir ${consumer_build} --output-on-failure)
file(REMOVE_RECURSE ${run_dir})
