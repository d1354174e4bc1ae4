#pragma once
// How one run is executed: threads, failure policy, capacities, observers, which outputs to
// keep, parameter overrides. Every setter returns *this so options read as one expression.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <typeflow/core/errors.hpp>
#include <typeflow/core/handle.hpp>
#include <typeflow/core/param_info.hpp>
#include <typeflow/exec/event.hpp>
#include <typeflow/exec/hooks.hpp>

namespace typeflow {

class launcher;  // exec/launcher.hpp

enum class failure_policy : std::uint8_t {
  continue_independent,  ///< the default: branches that do not depend on the failure finish
  fail_fast,             ///< stop everything at the first failure
};

/// Tag: run in the calling thread, one step at a time, in declaration order.
struct sequential_t {
  explicit sequential_t() = default;
};
inline constexpr sequential_t sequential{};

class run_options {
 public:
  /// Worker threads; 0 (the default) means std::thread::hardware_concurrency().
  run_options& threads(unsigned n) {
    threads_ = n;
    return *this;
  }
  run_options& on_failure(failure_policy p) {
    failure_ = p;
    return *this;
  }
  run_options& fail_fast() { return on_failure(failure_policy::fail_fast); }

  /// Run-wide capacity of a counted resource that steps ask for with .resources(...).
  run_options& capacity(std::string name, double amount) {
    if (name.empty()) throw run_error("typeflow: opts.capacity(): the resource name is empty");
    if (!(amount >= 0)) {
      throw run_error("typeflow: opts.capacity(\"" + name + "\", ...): the capacity must be >= 0");
    }
    capacities_[std::move(name)] = amount;
    return *this;
  }

  /// Default per-step policies, for steps that set none of their own.
  run_options& default_retry(unsigned times, std::chrono::nanoseconds backoff = {},
                             double factor = 2.0) {
    default_retries_ = times;
    default_backoff_ = backoff;
    default_backoff_factor_ = factor;
    return *this;
  }
  run_options& default_timeout(std::chrono::nanoseconds limit) {
    if (limit.count() <= 0) throw run_error("typeflow: opts.default_timeout(): must be positive");
    default_timeout_ = limit;
    return *this;
  }

  /// Observers receive the run's events; the caller keeps them alive for the run.
  run_options& observe(observer& o) {
    observers_.push_back(&o);
    return *this;
  }
  run_options& observe(std::shared_ptr<observer> o) {
    observers_.push_back(o.get());
    owned_observers_.push_back(std::move(o));
    return *this;
  }

  /// Keeps an output after its last consumer, so the result can return it.
  template <class T>
  run_options& keep(const handle<T>& h) {
    keep_.push_back(detail::handle_access::node(h));
    return *this;
  }
  /// Keeps every output (debugging; costs memory).
  run_options& keep_all(bool yes = true) {
    keep_all_ = yes;
    return *this;
  }

  /// Overrides a parameter's value from text, parsed by the parameter's type. Overrides win
  /// over the environment (TYPEFLOW_PARAM_<NAME>), which wins over the params file.
  run_options& set(std::string name, std::string value) {
    overrides_.emplace_back(std::move(name), std::move(value));
    return *this;
  }

  /// Reads parameter values from a JSON file holding an object of names to values; a value
  /// may be JSON-typed ({"lr": 0.05, "layers": [64, 32]}) or a string parsed like set().
  run_options& params_file(std::string path) {
    params_file_ = std::move(path);
    return *this;
  }

  /// Gives the values of delayed parameters (param<T>::delayed()) that no source set: called
  /// when the first step that needs one is about to run, once per parameter, one call at a
  /// time; the text returned is parsed and checked like set(). A throw fails the parameter,
  /// and the steps that need it are skipped with the reason.
  run_options& param_provider(std::function<std::string(const param_info&)> provider) {
    param_provider_ = std::move(provider);
    return *this;
  }

