#pragma once
// Demangled type names, computed once per type: run records, cache keys and the structure
// hash name a type for every step of every run.

#include <mutex>
#include <string>
#include <typeinfo>
#include <unordered_map>

#include <typeflow/detail/type_name.hpp>

namespace typeflow::store_detail {

inline const std::string& type_name_cached(const std::type_info& t) {
  static std::mutex m;
  static std::unordered_map<const std::type_info*, std::string> names;
  std::lock_guard lock(m);
  auto it = names.find(&t);
  if (it == names.end()) it = names.emplace(&t, detail::demangle(t)).first;
  return it->second;
}

}  // namespace typeflow::store_detail
