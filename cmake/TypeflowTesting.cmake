# Turns typeflow's test and example folders into targets and CTest tests.
# Every helper globs with CONFIGURE_DEPENDS, so a new file is picked up by the
# next build, and none fails on a folder that is empty or does not exist yet.
#
#   typeflow_add_unit_tests([DIRECTORY <dir>] [LIBRARIES <lib>...])
#   typeflow_add_compile_fail_tests([DIRECTORY <dir>] [TARGET <target>])
#   typeflow_add_header_tests([DIRECTORY <include-dir>] [TARGET <target>])
#   typeflow_add_examples([DIRECTORY <dir>] [LIBRARIES <lib>...])
#   typeflow_add_example_test(<name> <target> [ARGS <arg>...] [EXPECT <regex>...])
#
# Expects the targets typeflow::typeflow and typeflow-warnings to exist.
include_guard(GLOBAL)

set(_TYPEFLOW_CMAKE_DIR "${CMAKE_CURRENT_LIST_DIR}")
# Where example tests run (a subfolder may call project(), which changes PROJECT_BINARY_DIR).
set(_TYPEFLOW_EXAMPLE_RUNS "${PROJECT_BINARY_DIR}/example-runs")

# Our own targets: warnings (typeflow-warnings) and strict ISO C++ (-std=c++20, not gnu++20).
function(_typeflow_own_target target)
  target_link_libraries("${target}" PRIVATE typeflow-warnings)
  set_target_properties("${target}" PROPERTIES CXX_EXTENSIONS OFF)
endfunction()

# ---------------------------------------------------------------------------------------------
# Unit tests: <dir>/<folder>/**/*.cpp -> executable typeflow-test-<folder>, CTest test
# unit.<folder> (label "unit"). Files directly in <dir> (other than main.cpp) go to "misc".
# <dir>/main.cpp holds Catch2's main and is compiled once, as an OBJECT library.
# LIBRARIES are linked into every test executable; for one folder only, call
# target_link_libraries(typeflow-test-<folder> PRIVATE ...) after this function.
function(typeflow_add_unit_tests)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "DIRECTORY" "LIBRARIES")
  if(NOT arg_DIRECTORY)
    set(arg_DIRECTORY "${PROJECT_SOURCE_DIR}/tests/unit")
  endif()
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS RELATIVE "${arg_DIRECTORY}" "${arg_DIRECTORY}/*.cpp")
  list(REMOVE_ITEM sources "main.cpp")
  if(NOT sources)
    message(STATUS "typeflow: no unit tests in ${arg_DIRECTORY} yet")
    return()
  endif()

  find_package(Catch2 2 REQUIRED) # v2: <catch2/catch.hpp>, Catch2::Catch2
  if(NOT TARGET typeflow-catch-main)
    add_library(typeflow-catch-main OBJECT "${arg_DIRECTORY}/main.cpp")
    target_link_libraries(typeflow-catch-main PUBLIC Catch2::Catch2)
    target_compile_features(typeflow-catch-main PUBLIC cxx_std_20)
    set_target_properties(typeflow-catch-main PROPERTIES CXX_EXTENSIONS OFF)
  endif()

  set(groups "")
  foreach(source IN LISTS sources)
    string(FIND "${source}" "/" slash)
    if(slash EQUAL -1)
      set(group misc)
    else()
      string(SUBSTRING "${source}" 0 ${slash} group)
    endif()
    list(APPEND groups "${group}")
    list(APPEND "sources_of_${group}" "${arg_DIRECTORY}/${source}")
  endforeach()
  list(REMOVE_DUPLICATES groups)

  foreach(group IN LISTS groups)
    set(exe "typeflow-test-${group}")
    add_executable("${exe}" ${sources_of_${group}})
    target_link_libraries("${exe}" PRIVATE typeflow-catch-main typeflow::typeflow ${arg_LIBRARIES})
    _typeflow_own_target("${exe}")
    set(workdir "${CMAKE_CURRENT_BINARY_DIR}/unit-work/${group}")
    file(MAKE_DIRECTORY "${workdir}")
    add_test(NAME "unit.${group}" COMMAND "${exe}" --reporter compact WORKING_DIRECTORY "${workdir}")
    set_tests_properties("unit.${group}" PROPERTIES LABELS unit)
  endforeach()
endfunction()

