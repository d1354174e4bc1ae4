# Runs one compile-fail case (see typeflow_add_compile_fail_tests in TypeflowTesting.cmake).
#
#   cmake -DCOMPILER=<c++> -DSOURCE=<case.cpp> [-DFLAGS_FILE=<file>] -P TypeflowCompileFail.cmake
#
# 1. SOURCE compiled with -std=c++20 -fsyntax-only must FAIL, and the compiler output (stdout and
#    stderr together, LC_ALL=C so quotes are plain ASCII) must match the regex of every
#    `// expected-error: <regex>` line in SOURCE. The regex is CMake's flavour: no \d or {n};
#    `.` also matches newlines.
# 2. SOURCE compiled with -DTYPEFLOW_COMPILE_FAIL_CONTROL must SUCCEED, which proves that the
#    failure in 1. comes from the named mistake and not from a broken case file.
cmake_minimum_required(VERSION 3.25)

foreach(var IN ITEMS COMPILER SOURCE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "TypeflowCompileFail.cmake: -D${var}=... is required")
  endif()
endforeach()

set(TYPEFLOW_CF_INCLUDES "")
set(TYPEFLOW_CF_DEFINITIONS "")
set(TYPEFLOW_CF_IMPLICIT_INCLUDES "")
if(FLAGS_FILE)
  include("${FLAGS_FILE}")
endif()

# The expected-error lines, read without going through CMake lists (a regex may hold ';' or '[').
file(READ "${SOURCE}" rest)
set(regexes_count 0)
while(rest MATCHES "(^|\n)[ \t]*//[ \t]*expected-error:[ \t]*([^\r\n]*)")
  set(line "${CMAKE_MATCH_0}")
  string(STRIP "${CMAKE_MATCH_2}" regex)
  if(NOT regex STREQUAL "")
    math(EXPR regexes_count "${regexes_count} + 1")
    set(regex_${regexes_count} "${regex}")
  endif()
  string(FIND "${rest}" "${line}" at)
  string(LENGTH "${line}" length)
  math(EXPR after "${at} + ${length}")
  string(SUBSTRING "${rest}" ${after} -1 rest)
endwhile()
if(regexes_count EQUAL 0)
  message(FATAL_ERROR "${SOURCE}: missing a '// expected-error: <regex>' line")
endif()

set(flags -std=c++20 -fsyntax-only -fdiagnostics-color=never)
foreach(dir IN LISTS TYPEFLOW_CF_INCLUDES)
  # -I on a system directory breaks libstdc++'s #include_next; those are searched anyway.
  if(dir STREQUAL "" OR dir IN_LIST TYPEFLOW_CF_IMPLICIT_INCLUDES OR dir MATCHES "^/usr(/local)?/include/?$")
    continue()
  endif()
  list(APPEND flags "-I${dir}")
endforeach()
foreach(definition IN LISTS TYPEFLOW_CF_DEFINITIONS)
  if(NOT definition STREQUAL "")
    list(APPEND flags "-D${definition}")
  endif()
endforeach()

set(ENV{LC_ALL} C)
set(ENV{LANG} C)
get_filename_component(case "${SOURCE}" NAME)

execute_process(COMMAND "${COMPILER}" ${flags} "${SOURCE}"
                RESULT_VARIABLE failing_rc OUTPUT_VARIABLE failing_output ERROR_VARIABLE failing_output)
execute_process(COMMAND "${COMPILER}" ${flags} -DTYPEFLOW_COMPILE_FAIL_CONTROL "${SOURCE}"
                RESULT_VARIABLE control_rc OUTPUT_VARIABLE control_output ERROR_VARIABLE control_output)

set(problems "")
if(failing_rc EQUAL 0)
  string(APPEND problems "  - ${case} COMPILED, but it must be rejected\n")
else()
  foreach(i RANGE 1 ${regexes_count})
    if(NOT failing_output MATCHES "${regex_${i}}")
      string(APPEND problems "  - the diagnostics do not match the expected-error regex: ${regex_${i}}\n")
    endif()
  endforeach()
endif()
if(NOT control_rc EQUAL 0)
  string(APPEND problems
         "  - the control build (-DTYPEFLOW_COMPILE_FAIL_CONTROL) must compile but failed (${control_rc})\n")
endif()

if(problems)
  set(report "compile-fail case ${case} with ${COMPILER}:\n${problems}")
  string(APPEND report "\n--- compiler output, failing build (exit ${failing_rc}) ---\n${failing_output}")
  if(NOT control_rc EQUAL 0)
    string(APPEND report "\n--- compiler output, control build ---\n${control_output}")
  endif()
  list(JOIN flags " " flags_text)
  string(APPEND report "\ncommand: ${COMPILER} ${flags_text} ${SOURCE}\n")
  message("${report}") # verbatim; FATAL_ERROR would re-wrap the compiler output
  message(FATAL_ERROR "compile-fail case ${case} with ${COMPILER}: FAILED (see above)")
endif()

foreach(i RANGE 1 ${regexes_count})
  string(REGEX MATCH "${regex_${i}}" matched "${failing_output}")
  string(SUBSTRING "${matched}" 0 200 matched)
  message(STATUS "${case}: rejected as expected; matched '${matched}'")
endforeach()
message(STATUS "${case}: control build compiles")
