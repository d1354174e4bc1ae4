#pragma once
// The recorded form of a pipeline: nodes, ports, edges and policies, as plain data.
// The DSL appends to it; the executor, graph exports and the run store read it. It is
// append-only: node and port ids never change, so a run result can keep referring to it.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>
#include <vector>

#include <typeflow/core/errors.hpp>
#include <typeflow/core/name.hpp>
#include <typeflow/detail/box.hpp>

namespace typeflow {
class context;
}

namespace typeflow::detail {

using node_id = std::uint32_t;
using port_id = std::uint32_t;
inline constexpr std::uint32_t none = ~std::uint32_t{0};

/// What a step invocation sees: its inputs resolved to objects, whether each may be moved
/// from, where to put the output, and its context.
struct invocation {
  void* const* inputs = nullptr;
  const bool* movable = nullptr;
  box* output = nullptr;
  context* ctx = nullptr;
};

/// A step's callable with its wiring types baked in. Implemented in core/step.hpp.
class step_base {
 public:
  step_base() = default;
  step_base(const step_base&) = delete;
  step_base& operator=(const step_base&) = delete;
  virtual ~step_base() = default;
  virtual void invoke(invocation& call) = 0;
};

/// One selection step from a value to a part of it (a struct member or tuple element).
/// Two projections are the same part when apply and data are equal.
struct projection {
  void* (*apply)(void* whole, const projection& self) noexcept = nullptr;
  alignas(8) unsigned char data[16] = {};
  [[nodiscard]] bool same_as(const projection& other) const noexcept {
    return apply == other.apply && std::memcmp(data, other.data, sizeof data) == 0;
  }
};

/// A typed place a value can be read from: a node's whole output, or a part of a port.
struct port {
  node_id node = none;
  port_id parent = none;  ///< none for a node's whole output
  port_id first_child = none;
  port_id next_sibling = none;
  projection proj;
  const std::type_info* type = nullptr;
};

enum class node_kind : std::uint8_t { step, parameter };

/// The per-step policies set fluently on a step's handle (exec reads them).
struct step_policy {
  bool has_retry = false;    ///< else the run's default retry applies
  bool has_timeout = false;  ///< else the run's default timeout applies
  unsigned retries = 0;
  std::chrono::nanoseconds backoff{0};
  double backoff_factor = 2.0;
  std::function<bool(const std::exception_ptr&)> retry_if;  ///< empty: retry every failure
  std::string retry_if_text;                                ///< the exception types, for records
  std::chrono::nanoseconds timeout{0};                      ///< 0: none
  std::vector<std::pair<std::string, double>> resources;
  double cost = 1.0;
  bool keep_output = false;
};

/// A parameter's declared form; values are resolved per run.
struct param_spec {
  const std::type_info* type = nullptr;
  std::string type_name;                        ///< for manifests and errors ("double", ...)
  std::shared_ptr<const void> default_value;    ///< null: required
  void (*store)(box& out, const void* value) = nullptr;  ///< copies a value of the type into a box
  /// Parses text into a new value; on failure returns null and says what was expected.
  std::shared_ptr<const void> (*parse)(std::string_view text, std::string& expected) = nullptr;
};

struct node {
  std::string_view name;  ///< points into the definition's name arena
  node_kind kind = node_kind::step;
  const std::type_info* output_type = nullptr;  ///< typeid(void) for steps without output
  port_id whole = none;                         ///< none when the step returns void
  std::uint32_t first_input = 0;                ///< data inputs: inputs[first_input, +count)
  std::uint32_t input_count = 0;
  std::unique_ptr<step_base> impl;  ///< steps only
  std::unique_ptr<step_policy> policy;  ///< null: defaults
  std::unique_ptr<param_spec> param;    ///< parameters only
};

/// `after` must wait for `before` (an ordering edge without data).
struct order_edge {
  node_id before = none;
  node_id after = none;
};

/// Bump allocator for names, so views into it stay valid as the node vector grows.
class name_arena {
 public:
  std::string_view store(std::string_view s) {
    if (s.size() > left_) {
      std::size_t size = s.size() > block_size ? s.size() : block_size;
      blocks_.push_back(std::make_unique<char[]>(size));
      next_ = blocks_.back().get();
      left_ = size;
    }
    std::memcpy(next_, s.data(), s.size());
    std::string_view out{next_, s.size()};
    next_ += s.size();
    left_ -= s.size();
    return out;
  }

