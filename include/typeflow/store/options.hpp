#pragma once
// The settings of an open store (store_config), and how one run is recorded (store_options):
// where the store lives, the experiment and tags, caching, which steps run (only/from/to/
// scenes) and where the inputs of a partial run come from, plus the executor's own run_options,
// and observers of the run (a command_notifier from <typeflow/notify.hpp>, a user's own).
// Every setter returns *this.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <typeflow/exec/event.hpp>
#include <typeflow/exec/options.hpp>
#include <typeflow/graph/slice.hpp>

namespace typeflow {

/// Settings of an open store.
struct store_config {
  /// How often a running run records that it is alive and looks for a stop request.
  std::chrono::milliseconds heartbeat{1000};
  /// A running run of another host whose heartbeat is older than this is taken for dead and
  /// marked interrupted (as is one recorded by a typeflow that did not record its process's
  /// start time). On this host the process tells: a run whose process (pid and start time) is
  /// gone is interrupted at once, one whose process is alive, if paused, never.
  std::chrono::milliseconds stale_after{60000};
  /// How long, in all, one read, write or batch of records waits for a lock that another
  /// process holds (its tries together). It says on stderr what it waits for after a quarter
  /// of this (at most 5 s); at the end a read or delete fails with a store error and a batch's
  /// records are counted as not stored (stored_run::store_errors()).
  std::chrono::milliseconds busy_timeout{120000};
  /// Artifacts up to this size live in the database (one commit, no file, no fsync); larger
  /// ones are files under artifacts/.
  std::size_t inline_limit = 16 * 1024;
  /// Opens an existing store for reading only (what the command line's runs, show and compare
  /// do): nothing is created, migrated, recovered or written, so a store the user cannot
  /// write can be read. A missing store, or one whose schema is older than this typeflow's,
  /// is a store_error; so is any call that writes (run, retry, copy, stop, remove,
  /// collect_garbage, recover). Runs whose process died still show as `running` until a
  /// store opened for writing finds them interrupted.
  bool read_only = false;
};

class store_options {
 public:
  /// The store's directory, for typeflow::run(p, store_options); default: $TYPEFLOW_STORE,
  /// else ./.typeflow.
  store_options& store(std::filesystem::path dir) {
    store_ = std::move(dir);
    return *this;
  }
  /// The experiment the run belongs to (runs are listed and compared by experiment).
  store_options& experiment(std::string name) {
    experiment_ = std::move(name);
    return *this;
  }
  store_options& tag(std::string key, std::string value) {
    tags_.emplace_back(std::move(key), std::move(value));
    return *this;
  }
  /// Runs every selected step, even when the cache holds its output (outputs are still stored
  /// and cached for later runs).
  store_options& no_cache(bool yes = true) {
    no_cache_ = yes;
    return *this;
  }
  /// Runs only these steps (repeatable); their inputs come from the cache or inputs_from().
  store_options& only(std::string step) {
    slice_.only.push_back(std::move(step));
    return *this;
  }
  store_options& only(std::initializer_list<std::string_view> steps) {
    for (auto s : steps) slice_.only.emplace_back(s);
    return *this;
  }
  /// Runs this step and everything downstream of it.
  store_options& from(std::string step) {
    slice_.from.push_back(std::move(step));
    return *this;
  }
  /// Runs this step and everything it needs.
  store_options& to(std::string step) {
    slice_.to.push_back(std::move(step));
    return *this;
  }
  /// Runs a scene declared with pipeline::scene().
  store_options& scene(std::string name) {
    slice_.scenes.push_back(std::move(name));
    return *this;
  }
  /// Takes the outputs of steps this run does not run from an earlier run (an id, a unique
  /// prefix of one, or "latest"), before looking in the cache.
  store_options& inputs_from(std::string run) {
    inputs_from_ = std::move(run);
    return *this;
  }
  /// Overrides a parameter's value from text, as run_options::set does.
  store_options& set(std::string param, std::string value) {
    overrides_.emplace_back(std::move(param), std::move(value));
    return *this;
  }
  /// The executor's options (threads, retries, observers, ...). The store installs its own
  /// hooks and selection; a stop token given here still stops the run.
  store_options& base(run_options opts) {
    base_ = std::move(opts);
    return *this;
  }
  /// Runs in the calling thread, one step at a time.
  store_options& sequential(bool yes = true) {
    sequential_ = yes;
    return *this;
  }
  /// Adds an observer of the run (repeatable), after those of base() and whether base() is
  /// called before or after: it sees the run's events with the store's run id.
  ///
  ///     auto notifier = std::make_shared<typeflow::command_notifier>("mail -s typeflow me@example.org");
  ///     st.run(p, typeflow::store_options{}.observe(notifier));  // <typeflow/notify.hpp>
  store_options& observe(std::shared_ptr<observer> o) {
    observers_.push_back(std::move(o));
    return *this;
  }

  [[nodiscard]] const std::optional<std::filesystem::path>& store_path() const noexcept {
    return store_;
  }
  [[nodiscard]] const std::optional<std::string>& experiment() const noexcept {
    return experiment_;
  }
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& tags() const noexcept {
    return tags_;
  }
  [[nodiscard]] bool no_cache() const noexcept { return no_cache_; }
  [[nodiscard]] const slice_spec& selection() const noexcept { return slice_; }
  [[nodiscard]] const std::string& inputs_from() const noexcept { return inputs_from_; }
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& overrides() const noexcept {
    return overrides_;
  }
  [[nodiscard]] const run_options& base() const noexcept { return base_; }
  [[nodiscard]] bool sequential() const noexcept { return sequential_; }
  [[nodiscard]] const std::vector<std::shared_ptr<observer>>& observers() const noexcept {
    return observers_;
  }

 private:
  std::optional<std::filesystem::path> store_;
  std::optional<std::string> experiment_;
  std::vector<std::pair<std::string, std::string>> tags_;
  bool no_cache_ = false;
  slice_spec slice_;
  std::string inputs_from_;
  std::vector<std::pair<std::string, std::string>> overrides_;
  run_options base_;
  bool sequential_ = false;
  std::vector<std::shared_ptr<observer>> observers_;
};

}  // namespace typeflow
