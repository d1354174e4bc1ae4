# Installs a build tree into a prefix that is emptied first, so a consumer test never
# finds files left over from an earlier install. Used as a CTest fixture setup.
#
#   cmake -DBUILD_DIR=<build> -DPREFIX=<prefix> [-DCONFIG=<cfg>] [-DCLEAN=<dir>;...]
#         -P TypeflowFreshInstall.cmake
#
# CLEAN: more directories to delete first (the consumers' build trees).
cmake_minimum_required(VERSION 3.25)

foreach(var IN ITEMS BUILD_DIR PREFIX)
  if(NOT ${var})
    message(FATAL_ERROR "TypeflowFreshInstall.cmake: -D${var}=... is required")
  endif()
endforeach()

file(REMOVE_RECURSE "${PREFIX}" ${CLEAN})
set(config_args "")
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" ${config_args}
                COMMAND_ERROR_IS_FATAL ANY)