 private:
  static constexpr std::size_t block_size = 64 * 1024;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* next_ = nullptr;
  std::size_t left_ = 0;
};

/// Open-addressing index from name to node id (names live in the arena).
class name_index {
 public:
  [[nodiscard]] node_id find(std::string_view name, const std::vector<node>& nodes) const noexcept {
    if (slots_.empty()) return none;
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = std::hash<std::string_view>{}(name) & mask;; i = (i + 1) & mask) {
      node_id id = slots_[i];
      if (id == none) return none;
      if (nodes[id].name == name) return id;
    }
  }
  void insert(node_id id, const std::vector<node>& nodes) {
    if ((count_ + 1) * 2 > slots_.size()) grow(nodes);
    place(id, nodes);
    ++count_;
  }

 private:
  void place(node_id id, const std::vector<node>& nodes) {
    std::size_t mask = slots_.size() - 1;
    std::size_t i = std::hash<std::string_view>{}(nodes[id].name) & mask;
    while (slots_[i] != none) i = (i + 1) & mask;
    slots_[i] = id;
  }
  void grow(const std::vector<node>& nodes) {
    std::vector<node_id> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, none);
    for (node_id id : old) {
      if (id != none) place(id, nodes);
    }
  }
  std::vector<node_id> slots_;
  std::size_t count_ = 0;
};

struct definition {
  std::string name;
  std::vector<node> nodes;
  std::vector<port_id> inputs;  ///< data inputs of all steps, by node, in argument order
  std::vector<port> ports;
  std::vector<order_edge> order;
  name_arena names;
  name_index index;
  std::atomic<int> active_runs{0};  ///< definitions must not change while a run reads them

  [[nodiscard]] node_id find(std::string_view n) const noexcept { return index.find(n, nodes); }

  void check_not_running(std::string_view what) const {
    if (active_runs.load(std::memory_order_acquire) != 0) {
      throw definition_error("typeflow: cannot " + std::string(what) + " in pipeline '" + name +
                             "' while a run of it is in progress");
    }
  }

  /// Appends a node with a checked, unique name; returns its id.
  node_id add_node(std::string_view kind_word, std::string_view node_name, node_kind kind,
                   const std::type_info& output);

  /// The id of the port selecting `proj` inside `parent` (created on first use).
  port_id child_port(port_id parent, const projection& proj, const std::type_info& type) {
    for (port_id p = ports[parent].first_child; p != none; p = ports[p].next_sibling) {
      if (ports[p].proj.same_as(proj)) return p;
    }
    port child;
    child.node = ports[parent].node;
    child.parent = parent;
    child.next_sibling = ports[parent].first_child;
    child.proj = proj;
    child.type = &type;
    ports.push_back(child);
    auto id = static_cast<port_id>(ports.size() - 1);
    ports[parent].first_child = id;
    return id;
  }

  /// True when `a` and `b` read overlapping parts of one value (one contains the other).
  [[nodiscard]] bool overlap(port_id a, port_id b) const noexcept {
    auto contains = [&](port_id outer, port_id inner) {
      for (port_id p = inner; p != none; p = ports[p].parent) {
        if (p == outer) return true;
      }
      return false;
    };
    return contains(a, b) || contains(b, a);
  }

  /// Resolves a port to the object it designates inside its node's output value.
  [[nodiscard]] void* resolve(port_id p, void* whole) const noexcept {
    const port& pt = ports[p];
    if (pt.parent == none) return whole;
    return pt.proj.apply(resolve(pt.parent, whole), pt.proj);
  }

  step_policy& policy_of(node_id id) {
    auto& slot = nodes[id].policy;
    if (!slot) slot = std::make_unique<step_policy>();
    return *slot;
  }
};

inline node_id definition::add_node(std::string_view kind_word, std::string_view node_name,
                                    node_kind kind, const std::type_info& output) {
  check_not_running("add " + std::string(kind_word) + " '" + std::string(node_name) + "'");
  check_name(kind_word, node_name);
  if (node_id other = find(node_name); other != none) {
    throw definition_error("typeflow: duplicate name '" + std::string(node_name) + "' in pipeline '" +
                           name + "': it is already used by " +
                           (nodes[other].kind == node_kind::step ? "a step" : "a parameter") +
                           "; step and parameter names must be unique");
  }
  if (nodes.size() >= none - 1) throw definition_error("typeflow: too many nodes in pipeline '" + name + "'");
  node n;
  n.name = names.store(node_name);
  n.kind = kind;
  n.output_type = &output;
  nodes.push_back(std::move(n));
  auto id = static_cast<node_id>(nodes.size() - 1);
  index.insert(id, nodes);
  return id;
}
}  // namespace typeflow::detail
