#pragma once
// The definitions of pipeline's members that are not templates (core/pipeline.hpp).

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <typeflow/config.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/core/name.hpp>
#include <typeflow/core/pipeline.hpp>

namespace typeflow {

TYPEFLOW_INLINE pipeline::pipeline(std::string_view name)
    : def_(std::make_shared<detail::definition>()) {
  check_name("pipeline", name);
  def_->name = std::string(name);
}

TYPEFLOW_INLINE pipeline& pipeline::scene(std::string_view name,
                                          std::initializer_list<std::string_view> steps) {
  def_->check_not_running("declare a scene");
  check_name("scene", name);
  auto where = [&] {
    return "typeflow: scene '" + std::string(name) + "' of pipeline '" + def_->name + "'";
  };
  for (const auto& s : def_->scenes) {
    if (s.name == name) throw definition_error(where() + " is declared twice");
  }
  if (steps.size() == 0) throw definition_error(where() + " has no steps");
  detail::scene s{std::string(name), {}};
  for (auto step_name : steps) {
    auto id = def_->find(step_name);
    if (id == detail::none || def_->nodes[id].kind == detail::node_kind::parameter) {
      throw definition_error(where() + " names '" + std::string(step_name) +
                             "', which is not a step declared before it");
    }
    s.steps.push_back(id);
  }
  def_->scenes.push_back(std::move(s));
  return *this;
}

TYPEFLOW_INLINE void pipeline::bad_input(std::string_view step_name, std::uint32_t position,
                                         const detail::definition* owner) const {
  auto where = "typeflow: input " + std::to_string(position) + " of step '" +
               std::string(step_name) + "' in pipeline '" + def_->name + "'";
  if (owner == nullptr) throw definition_error(where + " is an empty handle");
  throw definition_error(where + " comes from pipeline '" + owner->name +
                         "'; handles can only be wired within their own pipeline");
}

}  // namespace typeflow
