// typeflow::cli in compiled mode (TYPEFLOW_COMPILED): the command line's non-template code
// (typeflow::main and its commands, progress, schedules), compiled once. See
// <typeflow/config.hpp>. Notifications (notify.hpp) are compiled into typeflow::store.
#ifndef TYPEFLOW_COMPILED
#error "src/cli.cpp is built only with TYPEFLOW_COMPILED (CMake: -DTYPEFLOW_COMPILED=ON)"
#endif
#include <typeflow/config.hpp>

#include <typeflow/cli/impl/cron.hpp>
#include <typeflow/cli/impl/main.hpp>
#include <typeflow/cli/impl/progress.hpp>
#include <typeflow/launch/impl/job_files.hpp>
#include <typeflow/launch/impl/run_step.hpp>
#include <typeflow/launch/impl/slurm.hpp>
