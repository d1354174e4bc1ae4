#pragma once
// run_result: what a finished run tells its caller: the run's status, every step's record,
// the metrics logged, and the outputs that were kept.

#include <map>
#include <charconv>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <typeflow/core/errors.hpp>
#include <typeflow/core/handle.hpp>
#include <typeflow/exec/detail/engine.hpp>
#include <typeflow/exec/record.hpp>
#include <typeflow/exec/status.hpp>

namespace typeflow {

class run_result {
 public:
  explicit run_result(std::shared_ptr<exec_detail::engine> run) : run_(std::move(run)) {}

  [[nodiscard]] run_status status() const noexcept { return run_->status(); }
  [[nodiscard]] bool ok() const noexcept { return status() == run_status::succeeded; }
  [[nodiscard]] const std::string& run_id() const noexcept { return run_->run_id(); }
  [[nodiscard]] std::string_view pipeline() const noexcept { return run_->def().name; }
  [[nodiscard]] std::chrono::system_clock::time_point started() const noexcept {
    return run_->started_at();
  }
  [[nodiscard]] std::chrono::system_clock::time_point finished() const noexcept {
    return run_->finished_at();
  }
  [[nodiscard]] std::chrono::nanoseconds duration() const noexcept { return finished() - started(); }

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
        auto u = run_->def().find(name.substr(0, open));
        const auto* elements = u == detail::none ? nullptr : run_->element_records(u);
        std::size_t i = 0;
        auto digits = name.substr(open + 1, name.size() - open - 2);
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), i);
        if (elements != nullptr && ec == std::errc{} && end == digits.data() + digits.size() &&
            i < elements->size()) {
          return (*elements)[i];
        }
      }
    }
    auto u = run_->def().find(name);
    if (u == detail::none || run_->def().nodes[u].kind == detail::node_kind::parameter) {
      throw run_error("typeflow: run " + run_id() + " of pipeline '" + run_->def().name +
                      "' has no step '" + std::string(name) + "'");
    }
    return run_->records()[u];
  }
  template <class T>
  [[nodiscard]] const step_record& step(const handle<T>& h) const {
    return step(h.name());
  }

  /// Every step's record, in declaration order, each map step followed by its elements
  /// (parameters are not steps).
  [[nodiscard]] std::vector<const step_record*> steps() const {
    std::vector<const step_record*> out;
    const auto& d = run_->def();
    // Steps declared after this run started are not part of it.
    for (std::size_t u = 0; u < run_->records().size(); ++u) {
      if (d.nodes[u].kind == detail::node_kind::parameter) continue;
      out.push_back(&run_->records()[u]);
      if (const auto* elements = run_->element_records(static_cast<detail::node_id>(u))) {
        for (const auto& e : *elements) out.push_back(&e);
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
  [[nodiscard]] std::map<std::string, std::string> params() const { return run_->param_texts(); }

  /// Every metric point logged through context::log_metric, in the order logged.
  [[nodiscard]] std::vector<metric_record> metrics() const { return run_->metrics(); }

  /// How many observer calls threw (they never break the run), and the first error.
  [[nodiscard]] std::size_t observer_errors() const noexcept { return run_->observer_errors(); }
  [[nodiscard]] std::string first_observer_error() const { return run_->first_observer_error(); }

  /// A one-paragraph account: status, then each step that did not succeed and why.
  [[nodiscard]] std::string summary() const {
    std::string out = "run " + run_id() + " of '" + std::string(pipeline()) + "': " +
                      std::string(to_string(status()));
    for (const auto* r : steps()) {
      if (produced_outputs(r->status)) continue;
      out += "\n  " + std::string(r->name) + ": " + std::string(to_string(r->status));
      if (!r->message.empty()) out += " (" + r->message + ")";
    }
    return out;
  }

  /// The engine behind the result, for the other layers (run store, command line).
  [[nodiscard]] const exec_detail::engine& engine() const noexcept { return *run_; }

 private:
  template <class T>
  void* locate(const handle<T>& h) const {
    auto* def = detail::handle_access::def(h);
    if (def == nullptr) throw run_error("typeflow: result.get() with an empty handle");
    if (def != run_->def_ptr().get()) {
      throw run_error("typeflow: result.get(): step '" + std::string(h.name()) +
                      "' belongs to pipeline '" + def->name + "', not to this run's '" +
                      run_->def().name + "'");
    }
    auto u = detail::handle_access::node(h);
    if (u >= run_->records().size()) {
      throw run_error("typeflow: result.get(): step '" + std::string(h.name()) +
                      "' was declared after this run started");
    }
    const auto& rec = run_->records()[u];
    const auto& nd = run_->def().nodes[u];
    if (nd.kind != detail::node_kind::parameter && !produced_outputs(rec.status)) {
      throw run_error("typeflow: step '" + std::string(nd.name) + "' has no output: it " +
                      std::string(to_string(rec.status)) +
                      (rec.message.empty() ? std::string{} : " (" + rec.message + ")"));
    }
    void* whole = run_->state(u).out.get();
    if (whole == nullptr) {
      throw run_error("typeflow: the output of '" + std::string(nd.name) +
                      "' was released after its last consumer; keep it with .keep() on its "
                      "handle or opts.keep(handle)");
    }
    return run_->def().resolve(detail::handle_access::port(h), whole);
  }

  std::shared_ptr<exec_detail::engine> run_;
};

}  // namespace typeflow
