#pragma once
// What the structure hash and the recorder name alike: a node's output type as the store names
// it, where a port sits inside its node's output, and length-prefixed fields.

#include <string>
#include <string_view>

#include <typeflow/core/codec.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/store/detail/type_names.hpp>

namespace typeflow {

namespace store_detail {

/// A node's output type as the store names it: its codec's name where it has one.
inline std::string type_of(const detail::node& nd) {
  if (nd.codec != nullptr) return nd.codec->type_name();
  return type_name_cached(*nd.output_type);
}

/// Where a port sits inside its node's output, the same in every process: "" for the whole
/// output, else one "type:projection-bytes" per level.
inline std::string port_path(const detail::definition& d, detail::port_id p) {
  const auto& pt = d.ports[p];
  if (pt.parent == detail::none) return {};
  std::string out = port_path(d, pt.parent) + "/" + type_name_cached(*pt.type) + ":";
  for (unsigned char c : pt.proj.data) {
    static constexpr char hex[] = "0123456789abcdef";
    out += hex[c >> 4];
    out += hex[c & 0xf];
  }
  return out;
}

/// Appends a field that may hold any character, prefixed by its length, so that no two
/// different sequences of fields give the same text.
inline void append_field(std::string& s, std::string_view field) {
  s += std::to_string(field.size());
  s += ':';
  s += field;
  s += ' ';
}

}  // namespace store_detail

}  // namespace typeflow
