#pragma once
// run_result: what a finished run tells its caller: the run's status, every step's record,
// the metrics logged, and the outputs that were kept. It owns the run's data (run_view.hpp)
// and nothing of the scheduler that ran it.

#include <algorithm>
#include <charconv>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <typeflow/core/errors.hpp>
#include <typeflow/core/handle.hpp>
#include <typeflow/exec/record.hpp>
#include <typeflow/exec/run_view.hpp>
#include <typeflow/exec/status.hpp>

namespace typeflow {

class run_result {
 public:
  /// The result of a finished run, from its data (the executor makes it).
  explicit run_result(std::shared_ptr<run_data> data) : data_(std::move(data)) {}

  [[nodiscard]] run_status status() const noexcept { return data_->status.load(); }
  [[nodiscard]] bool ok() const noexcept { return status() == run_status::succeeded; }
  [[nodiscard]] const std::string& run_id() const noexcept { return data_->run_id; }
  [[nodiscard]] std::string_view pipeline() const noexcept { return data_->definition->name; }
  [[nodiscard]] std::chrono::system_clock::time_point started() const noexcept {
    return data_->started;
  }
  [[nodiscard]] std::chrono::system_clock::time_point finished() const noexcept {
    return data_->finished;
  }
  [[nodiscard]] std::chrono::nanoseconds duration() const noexcept {
    return finished() - started();
  }

  /// The value of a kept output (sinks are kept by default; others with .keep() or
  /// opts.keep(h)). Throws run_error naming the step when it has no value to give.
  template <class T>
  [[nodiscard]] const T& get(const handle<T>& h) const {
    return *static_cast<const T*>(locate(h));
  }
  /// Moves a kept output out of the result.
  template <class T>
  [[nodiscard]] T take(const handle<T>& h) {
    return std::move(*static_cast<T*>(locate(h)));
  }

  /// The record of one step; throws run_error for an unknown name.
  [[nodiscard]] const step_record& step(std::string_view name) const {
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
  template <class T>
  [[nodiscard]] const step_record& step(const handle<T>& h) const {
    return step(h.name());
  }

  /// Every step's record, in declaration order, each map step followed by its elements
  /// (parameters are not steps).
  [[nodiscard]] std::vector<const step_record*> steps() const {
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
  /// The steps that ended in `s`.
  [[nodiscard]] std::vector<const step_record*> steps(step_status s) const {
    auto all = steps();
    std::erase_if(all, [&](const step_record* r) { return r->status != s; });
    return all;
  }

  /// name -> text of the value each parameter had in this run (a delayed parameter only once
  /// it was given one), for run records and reports.
  [[nodiscard]] std::map<std::string, std::string> params() const { return view().params(); }

  /// Every metric point logged through context::log_metric, in the order logged.
  [[nodiscard]] const std::vector<metric_record>& metrics() const noexcept {
    return data_->metrics;
  }

  /// How many observer calls threw (they never break the run), and the first error.
  [[nodiscard]] std::size_t observer_errors() const noexcept {
    return data_->observer_errors.load();
  }
  [[nodiscard]] const std::string& first_observer_error() const noexcept {
    return data_->first_observer_error;
  }

  /// A one-paragraph account: status, then each step that did not succeed and why.
  [[nodiscard]] std::string summary() const {
    std::string out = "run " + run_id() + " of '" + std::string(pipeline()) +
                      "': " + std::string(to_string(status()));
    for (const auto* r : steps()) {
      if (produced_outputs(r->status)) continue;
      out += "\n  " + std::string(r->name) + ": " + std::string(to_string(r->status));
      if (!r->message.empty()) out += " (" + r->message + ")";
    }
    return out;
  }

  /// The run as a read-only view, as observers' hooks and the run store see it.
  [[nodiscard]] run_view view() const noexcept { return run_view{*data_}; }

 private:
  [[nodiscard]] const detail::definition& def() const noexcept { return *data_->definition; }

  template <class T>
  void* locate(const handle<T>& h) const {
    auto* d = detail::handle_access::def(h);
    if (d == nullptr) throw run_error("typeflow: result.get() with an empty handle");
    if (d != data_->definition.get()) {
      throw run_error("typeflow: result.get(): step '" + std::string(h.name()) +
                      "' belongs to pipeline '" + d->name + "', not to this run's '" + def().name +
                      "'");
    }
    auto u = detail::handle_access::node(h);
    if (u >= data_->records.size()) {
      throw run_error("typeflow: result.get(): step '" + std::string(h.name()) +
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
    return def().resolve(detail::handle_access::port(h), it->value.get());
  }

  std::shared_ptr<run_data> data_;
};

}  // namespace typeflow