# ---------------------------------------------------------------------------------------------
# Compile-fail tests: for every <dir>/*.cpp and every available compiler among g++ and clang++
# (the current CMAKE_CXX_COMPILER plus the other one if found), a CTest test
# compile_fail.<gcc|clang>.<case> (label "compile_fail") that runs TypeflowCompileFail.cmake:
# the case must fail to compile with output matching each `// expected-error: <regex>` line,
# and must compile when TYPEFLOW_COMPILE_FAIL_CONTROL is defined. Include directories and
# definitions come from TARGET's usage requirements (default: typeflow).
function(typeflow_add_compile_fail_tests)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "DIRECTORY;TARGET" "")
  if(NOT arg_DIRECTORY)
    set(arg_DIRECTORY "${PROJECT_SOURCE_DIR}/tests/compile_fail")
  endif()
  if(NOT arg_TARGET)
    set(arg_TARGET typeflow)
  endif()
  get_target_property(aliased "${arg_TARGET}" ALIASED_TARGET)
  if(aliased)
    set(arg_TARGET "${aliased}")
  endif()

  file(GLOB cases CONFIGURE_DEPENDS "${arg_DIRECTORY}/*.cpp")
  if(NOT cases)
    message(STATUS "typeflow: no compile-fail cases in ${arg_DIRECTORY} yet")
    return()
  endif()

  # Which compilers: the one in use, plus the other of g++/clang++ when installed.
  set(compiler_gcc "")
  set(compiler_clang "")
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    set(compiler_gcc "${CMAKE_CXX_COMPILER}")
  elseif(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    set(compiler_clang "${CMAKE_CXX_COMPILER}")
  endif()
  if(NOT compiler_gcc)
    find_program(TYPEFLOW_GXX NAMES g++ DOC "g++ used by the compile-fail tests")
    if(TYPEFLOW_GXX)
      set(compiler_gcc "${TYPEFLOW_GXX}")
    endif()
  endif()
  if(NOT compiler_clang)
    find_program(TYPEFLOW_CLANGXX NAMES clang++ DOC "clang++ used by the compile-fail tests")
    if(TYPEFLOW_CLANGXX)
      set(compiler_clang "${TYPEFLOW_CLANGXX}")
    endif()
  endif()

  # Usage requirements of the target (transitive), resolved at generate time, read by the script.
  set(flags_file "${CMAKE_CURRENT_BINARY_DIR}/typeflow-compile-fail-flags.cmake")
  set(tp "$<TARGET_PROPERTY:${arg_TARGET},INTERFACE_INCLUDE_DIRECTORIES>")
  set(td "$<TARGET_PROPERTY:${arg_TARGET},INTERFACE_COMPILE_DEFINITIONS>")
  file(GENERATE OUTPUT "${flags_file}" CONTENT
    "set(TYPEFLOW_CF_INCLUDES [==[${tp}]==])\nset(TYPEFLOW_CF_DEFINITIONS [==[${td}]==])\nset(TYPEFLOW_CF_IMPLICIT_INCLUDES [==[${CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES}]==])\n")

  foreach(case IN LISTS cases)
    get_filename_component(case_name "${case}" NAME_WE)
    file(STRINGS "${case}" expected REGEX "^[ \t]*//[ \t]*expected-error:")
    if(NOT expected)
      message(FATAL_ERROR "${case}: missing a '// expected-error: <regex>' line")
    endif()
    foreach(compiler IN ITEMS gcc clang)
      if(NOT compiler_${compiler})
        continue()
      endif()
      set(test "compile_fail.${compiler}.${case_name}")
      add_test(NAME "${test}"
               COMMAND "${CMAKE_COMMAND}" "-DCOMPILER=${compiler_${compiler}}" "-DSOURCE=${case}"
                       "-DFLAGS_FILE=${flags_file}" -P "${_TYPEFLOW_CMAKE_DIR}/TypeflowCompileFail.cmake")
      set_tests_properties("${test}" PROPERTIES LABELS compile_fail TIMEOUT 300)
    endforeach()
  endforeach()
endfunction()

# ---------------------------------------------------------------------------------------------
# Header tests: one generated translation unit per public header <dir>/typeflow/**/*.hpp (not
# under a detail/ or impl/ folder), including it twice, built into the OBJECT library
# typeflow-header-tests (part of ALL). CTest test headers.compile (label "headers") rebuilds it.
function(typeflow_add_header_tests)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "DIRECTORY;TARGET" "")
  if(NOT arg_DIRECTORY)
    set(arg_DIRECTORY "${PROJECT_SOURCE_DIR}/include")
  endif()
  if(NOT arg_TARGET)
    set(arg_TARGET typeflow-header-tests)
  endif()
  file(GLOB_RECURSE headers CONFIGURE_DEPENDS RELATIVE "${arg_DIRECTORY}"
       "${arg_DIRECTORY}/typeflow/*.hpp")
  list(FILTER headers EXCLUDE REGEX "(^|/)(detail|impl)/")
  if(NOT headers)
    message(STATUS "typeflow: no public headers in ${arg_DIRECTORY}/typeflow yet")
    return()
  endif()
  list(SORT headers)

  set(generated "")
  foreach(header IN LISTS headers)
    string(MAKE_C_IDENTIFIER "${header}" id)
    set(cpp "${CMAKE_CURRENT_BINARY_DIR}/header-tests/${id}.cpp")
    # file(CONFIGURE) rewrites only on change, so a reconfigure does not rebuild everything.
    file(CONFIGURE OUTPUT "${cpp}" CONTENT
      "// Generated: ${header} compiles on its own and twice (include guard / pragma once).\n#include <${header}>\n#include <${header}>\n\nvoid typeflow_header_test_${id}() {}\n")
    list(APPEND generated "${cpp}")
  endforeach()

  add_library("${arg_TARGET}" OBJECT ${generated})
  target_link_libraries("${arg_TARGET}" PRIVATE typeflow::typeflow)
  _typeflow_own_target("${arg_TARGET}")
  add_test(NAME headers.compile
           COMMAND "${CMAKE_COMMAND}" --build "${CMAKE_BINARY_DIR}" --target "${arg_TARGET}"
                   --config "$<CONFIG>")
  set_tests_properties(headers.compile PROPERTIES LABELS headers)
