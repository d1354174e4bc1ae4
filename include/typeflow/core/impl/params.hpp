#pragma once
// The definitions of core/params.hpp: parameter resolution and the params file (the one place
// in core that reads JSON).

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <typeinfo>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <typeflow/config.hpp>
#include <typeflow/core/definition.hpp>
#include <typeflow/core/errors.hpp>
#include <typeflow/core/param.hpp>
#include <typeflow/core/params.hpp>
#include <typeflow/core/pipeline.hpp>
#include <typeflow/detail/json_text.hpp>

namespace typeflow {

namespace detail {

TYPEFLOW_INLINE std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

TYPEFLOW_INLINE std::string param_suggestion(const definition& d, std::string_view name) {
  std::string best;
  std::size_t best_distance = 3;
  std::string all;
  for (const auto& nd : d.nodes) {
    if (nd.kind != node_kind::parameter) continue;
    all += (all.empty() ? "" : ", ") + std::string(nd.name);
    auto dist = edit_distance(name, nd.name);
    if (dist < best_distance) {
      best_distance = dist;
      best = std::string(nd.name);
    }
  }
  if (!best.empty()) return "; did you mean '" + best + "'?";
  if (all.empty()) return "; it has no parameters";
  return "; its parameters are: " + all;
}

TYPEFLOW_INLINE node_id find_param(const definition& d, const std::string& name,
                                   std::string_view text, std::string_view origin) {
  node_id u = d.find(name);
  if (u == none || d.nodes[u].kind != node_kind::parameter) {
    throw run_error("typeflow: unknown parameter '" + name + "' in pipeline '" + d.name +
                    "' (set to '" + std::string(text) + "' by " + std::string(origin) + ")" +
                    param_suggestion(d, name));
  }
  return u;
}

TYPEFLOW_INLINE std::shared_ptr<const void> parse_param_value(const definition& d, node_id u,
                                                              std::string_view text,
                                                              std::string_view origin) {
  const auto& spec = *d.nodes[u].param;
  std::string expected;
  auto value = spec.parse(text, expected);
  if (value) expected = failed_expectation(spec, value.get());
  if (!value || !expected.empty()) {
    throw run_error("typeflow: parameter '" + std::string(d.nodes[u].name) + "' (" +
                    spec.type_name + ") got '" + std::string(text) + "', expected " + expected +
                    " (set by " + std::string(origin) + ")");
  }
  return value;
}

/// The deepest nesting of arrays and objects a params file may have, counted outside strings
/// before the document is built (nlohmann's dump and copies recurse once per level).
inline constexpr std::size_t params_file_max_depth = param_json_max_depth;

/// The largest params file read: bigger ones (and endless ones, like /dev/zero) are refused.
inline constexpr std::size_t params_file_max_bytes = std::size_t{16} << 20;

TYPEFLOW_INLINE nlohmann::json read_params_file(const std::string& path) {
  auto fail = [&](const std::string& why) -> run_error {
    return run_error("typeflow: params file '" + path + "' " + why);
  };
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) throw fail("cannot be read: it does not exist");
  if (std::filesystem::is_directory(status)) throw fail("cannot be read: it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw fail("cannot be read: " + std::generic_category().message(errno));
  // At most params_file_max_bytes + 1 bytes: one more than allowed says the file is too big.
  std::string text;
  std::vector<char> chunk(std::size_t{1} << 16);
  while (in && text.size() <= params_file_max_bytes) {
    const auto want = std::min(chunk.size(), params_file_max_bytes + 1 - text.size());
    in.read(chunk.data(), static_cast<std::streamsize>(want));
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw fail("cannot be read: an input/output error");
  if (text.size() > params_file_max_bytes) {
    throw fail("is too big: a params file holds at most " +
               std::to_string(params_file_max_bytes >> 20) + " MiB");
  }
  if (auto at = json_too_deep_at(text, params_file_max_depth); at != std::string_view::npos) {
    throw fail("nests arrays and objects deeper than " + std::to_string(params_file_max_depth) +
               " levels (at byte " + std::to_string(at + 1) + ")");
  }
  // The top-level key being read, to name the field when a value is refused.
  std::string field;
  const nlohmann::json::parser_callback_t note_field =
      [&field](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        if (event == nlohmann::json::parse_event_t::key && depth == 1 && parsed.is_string())
          field = parsed.get<std::string>();
        return true;
      };
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text, note_field);
  } catch (const nlohmann::json::parse_error& e) {
    throw fail("is not valid JSON (parse error at byte " + std::to_string(e.byte) + ")");
  } catch (const nlohmann::json::exception& e) {
    // out_of_range 406: a number too big for a double, like 1e400.
    std::string what = e.what();
    if (auto pos = what.find("] "); pos != std::string::npos) what.erase(0, pos + 2);
    throw fail("cannot be read" + (field.empty() ? std::string() : " at field '" + field + "'") +
               ": " + what);
  }
  if (!doc.is_object()) {
    throw fail(std::string("holds a JSON ") + doc.type_name() +
               "; expected an object of parameter names to values, like {\"lr\": 0.05}");
  }
  return doc;
}

TYPEFLOW_INLINE param_values resolve_params(const definition& d, const param_sources& sources) {
  param_values values(d.nodes.size());
  std::vector<char> given(d.nodes.size(), 0);
  if (!sources.file.empty()) {
    const std::string origin = "params file '" + sources.file + "'";
    const nlohmann::json doc = read_params_file(sources.file);
    for (const auto& [name, value] : doc.items()) {
      // Strings are the text itself; other JSON values are their JSON text ("0.05", "[1,2]").
      // A JSON parameter takes any value as it is.
      std::string text;
      try {
        text = value.is_string() ? value.get<std::string>() : detail::json_text(value);
      } catch (const nlohmann::json::exception& e) {
        throw run_error("typeflow: " + origin + " cannot be read at field '" + name +
                        "': " + e.what());
      }
      node_id u = find_param(d, name, text, origin);
      if (d.nodes[u].param->type == &typeid(nlohmann::json)) text = detail::json_text(value);
      values[u] = parse_param_value(d, u, text, origin);
      given[u] = 1;
    }
  }
  // Only the parameter nodes: a pass over every node streams ~100 bytes per step.
  for (node_id u : d.parameters) {
    const std::string variable = param_environment_variable(d.nodes[u].name);
    if (const char* text = std::getenv(variable.c_str()); text != nullptr) {
      values[u] = parse_param_value(d, u, text, "environment variable " + variable);
      given[u] = 1;
    }
  }
  for (const auto& [name, text] : sources.overrides) {
    node_id u = find_param(d, name, text, sources.overrides_origin);
    values[u] = parse_param_value(d, u, text, sources.overrides_origin);
    given[u] = 1;
  }
  for (node_id u : d.parameters) {
    const auto& nd = d.nodes[u];
    if (given[u] != 0 || nd.param->delayed) continue;
    if (!nd.param->default_value) {
      throw run_error("typeflow: parameter '" + std::string(nd.name) + "' (" + nd.param->type_name +
                      ") is required and has no value; give it one with " +
                      sources.overrides_origin + ", a params file or the environment variable " +
                      param_environment_variable(nd.name));
    }
    values[u] = nd.param->default_value;
  }
  return values;
}

}  // namespace detail

TYPEFLOW_INLINE std::map<std::string, std::string> resolve_params(const pipeline& p,
                                                                  const param_sources& sources) {
  const auto& d = *p.definition();
  auto values = detail::resolve_params(d, sources);
  std::map<std::string, std::string> out;
  for (detail::node_id u = 0; u < d.nodes.size(); ++u) {
    if (!values[u]) continue;
    out.emplace(std::string(d.nodes[u].name), d.nodes[u].param->format(values[u].get()));
  }
  return out;
}

}  // namespace typeflow
