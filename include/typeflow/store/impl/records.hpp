#pragma once
// The member functions of the run store's records (store/records.hpp): included by that header
// in header-only mode, compiled once into typeflow::store (src/store.cpp) in compiled mode.

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <typeflow/config.hpp>
#include <typeflow/detail/number_text.hpp>
#include <typeflow/store/records.hpp>

namespace typeflow {

TYPEFLOW_INLINE const step_info* run_details::step(std::string_view name) const {
  for (const auto& s : steps) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

TYPEFLOW_INLINE std::optional<double> run_details::final_metric(std::string_view name) const {
  const metric_record* best = nullptr;
  for (const auto& m : metrics) {
    if (m.name != name) continue;
    if (best == nullptr || m.index > best->index ||
        (m.index == best->index && m.time >= best->time)) {
      best = &m;
    }
  }
  return best != nullptr ? std::optional<double>{best->value} : std::nullopt;
}

TYPEFLOW_INLINE std::string comparison::table() const {
  std::vector<std::vector<std::string>> cells;
  cells.push_back({""});
  for (const auto& r : runs) cells.back().push_back(r);
  for (const auto& p : params) {
    cells.push_back({(p.differs() ? "* " : "  ") + p.name});
    for (const auto& v : p.values) cells.back().push_back(v ? *v : "-");
  }
  for (const auto& m : metrics) {
    cells.push_back({(m.differs() ? "* " : "  ") + m.name});
    for (const auto& v : m.values) cells.back().push_back(v ? detail::number_text(*v) : "-");
  }
  std::vector<std::size_t> width(runs.size() + 1, 0);
  for (const auto& row : cells) {
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : cells) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      out += row[i];
      if (i + 1 < row.size()) out += std::string(width[i] - row[i].size() + 2, ' ');
    }
    out += '\n';
  }
  return out;
}

}  // namespace typeflow
