#pragma once
// Readable C++ type names for graph exports and run records (demangled where the ABI allows).

#include <cstdlib>
#include <memory>
#include <string>
#include <typeinfo>
#if __has_include(<cxxabi.h>)
#include <cxxabi.h>
#define TYPEFLOW_HAS_CXXABI 1
#endif

namespace typeflow::detail {

inline std::string demangle(const std::type_info& type) {
#ifdef TYPEFLOW_HAS_CXXABI
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name{
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free};
  if (status == 0 && name) {
    std::string out = name.get();
    // std::__cxx11::basic_string<char, ...> is what users wrote as std::string.
    const std::string verbose =
        "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >";
    for (auto pos = out.find(verbose); pos != std::string::npos; pos = out.find(verbose, pos)) {
      out.replace(pos, verbose.size(), "std::string");
    }
    return out;
  }
#endif
  return type.name();
}

}  // namespace typeflow::detail
