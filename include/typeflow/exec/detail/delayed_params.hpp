#pragma once
// Delayed parameters in the run's plan. A delayed parameter no source gave a value to is asked
// for only when the first step that needs it is otherwise ready: each consumer counts its other
// predecessors, and when they have all resolved it "votes" for the parameters it waits on. The
// first vote from a consumer that will run makes the parameter due (it is asked for once); if
// every consumer voted without being able to run, it is due anyway, to be resolved unasked.

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include <typeflow/core/definition.hpp>

namespace typeflow::exec_detail {

class delayed_params {
 public:
  using node_id = detail::node_id;

  /// After the successor lists are built: finds the parameters to ask for (delayed, no value,
  /// read by some node) and gives each a virtual predecessor so that it is never a root; it is
  /// made ready by votes instead.
  void plan(const detail::definition& d, const std::vector<node_id>& params,
            const detail::param_values& values, const detail::big_vector<std::uint32_t>& succ_begin,
            const detail::big_vector<std::uint32_t>& succ,
            detail::big_vector<std::uint32_t>& in_degree) {
    const auto n = static_cast<node_id>(d.nodes.size());
    bool any = false;
    for (node_id u : params) {
      const bool read = succ_begin[u] != succ_begin[u + 1];
      if (!values[u] && read) {
        if (!any) asked_.assign(n, 0);
        asked_[u] = 1;
        any = true;
      }
    }
    if (!any) {
      asked_.clear();
      return;
    }
    others_ = std::make_unique<std::atomic<std::uint32_t>[]>(n);
    votes_ = std::make_unique<std::atomic<std::uint32_t>[]>(n);
    wanted_ = std::make_unique<std::atomic<bool>[]>(n);
    queued_ = std::make_unique<std::atomic<bool>[]>(n);
    waits_on_.assign(n, {});
    std::vector<std::uint32_t> asked_edges(n, 0);
    for (node_id p = 0; p < n; ++p) {
      if (asked_[p] == 0) continue;
      for (auto i = succ_begin[p]; i < succ_begin[p + 1]; ++i) {
        node_id v = succ[i];
        ++asked_edges[v];
        auto& list = waits_on_[v];
        if (list.empty() || list.back() != p) {
          list.push_back(p);
          votes_[p].fetch_add(1, std::memory_order_relaxed);
        }
      }
      in_degree[p] = 1;  // virtual: never a root
    }
    for (node_id v = 0; v < n; ++v) {
      others_[v].store(in_degree[v] - asked_edges[v], std::memory_order_relaxed);
    }
  }

  [[nodiscard]] bool any() const noexcept { return !asked_.empty(); }
  /// True for a parameter that is asked for when needed.
  [[nodiscard]] bool asked(node_id u) const noexcept { return !asked_.empty() && asked_[u] != 0; }
  /// True once a consumer that will run has voted for parameter `p`.
  [[nodiscard]] bool wanted(node_id p) const noexcept {
    return wanted_[p].load(std::memory_order_acquire);
  }

  /// At the start: consumers that wait on nothing but delayed parameters vote at once.
  /// `will_run(v)` says whether v would run; `due(p)` makes parameter p ready.
  template <class WillRun, class Due>
  void start(WillRun&& will_run, Due&& due) {
    if (!any()) return;
    for (node_id v = 0; v < waits_on_.size(); ++v) {
      if (!waits_on_[v].empty() && others_[v].load(std::memory_order_acquire) == 0) {
        vote(v, will_run(v), due);
      }
    }
  }

  /// From finish(u), for each successor edge u -> v, after v's blocker has been updated.
  template <class WillRun, class Due>
  void resolved(node_id u, node_id v, WillRun&& will_run, Due&& due) {
    if (!any() || asked_[u] != 0 || waits_on_[v].empty()) return;
    if (others_[v].fetch_sub(1, std::memory_order_acq_rel) == 1) vote(v, will_run(v), due);
  }

 private:
  template <class Due>
  void vote(node_id v, bool will_run, Due& due) {
    for (node_id p : waits_on_[v]) {
      if (will_run) {
        wanted_[p].store(true, std::memory_order_release);
        if (!queued_[p].exchange(true, std::memory_order_acq_rel)) due(p);
      }
      // The last vote makes the parameter due even when no consumer will run, so that it
      // resolves (unasked) and the run can end.
      if (votes_[p].fetch_sub(1, std::memory_order_acq_rel) == 1 &&
          !queued_[p].exchange(true, std::memory_order_acq_rel)) {
        due(p);
      }
    }
  }

  std::vector<char> asked_;                               ///< empty when the run asks for nothing
  std::unique_ptr<std::atomic<std::uint32_t>[]> others_;  ///< per consumer: other predecessors left
  std::unique_ptr<std::atomic<std::uint32_t>[]> votes_;   ///< per parameter: consumers yet to vote
  std::unique_ptr<std::atomic<bool>[]> wanted_;
  std::unique_ptr<std::atomic<bool>[]> queued_;
  std::vector<std::vector<node_id>> waits_on_;  ///< per consumer: the parameters it waits on
};

}  // namespace typeflow::exec_detail