endfunction()

# ---------------------------------------------------------------------------------------------
# Examples: every <dir>/*.cpp -> executable example-<name> (in <build>/examples), run by the
# CTest test example.<name> (label "example") in a fresh directory. Every subfolder of <dir>
# with a CMakeLists.txt is add_subdirectory'd into <build>/examples/<folder>; it registers its
# own test with typeflow_add_example_test().
function(typeflow_add_examples)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "DIRECTORY" "LIBRARIES")
  if(NOT arg_DIRECTORY)
    set(arg_DIRECTORY "${PROJECT_SOURCE_DIR}/examples")
  endif()
  if(NOT IS_DIRECTORY "${arg_DIRECTORY}")
    return()
  endif()

  file(GLOB sources CONFIGURE_DEPENDS "${arg_DIRECTORY}/*.cpp")
  foreach(source IN LISTS sources)
    get_filename_component(name "${source}" NAME_WE)
    add_executable("example-${name}" "${source}")
    target_link_libraries("example-${name}" PRIVATE typeflow::typeflow ${arg_LIBRARIES})
    _typeflow_own_target("example-${name}")
    set_target_properties("example-${name}" PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                                                       "${PROJECT_BINARY_DIR}/examples")
    typeflow_add_example_test("${name}" "example-${name}")
  endforeach()

  file(GLOB entries CONFIGURE_DEPENDS LIST_DIRECTORIES true "${arg_DIRECTORY}/*")
  foreach(entry IN LISTS entries)
    if(IS_DIRECTORY "${entry}" AND EXISTS "${entry}/CMakeLists.txt")
      get_filename_component(folder "${entry}" NAME)
      add_subdirectory("${entry}" "${PROJECT_BINARY_DIR}/examples/${folder}")
    endif()
  endforeach()
endfunction()

# typeflow_add_example_test(<name> <target> [ARGS <arg>...] [EXPECT <regex>...]): CTest test
# example.<name> (label "example") that runs <target> with ARGS in the empty directory
# <build>/example-runs/<name>, recreated on every run. It passes when the exit status is 0
# and, with EXPECT, when the output (stdout and stderr) matches every regex.
function(typeflow_add_example_test name target)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "" "ARGS;EXPECT")
  set(expect "")
  set(i 0)
  foreach(regex IN LISTS arg_EXPECT)
    list(APPEND expect "-DEXPECT${i}=${regex}")
    math(EXPR i "${i} + 1")
  endforeach()
  add_test(NAME "example.${name}"
           COMMAND "${CMAKE_COMMAND}" "-DWORKDIR=${_TYPEFLOW_EXAMPLE_RUNS}/${name}"
                   ${expect} -P "${_TYPEFLOW_CMAKE_DIR}/TypeflowRunInFreshDir.cmake"
                   -- "$<TARGET_FILE:${target}>" ${arg_ARGS})
  set_tests_properties("example.${name}" PROPERTIES LABELS example)
endfunction()
