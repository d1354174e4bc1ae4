#pragma once
// The definitions of run_result's members that are not templates (exec/result.hpp).

#include <algorithm>
#include <charconv>
#include <map>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <typeflow/config.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/exec/result.hpp>

namespace typeflow {

TYPEFLOW_INLINE const step_record& run_result::step(std::string_view name) const {
  // A map element: "train[3]".
  if (!name.empty() && name.back() == ']') {
    if (auto open = name.rfind('['); open != std::string_view::npos) {
      auto u = def().find(name.substr(0, open));
      const auto* elements = u == detail::none ? nullptr : view().elements(u);
      std::size_t i = 0;
      auto digits = name.substr(open + 1, name.size() - open - 2);
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), i);
      if (elements != nullptr && ec == std::errc{} && end == digits.data() + digits.size() &&
          i < elements->records.size()) {
        return elements->records[i];
      }
    }
  }
  auto u = def().find(name);
  if (u == detail::none || u >= data_->records.size() ||
      def().nodes[u].kind == detail::node_kind::parameter) {
    throw run_error("typeflow: run " + run_id() + " of pipeline '" + def().name +
                    "' has no step '" + std::string(name) + "'");
  }
  return data_->records[u];
}

TYPEFLOW_INLINE std::vector<const step_record*> run_result::steps() const {
  std::vector<const step_record*> out;
  const auto& d = def();
  // Steps declared after this run started are not part of it.
  for (std::size_t u = 0; u < data_->records.size(); ++u) {
    if (d.nodes[u].kind == detail::node_kind::parameter) continue;
    out.push_back(&data_->records[u]);
    if (const auto* elements = view().elements(static_cast<detail::node_id>(u))) {
      for (const auto& e : elements->records) out.push_back(&e);
    }
  }
  return out;
}

TYPEFLOW_INLINE std::vector<const step_record*> run_result::steps(step_status s) const {
  auto all = steps();
  std::erase_if(all, [&](const step_record* r) { return r->status != s; });
  return all;
}

TYPEFLOW_INLINE std::map<std::string, std::string> run_result::params() const {
  return view().params();
}

TYPEFLOW_INLINE std::string run_result::summary() const {
  std::string out = "run " + run_id() + " of '" + std::string(pipeline()) +
                    "': " + std::string(to_string(status()));
  for (const auto* r : steps()) {
    if (produced_outputs(r->status)) continue;
    out += "\n  " + std::string(r->name) + ": " + std::string(to_string(r->status));
    if (!r->message.empty()) out += " (" + r->message + ")";
  }
  return out;
}

TYPEFLOW_INLINE void* run_result::locate(const detail::definition* d, detail::node_id u,
                                         detail::port_id port, std::string_view name) const {
  if (d == nullptr) throw run_error("typeflow: result.get() with an empty handle");
  if (d != data_->definition.get()) {
    throw run_error("typeflow: result.get(): step '" + std::string(name) +
                    "' belongs to pipeline '" + d->name + "', not to this run's '" + def().name +
                    "'");
  }
  if (u >= data_->records.size()) {
    throw run_error("typeflow: result.get(): step '" + std::string(name) +
                    "' was declared after this run started");
  }
  const auto& rec = data_->records[u];
  const auto& nd = def().nodes[u];
  if (nd.kind != detail::node_kind::parameter && !produced_outputs(rec.status)) {
    throw run_error("typeflow: step '" + std::string(nd.name) + "' has no output: it " +
                    std::string(to_string(rec.status)) +
                    (rec.message.empty() ? std::string{} : " (" + rec.message + ")"));
  }
  auto& kept = data_->kept;
  auto it = std::lower_bound(kept.begin(), kept.end(), u,
                             [](const kept_output& k, detail::node_id v) { return k.node < v; });
  if (it == kept.end() || it->node != u || !it->value.has_value()) {
    throw run_error("typeflow: the output of '" + std::string(nd.name) +
                    "' was released after its last consumer; keep it with .keep() on its "
                    "handle or opts.keep(handle)");
  }
  return def().resolve(port, it->value.get());
}

}  // namespace typeflow
