#pragma once
// Graphviz DOT export of every dependency: nodes shaped by role (steps boxes, parameters
// ellipses, maps box3d, conditions diamonds, gates octagons, selectors inverted houses,
// finally handlers dashed rounded boxes), data edges labelled with the C++ type they carry,
// guards dotted ("if true"/"if false"), skip_if reads labelled, order dashed, finally grey.

#include <string>
#include <string_view>

#include <typeflow/config.hpp>
#include <typeflow/core/pipeline.hpp>

namespace typeflow {

namespace detail {
/// `text` as a DOT string: in double quotes, with `"` and `\` escaped.
TYPEFLOW_INLINE std::string dot_quote(std::string_view text);
}  // namespace detail

/// The pipeline as a Graphviz digraph (render with `dot -Tsvg`): every node and every
/// dependency of for_each_dependency, finally handlers included.
[[nodiscard]] TYPEFLOW_INLINE std::string to_dot(const pipeline& p);

}  // namespace typeflow

#ifndef TYPEFLOW_COMPILED
#include <typeflow/graph/impl/dot.hpp>
#endif
