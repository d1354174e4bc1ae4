#pragma once
// The recorded form of a pipeline: nodes, ports, edges and policies, as plain data.
// The DSL appends to it; the executor, graph exports and the run store read it. It is
// append-only: node and port ids never change, so a run result can keep referring to it.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>
#include <vector>

#include <typeflow/config.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/core/name.hpp>
#include <typeflow/detail/arena.hpp>
#include <typeflow/detail/big_allocator.hpp>
#include <typeflow/detail/box.hpp>
#include <typeflow/detail/ids.hpp>
#include <typeflow/detail/name_index.hpp>

namespace typeflow {
class context;
}

namespace typeflow::detail {

struct codec_ops;  // core/codec.hpp: how a node's output becomes bytes (the run store's)

/// What a step invocation sees: its inputs resolved to objects, whether each may be moved
/// from, where to put the output, and its context.
struct invocation {
  void* const* inputs = nullptr;  ///< null entries: absent (skipped by a condition)
  const bool* movable = nullptr;
  box* output = nullptr;
  context* ctx = nullptr;
  const void* outcome = nullptr;  ///< a run_outcome, for finally handlers
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

enum class node_kind : std::uint8_t {
  step,
  parameter,
  map,              ///< a step run once per element of its first input (a vector), in parallel
  finally_handler,  ///< runs after every other node, whatever happened
};

/// What a step is for, where the DSL made it: a plain step, the condition of a branch
/// (p.when), a quality gate (p.require) or the selector of two branch outputs (p.first_of).
/// Exports draw them apart and the structure hash covers it.
enum class node_role : std::uint8_t { plain, condition, gate, selector };

/// How a map node reaches into its vector input and gathers its results.
struct map_ops {
  std::size_t (*size)(const void* vec) = nullptr;
  void* (*element)(void* vec, std::size_t i) = nullptr;
  /// Moves the results (boxes of R) of the elements listed in `which` into `out` as the
  /// map's output type.
  void (*gather)(box& out, box* results, const std::vector<std::size_t>& which,
                 bool with_indices) = nullptr;
  const codec_ops* element_codec = nullptr;  ///< one element's result (R); null: R has none
  bool allow_partial = false;
};

/// Conditions on a node: a guard (a condition node whose bool output must equal a value)
/// and skip_if predicates over earlier outputs. Their inputs are read before the step runs.
struct node_control {
  node_id guard = none;
  bool guard_value = true;
  std::vector<port_id> skip_ports;
  std::function<bool(void* const* inputs)> skip_pred;
  std::string skip_reason;
};

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
  std::vector<std::string> executor_args;  ///< e.g. sbatch options, for launched steps
  double cost = 1.0;
  bool keep_output = false;
  bool persist = true;  ///< the run store saves the output as an artifact
  bool cache = true;    ///< the run store may serve the step from its cache
  std::string version;  ///< the user's version of the step's code, part of its cache key
};

/// A constraint on a parameter's value (.range, .choices, .validate), checked on the default
/// when it is declared and on every value a run is given, before anything runs.
struct param_check {
  enum class kind : std::uint8_t { range, choices, validate };
  kind what = kind::validate;
  std::string expected;                          ///< a valid value, in words: "a value from 0 to 1"
  std::function<bool(const void* value)> holds;  ///< may throw: the value fails the check
};

/// A parameter's declared form; values are resolved per run.
struct param_spec {
  const std::type_info* type = nullptr;
  std::string type_name;                      ///< for manifests and errors ("double", ...)
  std::shared_ptr<const void> default_value;  ///< null: required
  void (*store)(box& out, const void* value) = nullptr;  ///< copies a value of the type into a box
  /// Parses text into a new value; on failure returns null and says what was expected.
  std::shared_ptr<const void> (*parse)(std::string_view text, std::string& expected) = nullptr;
  std::string (*format)(const void* value) = nullptr;  ///< a value's text form
  std::string description;
  bool delayed = false;  ///< asked for (run_options::param_provider) when needed
  std::vector<param_check> checks;
  std::vector<std::string> choices;  ///< the allowed values as text (choices or enum names)
};

struct node {
  std::string_view name;  ///< points into the definition's name arena
  node_kind kind = node_kind::step;
  node_role role = node_role::plain;
  const std::type_info* output_type = nullptr;  ///< typeid(void) for steps without output
  port_id whole = none;                         ///< none when the step returns void
  std::uint32_t first_input = 0;                ///< data inputs: inputs[first_input, +count)
  std::uint32_t input_count = 0;
  std::unique_ptr<step_base, destroy_in_place> impl;  ///< steps only; lives in the step arena
  std::unique_ptr<step_policy> policy;                ///< null: defaults
  std::unique_ptr<param_spec> param;                  ///< parameters only
  const codec_ops* codec = nullptr;       ///< the output's codec; null: the type has none
  std::unique_ptr<node_control> control;  ///< null: unconditional
  std::unique_ptr<map_ops> map;           ///< map nodes only
};

/// A named subset of steps that can be run alone (a partial run), from pipeline::scene().
struct scene {
  std::string name;
  std::vector<node_id> steps;
};

/// `after` must wait for `before` (an ordering edge without data).
struct order_edge {
  node_id before = none;
  node_id after = none;
};

/// Every parameter's value for one run, by node id. Null for nodes that are not parameters
/// and for delayed parameters no source gave a value to: those are asked for when needed.
using param_values = big_vector<std::shared_ptr<const void>>;

struct definition {
  std::string name;
  object_arena arena;  ///< step objects; declared before nodes, so it outlives them
  big_vector<node> nodes;
  big_vector<port_id> inputs;  ///< data inputs of all steps, by node, in argument order
  /// Per input: 1 when it may be absent (a maybe<T> edge into a std::optional parameter).
  big_vector<std::uint8_t> input_tolerant;
  std::map<std::string, unsigned> auto_names;  ///< per prefix: when-1, require-1, ...
  big_vector<port> ports;
  big_vector<order_edge> order;
  std::vector<node_id> parameters;  ///< the parameter nodes, in declaration order
  std::vector<scene> scenes;
  name_arena names;
  name_index index;
  std::atomic<int> active_runs{0};  ///< definitions must not change while a run reads them