  /// Uses this run id instead of a generated one (the run store assigns ids this way).
  run_options& run_id(std::string id) {
    run_id_ = std::move(id);
    return *this;
  }

  /// Stops the run when `token` is triggered (in addition to run_handle::stop()).
  run_options& stop_token(std::stop_token token) {
    external_stop_ = std::move(token);
    return *this;
  }

  /// Installs hooks (the run store uses them for caching, resume and partial runs).
  run_options& hooks(std::shared_ptr<run_hooks> h) {
    hooks_ = std::move(h);
    return *this;
  }

  /// Runs the steps `l` accepts through it (for instance as Slurm jobs) instead of on the
  /// worker threads; see exec/launcher.hpp. Null: every step runs here.
  run_options& launcher(std::shared_ptr<typeflow::launcher> l) {
    launcher_ = std::move(l);
    return *this;
  }

  /// Restricts the run to the steps marked true (indexed by node id); the others never run:
  /// hooks may restore their outputs, else they are skipped. Empty: every step.
  run_options& select(std::vector<bool> selected) {
    selection_ = std::move(selected);
    return *this;
  }

  // Read access for the executor and other layers.
  [[nodiscard]] const std::shared_ptr<run_hooks>& hooks() const noexcept { return hooks_; }
  [[nodiscard]] const std::vector<bool>& selection() const noexcept { return selection_; }
  [[nodiscard]] const std::shared_ptr<typeflow::launcher>& launcher() const noexcept {
    return launcher_;
  }
  [[nodiscard]] unsigned threads() const noexcept { return threads_; }
  [[nodiscard]] failure_policy on_failure() const noexcept { return failure_; }
  [[nodiscard]] const std::map<std::string, double, std::less<>>& capacities() const noexcept {
    return capacities_;
  }
  [[nodiscard]] unsigned default_retries() const noexcept { return default_retries_; }
  [[nodiscard]] std::chrono::nanoseconds default_backoff() const noexcept {
    return default_backoff_;
  }
  [[nodiscard]] double default_backoff_factor() const noexcept { return default_backoff_factor_; }
  [[nodiscard]] std::chrono::nanoseconds default_timeout() const noexcept {
    return default_timeout_;
  }
  [[nodiscard]] const std::vector<observer*>& observers() const noexcept { return observers_; }
  [[nodiscard]] const std::vector<std::uint32_t>& kept() const noexcept { return keep_; }
  [[nodiscard]] bool keeps_all() const noexcept { return keep_all_; }
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& overrides() const noexcept {
    return overrides_;
  }
  [[nodiscard]] const std::string& run_id() const noexcept { return run_id_; }
  [[nodiscard]] const std::string& params_file() const noexcept { return params_file_; }
  [[nodiscard]] const std::function<std::string(const param_info&)>& param_provider()
      const noexcept {
    return param_provider_;
  }
  [[nodiscard]] const std::stop_token& external_stop() const noexcept { return external_stop_; }

 private:
  unsigned threads_ = 0;
  failure_policy failure_ = failure_policy::continue_independent;
  std::map<std::string, double, std::less<>> capacities_;
  unsigned default_retries_ = 0;
  std::chrono::nanoseconds default_backoff_{0};
  double default_backoff_factor_ = 2.0;
  std::chrono::nanoseconds default_timeout_{0};
  std::vector<observer*> observers_;
  std::vector<std::shared_ptr<observer>> owned_observers_;
  std::vector<std::uint32_t> keep_;
  bool keep_all_ = false;
  std::vector<std::pair<std::string, std::string>> overrides_;
  std::string params_file_;
  std::function<std::string(const param_info&)> param_provider_;
  std::string run_id_;
  std::stop_token external_stop_;
  std::shared_ptr<run_hooks> hooks_;
  std::shared_ptr<typeflow::launcher> launcher_;
  std::vector<bool> selection_;
};

}  // namespace typeflow
