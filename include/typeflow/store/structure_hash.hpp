#pragma once
// The structure hash of a pipeline: 16 hex digits that change whenever its shape changes (a
// node, a type, a step's version, or any dependency of the one walk: data, items, gate, guard
// with its value, skip_if, order, finally). The run store records it with every run (nothing
// compares it yet; cache keys are made from each step's own inputs, not from it).

#include <string>

#include <typeflow/config.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/core/pipeline.hpp>

namespace typeflow {

/// The structure hash of a definition, as 16 hex digits: its name, every node (kind, role,
/// name, output type, version) and every dependency of for_each_dependency (kind, the node
/// and part of its output read, the argument, the guard value, whether the value may be
/// absent). Two pipelines that differ only in which condition guards a step, or in when vs
/// otherwise, hash apart; the same declarations hash alike in every process.
[[nodiscard]] TYPEFLOW_INLINE std::string structure_hash(const detail::definition& d);

/// The structure hash of the pipeline (see above): what the run store records with each run.
///
///     if (typeflow::structure_hash(p) != run.structure_hash) { /* the pipeline changed */ }
[[nodiscard]] TYPEFLOW_INLINE std::string structure_hash(const pipeline& p);

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/store/impl/structure_hash.hpp>
#endif
