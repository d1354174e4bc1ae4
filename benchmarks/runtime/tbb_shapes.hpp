#pragma once
// The same shapes written with oneTBB's flow graph: continue_node per step (its body does the
// same work), make_edge per ordering edge, try_put on the roots, wait_for_all. Parallelism is
// capped by the tbb::global_control that main() holds. Nodes live in a std::deque, which never
// relocates them (one allocation per few nodes, the friendliest storage for TBB).

#include <cstddef>
#include <deque>
#include <memory>
#include <utility>
#include <vector>

#include <tbb/flow_graph.h>

#include "common.hpp"

namespace bench::tbbfg {

namespace fg = tbb::flow;
using node = fg::continue_node<fg::continue_msg>;

template <class Work>
auto body(Work work) {
  return [work](const fg::continue_msg&) { work(); };
}

template <class Work>
bool chain(std::size_t n, Work work) {
  fg::graph g;
  std::deque<node> nodes;
  nodes.emplace_back(g, body(work));
  for (std::size_t i = 1; i < n; ++i) {
    nodes.emplace_back(g, body(work));
    fg::make_edge(nodes[i - 1], nodes[i]);
  }
  nodes.front().try_put(fg::continue_msg{});
  g.wait_for_all();
  return true;
}

template <class Work>
bool binary_tree(unsigned depth, Work work) {
  const std::size_t n = (std::size_t{1} << depth) - 1;
  fg::graph g;
  std::deque<node> nodes;
  nodes.emplace_back(g, body(work));
  for (std::size_t i = 1; i < n; ++i) {
    nodes.emplace_back(g, body(work));
    fg::make_edge(nodes[(i - 1) / 2], nodes[i]);
  }
  nodes.front().try_put(fg::continue_msg{});
  g.wait_for_all();
  return true;
}

template <class Work>
bool wavefront(std::size_t side, Work work) {
  fg::graph g;
  std::deque<node> nodes;
  for (std::size_t i = 0; i < side; ++i) {
    for (std::size_t j = 0; j < side; ++j) {
      nodes.emplace_back(g, body(work));
      node& self = nodes.back();
      if (i > 0) fg::make_edge(nodes[(i - 1) * side + j], self);
      if (j > 0) fg::make_edge(nodes[i * side + j - 1], self);
    }
  }
  nodes.front().try_put(fg::continue_msg{});
  g.wait_for_all();
  return true;
}

template <class Work>
bool fan_out_in(std::size_t width, Work work) {
  fg::graph g;
  std::deque<node> nodes;
  nodes.emplace_back(g, body(work));  // source
  node& source = nodes.front();
  for (std::size_t i = 0; i < width; ++i) {
    nodes.emplace_back(g, body(work));
    fg::make_edge(source, nodes.back());
  }
  node sink(g, body(work));
  for (std::size_t i = 1; i <= width; ++i) fg::make_edge(nodes[i], sink);
  source.try_put(fg::continue_msg{});
  g.wait_for_all();
  return true;
}

// The payload chain. oneTBB 2021's function_node hands its body `const Input&` and copies the
// message into the task that runs the body, so a std::vector<float> message cannot be moved
// along. Two versions:
//  - payload_chain (the one compared): messages are std::shared_ptr<std::vector<float>>; each
//    node is the only holder of the buffer while it runs and adds 1 in place. This is the
//    closest honest equivalent of typeflow's moves: same work, no copy of the buffer.
//  - payload_chain_by_value: function_node<std::vector<float>, std::vector<float>>, the body
//    copies its const input, adds 1 and returns the copy (plus TBB's copy into the task).

inline bool payload_chain(std::size_t passes) {
  using msg = std::shared_ptr<std::vector<float>>;
  fg::graph g;
  bool produced = false;
  fg::input_node<msg> source(g, [&produced](tbb::flow_control& fc) -> msg {
    if (produced) {
      fc.stop();
      return {};
    }
    produced = true;
    return std::make_shared<std::vector<float>>(payload_floats, 0.f);
  });
  msg result;
  std::deque<fg::function_node<msg, msg>> nodes;
  for (std::size_t i = 0; i < passes; ++i) {
    msg* sink = i + 1 == passes ? &result : nullptr;
    nodes.emplace_back(g, fg::unlimited, [sink](const msg& m) {
      add_one(*m);
      if (sink != nullptr) *sink = m;
      return m;
    });
    if (i == 0) {
      fg::make_edge(source, nodes.back());
    } else {
      fg::make_edge(nodes[i - 1], nodes.back());
    }
  }
  source.activate();
  g.wait_for_all();
  return result && result->size() == payload_floats &&
         result->front() == static_cast<float>(passes);
}

inline bool payload_chain_by_value(std::size_t passes) {
  using msg = std::vector<float>;
  fg::graph g;
  bool produced = false;
  fg::input_node<msg> source(g, [&produced](tbb::flow_control& fc) -> msg {
    if (produced) {
      fc.stop();
      return {};
    }
    produced = true;
    return msg(payload_floats, 0.f);
  });
  msg result;
  std::deque<fg::function_node<msg, msg>> nodes;
  for (std::size_t i = 0; i < passes; ++i) {
    msg* sink = i + 1 == passes ? &result : nullptr;
    nodes.emplace_back(g, fg::unlimited, [sink](const msg& in) {
      msg out = in;
      add_one(out);
      if (sink != nullptr) {  // the last node: nobody reads its output
        *sink = std::move(out);
        return msg{};
      }
      return out;
    });
    if (i == 0) {
      fg::make_edge(source, nodes.back());
    } else {
      fg::make_edge(nodes[i - 1], nodes.back());
    }
  }
  source.activate();
  g.wait_for_all();
  return result.size() == payload_floats && result.front() == static_cast<float>(passes);
}

}  // namespace bench::tbbfg
