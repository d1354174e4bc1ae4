# Runs a command in an empty working directory that is recreated on every run, so an
# example or test never sees files from a previous run.
#
#   cmake -DWORKDIR=<dir> [-DEXPECT0=<regex> [-DEXPECT1=<regex>...]]
#         -P TypeflowRunInFreshDir.cmake -- <program> [<arg>...]
#
# The program's output passes through; its exit status decides the result, and with EXPECT<i>
# its output (stdout and stderr together) must also match every regex.
cmake_minimum_required(VERSION 3.25)

if(NOT WORKDIR)
  message(FATAL_ERROR "TypeflowRunInFreshDir.cmake: -DWORKDIR=... is required")
endif()

set(command "")
set(seen_separator FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE 0 ${last})
  if(seen_separator)
    list(APPEND command "${CMAKE_ARGV${i}}")
  elseif(CMAKE_ARGV${i} STREQUAL "--")
    set(seen_separator TRUE)
  endif()
endforeach()
if(NOT command)
  message(FATAL_ERROR "TypeflowRunInFreshDir.cmake: no command after --")
endif()

file(REMOVE_RECURSE "${WORKDIR}")
file(MAKE_DIRECTORY "${WORKDIR}")
if(NOT DEFINED EXPECT0)
  execute_process(COMMAND ${command} WORKING_DIRECTORY "${WORKDIR}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "'${command}' exited with ${rc} (in ${WORKDIR})")
  endif()
  return()
endif()

execute_process(COMMAND ${command} WORKING_DIRECTORY "${WORKDIR}" RESULT_VARIABLE rc
                OUTPUT_VARIABLE output ERROR_VARIABLE output)
message("${output}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "'${command}' exited with ${rc} (in ${WORKDIR})")
endif()
set(i 0)
while(DEFINED EXPECT${i})
  if(NOT output MATCHES "${EXPECT${i}}")
    message(FATAL_ERROR "'${command}': the output does not match '${EXPECT${i}}'")
  endif()
  math(EXPR i "${i} + 1")
endwhile()
