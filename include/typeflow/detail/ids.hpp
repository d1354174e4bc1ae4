#pragma once
// The ids of a pipeline definition's nodes and ports, and the id that names none.

#include <cstdint>

namespace typeflow::detail {

using node_id = std::uint32_t;
using port_id = std::uint32_t;
inline constexpr std::uint32_t none = ~std::uint32_t{0};

}  // namespace typeflow::detail