  definition() = default;
  definition(const definition&) = delete;
  definition& operator=(const definition&) = delete;
  /// Out of line: destroying the nodes, names and index is compiled once (compiled mode).
  TYPEFLOW_INLINE ~definition();

  [[nodiscard]] node_id find(std::string_view n) const noexcept {
    return index.find(n, [this](node_id id) { return nodes[id].name; });
  }

  /// Throws when a run reads this definition. The message is built only when it throws:
  /// this check runs for every step declared.
  void check_not_running(std::string_view verb, std::string_view subject = {}) const {
    if (active_runs.load(std::memory_order_acquire) != 0) throw_running(verb, subject);
  }
  [[noreturn]] TYPEFLOW_INLINE void throw_running(std::string_view verb,
                                                  std::string_view subject) const;

  /// Appends a node with a checked, unique name; returns its id.
  TYPEFLOW_INLINE node_id add_node(std::string_view kind_word, std::string_view node_name,
                                   node_kind kind, const std::type_info& output);

  /// Throws definition_error when `node_name` breaks the naming rule or is taken, naming
  /// `kind_word` ("gate", "condition") and what already has the name.
  TYPEFLOW_INLINE void check_free_name(std::string_view kind_word,
                                       std::string_view node_name) const;
  [[noreturn]] TYPEFLOW_INLINE void throw_duplicate(std::string_view kind_word,
                                                    std::string_view node_name,
                                                    node_id other) const;

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

  /// The ports a node reads besides its data inputs: its guard's output and skip_if inputs.
  template <class F>
  void for_each_extra_read(node_id id, F&& f) const {
    const auto& c = nodes[id].control;
    if (!c) return;
    if (c->guard != none) f(nodes[c->guard].whole);
    for (auto p : c->skip_ports) f(p);
  }

  node_control& control_of(node_id id) {
    auto& slot = nodes[id].control;
    if (!slot) slot = std::make_unique<node_control>();
    return *slot;
  }

  /// A generated name, unique in this definition, numbered per prefix: "when-1",
  /// "when-2", "require-1", ...
  TYPEFLOW_INLINE std::string auto_name(std::string_view prefix);

  step_policy& policy_of(node_id id) {
    auto& slot = nodes[id].policy;
    if (!slot) slot = std::make_unique<step_policy>();
    return *slot;
  }
};

}  // namespace typeflow::detail

#ifndef TYPEFLOW_COMPILED
#include <typeflow/core/impl/definition.hpp>
#endif
