#include <typeflow/core/params.hpp>

#include <nlohmann/json.hpp>  // a parameter of type nlohmann::json needs the full header

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tyf = typeflow;

namespace {
enum class Optimizer { adam, sgd, rms_prop = 5 };
enum Legacy { legacy_first, legacy_second };  // no fixed underlying type: named by hand

/// Sets an environment variable for the lifetime of the guard.
struct env_var {
  std::string name;
  env_var(std::string n, const char* value) : name(std::move(n)) {
    ::setenv(name.c_str(), value, 1);
  }
  env_var(const env_var&) = delete;
  env_var& operator=(const env_var&) = delete;
  ~env_var() { ::unsetenv(name.c_str()); }
};

/// A path in this process's own temporary folder, removed at exit (tests never write into
/// the working directory).
std::string temp_path(const std::string& name) {
  struct folder {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("typeflow-core-params-" + std::to_string(::getpid()));
    folder() { std::filesystem::create_directories(path); }
    folder(const folder&) = delete;
    folder& operator=(const folder&) = delete;
    ~folder() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  };
  static const folder dir;
  return (dir.path / name).string();
}

std::string write_file(const std::string& name, const std::string& text) {
  auto path = temp_path(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

tyf::param_sources with(std::vector<std::pair<std::string, std::string>> overrides,
                        std::string file = {}) {
  tyf::param_sources s;
  s.overrides = std::move(overrides);
  s.file = std::move(file);
  return s;
}

bool power_of_two(int x) { return x > 0 && (x & (x - 1)) == 0; }

/// The pipeline most tests below use.
struct sweep {
  tyf::pipeline p{"sweep"};
  tyf::param<double> lr = p.param<double>("lr", 0.1).describe("learning rate").range(0.0, 1.0);
  tyf::param<int> batch = p.param<int>("batch", 32).validate(power_of_two, "a power of two");
  tyf::param<std::string> optimizer =
      p.param<std::string>("optimizer", "adam").choices({"adam", "sgd"});
  tyf::param<Optimizer> kind = p.param<Optimizer>("kind", Optimizer::sgd);
  tyf::param<std::vector<int>> layers = p.param<std::vector<int>>("layers", {64, 32}).range(1, 512);
  tyf::param<bool> shuffle = p.param<bool>("shuffle", true);
  tyf::param<nlohmann::json> settings =
      p.param<nlohmann::json>("settings", nlohmann::json{{"seed", 1}});
  tyf::param<std::string> data = p.param<std::string>("data-dir").describe("where the data is");
};
}  // namespace

template <>
struct typeflow::enum_names<Legacy> {
  static constexpr std::pair<Legacy, std::string_view> value[] = {{legacy_first, "first"},
                                                                  {legacy_second, "second"}};
};

TEST_CASE("parameter types: only the supported ones") {
  STATIC_REQUIRE(tyf::param_type<bool>);
  STATIC_REQUIRE(tyf::param_type<int>);
  STATIC_REQUIRE(tyf::param_type<std::uint64_t>);
  STATIC_REQUIRE(tyf::param_type<double>);
  STATIC_REQUIRE(tyf::param_type<std::string>);
  STATIC_REQUIRE(tyf::param_type<Optimizer>);
  STATIC_REQUIRE(tyf::param_type<Legacy>);
  STATIC_REQUIRE(tyf::param_type<std::vector<std::string>>);
  STATIC_REQUIRE(tyf::param_type<std::vector<Optimizer>>);
  STATIC_REQUIRE(tyf::param_type<nlohmann::json>);
  STATIC_REQUIRE(!tyf::param_type<char>);
  STATIC_REQUIRE(!tyf::param_type<const char*>);
  STATIC_REQUIRE(!tyf::param_type<std::vector<std::vector<int>>>);
  STATIC_REQUIRE(!tyf::param_type<std::map<std::string, int>>);
  enum Unnamed { u_one };
  STATIC_REQUIRE(!tyf::param_type<Unnamed>);
}

TEST_CASE("p.params() describes every parameter for manifests and help") {
  sweep s;
  auto all = s.p.params();
  REQUIRE(all.size() == 8);
  const auto& lr = all[0];
  REQUIRE(lr.name == "lr");
  REQUIRE(lr.type == "double");
  REQUIRE(lr.default_value == "0.1");
  REQUIRE(lr.description == "learning rate");
  REQUIRE(lr.constraints == "a value from 0 to 1");
  REQUIRE_FALSE(lr.required);
  REQUIRE_FALSE(lr.delayed);
  REQUIRE(lr.environment_variable == "TYPEFLOW_PARAM_LR");
  REQUIRE(all[1].constraints == "a power of two");
  REQUIRE(all[2].choices == std::vector<std::string>{"adam", "sgd"});
  REQUIRE(all[2].constraints == "one of: adam, sgd");
  REQUIRE(all[3].type == "(anonymous namespace)::Optimizer");
  REQUIRE(all[3].default_value == "sgd");
  REQUIRE(all[3].choices == std::vector<std::string>{"adam", "sgd", "rms_prop"});
  REQUIRE(all[4].type == "std::vector<int>");
  REQUIRE(all[4].default_value == "[64,32]");
  REQUIRE(all[4].constraints == "each element from 1 to 512");
  REQUIRE(all[5].default_value == "true");
  REQUIRE(all[6].type == "nlohmann::json");
  REQUIRE(all[6].default_value == R"({"seed":1})");
  const auto& data = all[7];
  REQUIRE(data.type == "std::string");
  REQUIRE_FALSE(data.default_value.has_value());
  REQUIRE(data.required);
  REQUIRE(data.environment_variable == "TYPEFLOW_PARAM_DATA_DIR");
  s.data.delayed();
  REQUIRE(s.p.params()[7].delayed);
  s.lr.required();
  REQUIRE(s.p.params()[0].required);
}

TEST_CASE("a default outside its own constraints is a definition error") {
  tyf::pipeline p{"defaults"};
  REQUIRE_THROWS_MATCHES(p.param<double>("lr", 5.0).range(0.0, 1.0), tyf::definition_error,
                         Catch::Message("typeflow: parameter 'lr' (double) has default '5', "
                                        "expected a value from 0 to 1"));
  REQUIRE_THROWS_WITH(p.param<std::string>("opt", "adagrad").choices({"adam", "sgd"}),
                      "typeflow: parameter 'opt' (std::string) has default 'adagrad', expected "
                      "one of: adam, sgd");
  REQUIRE_THROWS_WITH(
      p.param<int>("batch", 12).validate(power_of_two, "a power of two"),
      "typeflow: parameter 'batch' (int) has default '12', expected a power of two");
  REQUIRE_THROWS_WITH(p.param<std::vector<int>>("sizes", {1, 900}).range(1, 512),
                      "typeflow: parameter 'sizes' (std::vector<int>) has default '[1,900]', "
                      "expected each element from 1 to 512");
  REQUIRE_THROWS_WITH(p.param<int>("empty-range", 1).range(3, 2),
                      "typeflow: .range() on parameter 'empty-range' (int): the low end 3 is "
                      "above the high end 2");
  REQUIRE_THROWS_WITH(p.param<int>("no-choice", 1).choices({}),
                      "typeflow: .choices() on parameter 'no-choice' (int): give at least one "
                      "allowed value");
  REQUIRE_THROWS_WITH(p.param<int>("silent", 1).validate(power_of_two, ""),
                      "typeflow: .validate() on parameter 'silent' (int): say what the check "
                      "checks, e.g. \"a power of two\"");
  // A required parameter has no default to check; a later range replaces the earlier one.
  auto epochs = p.param<int>("epochs").range(1, 10).range(1, 100);
  REQUIRE(p.params().back().constraints == "a value from 1 to 100");
  (void)epochs;
}

TEST_CASE("values parse by type, from text") {
  sweep s;
  auto values = tyf::resolve_params(s.p, with({{"data-dir", "/data"},
                                               {"lr", "0.05"},
                                               {"batch", "64"},
                                               {"optimizer", "sgd"},
                                               {"kind", "rms_prop"},
                                               {"layers", " 128, 64 ,8"},
                                               {"shuffle", "off"},
                                               {"settings", R"({"seed": 7, "tags": ["a"]})"}}));
  REQUIRE(values == std::map<std::string, std::string>{{"batch", "64"},
                                                       {"data-dir", "/data"},
                                                       {"kind", "rms_prop"},
                                                       {"layers", "[128,64,8]"},
                                                       {"lr", "0.05"},
                                                       {"optimizer", "sgd"},
                                                       {"settings", R"({"seed":7,"tags":["a"]})"},
                                                       {"shuffle", "false"}});
  // Lists also as JSON arrays; an empty text is an empty list.
  REQUIRE(tyf::resolve_params(s.p, with({{"data-dir", "x"}, {"layers", "[1, 2]"}})).at("layers") ==
          "[1,2]");
  tyf::pipeline p{"lists"};
  auto names = p.param<std::vector<std::string>>("names", {});
  auto kinds = p.param<std::vector<Optimizer>>("kinds", {Optimizer::adam});
  auto legacy = p.param<Legacy>("legacy", legacy_first);
  (void)names, (void)kinds, (void)legacy;
  auto v = tyf::resolve_params(
      p, with({{"names", R"(["a,b", "c"])"}, {"kinds", "sgd,adam"}, {"legacy", "second"}}));
  REQUIRE(v.at("names") == R"(["a,b","c"])");
  REQUIRE(v.at("kinds") == R"(["sgd","adam"])");
  REQUIRE(v.at("legacy") == "second");
  REQUIRE(tyf::resolve_params(p, with({{"names", ""}})).at("names") == "[]");
}

TEST_CASE("a value that does not parse names the parameter, the value and what was expected") {
  sweep s;
  auto fails = [&](std::string name, std::string value) {
    return [&s, name, value] {
      (void)tyf::resolve_params(s.p, with({{"data-dir", "x"}, {name, value}}));
    };
  };
  REQUIRE_THROWS_MATCHES(
      fails("lr", "fast")(), tyf::run_error,
      Catch::Message("typeflow: parameter 'lr' (double) got 'fast', expected a finite "
                     "number (set by run_options::set)"));
  REQUIRE_THROWS_WITH(fails("batch", "3.5")(),
                      "typeflow: parameter 'batch' (int) got '3.5', expected an integer from "
                      "-2147483648 to 2147483647 (set by run_options::set)");
  REQUIRE_THROWS_WITH(fails("shuffle", "maybe")(),
                      "typeflow: parameter 'shuffle' (bool) got 'maybe', expected a boolean "
                      "(true/false, yes/no, on/off, 1/0) (set by run_options::set)");
  REQUIRE_THROWS_WITH(fails("kind", "Adam")(),
                      "typeflow: parameter 'kind' ((anonymous namespace)::Optimizer) got 'Adam', "
                      "expected one of: adam, sgd, rms_prop (set by run_options::set)");
  REQUIRE_THROWS_WITH(fails("layers", "64,x")(),
                      "typeflow: parameter 'layers' (std::vector<int>) got '64,x', expected a "
                      "JSON array or a comma-separated list, each element an integer from "
                      "-2147483648 to 2147483647 (set by run_options::set)");
  REQUIRE_THROWS_WITH(fails("layers", "[64,")(),
                      "typeflow: parameter 'layers' (std::vector<int>) got '[64,', expected a "
                      "JSON array or a comma-separated list, each element an integer from "
                      "-2147483648 to 2147483647 (set by run_options::set)");
  REQUIRE_THROWS_WITH(fails("settings", "{seed: 1}")(),
                      "typeflow: parameter 'settings' (nlohmann::json) got '{seed: 1}', expected "
                      "a JSON value (set by run_options::set)");
}

TEST_CASE("a value outside its range or choices, or failing its check, is refused") {
  sweep s;
  auto fails = [&](std::string name, std::string value) {
    return [&s, name, value] {
      (void)tyf::resolve_params(s.p, with({{"data-dir", "x"}, {name, value}}));
    };
  };
  REQUIRE_THROWS_WITH(fails("lr", "1.5")(),
                      "typeflow: parameter 'lr' (double) got '1.5', expected a value from 0 to 1 "
                      "(set by run_options::set)");
  REQUIRE_THROWS_WITH(fails("optimizer", "adagrad")(),
                      "typeflow: parameter 'optimizer' (std::string) got 'adagrad', expected one "
                      "of: adam, sgd (set by run_options::set)");
  REQUIRE_THROWS_WITH(fails("batch", "48")(),
                      "typeflow: parameter 'batch' (int) got '48', expected a power of two (set by "
                      "run_options::set)");
  REQUIRE_THROWS_WITH(fails("layers", "[64, 0]")(),
                      "typeflow: parameter 'layers' (std::vector<int>) got '[64, 0]', expected "
                      "each element from 1 to 512 (set by run_options::set)");
  // A check that throws fails the value, and says so.
  tyf::pipeline p{"throwing"};
  auto n = p.param<int>("n", 1).validate(
      [](int x) {
        if (x > 9) throw std::out_of_range("too big");
        return true;
      },
      "a small number");
  (void)n;
  REQUIRE_THROWS_WITH(tyf::resolve_params(p, with({{"n", "10"}})),
                      "typeflow: parameter 'n' (int) got '10', expected a small number (the check "
                      "threw: too big) (set by run_options::set)");
}

TEST_CASE("an unknown parameter name gets a 'did you mean' or the list of parameters") {
  sweep s;
  REQUIRE_THROWS_WITH(tyf::resolve_params(s.p, with({{"data-dir", "x"}, {"Lr", "0.1"}})),
                      "typeflow: unknown parameter 'Lr' in pipeline 'sweep' (set to '0.1' by "
                      "run_options::set); did you mean 'lr'?");
  REQUIRE_THROWS_WITH(tyf::resolve_params(s.p, with({{"momentum", "0.9"}})),
                      "typeflow: unknown parameter 'momentum' in pipeline 'sweep' (set to '0.9' "
                      "by run_options::set); its parameters are: lr, batch, optimizer, kind, "
                      "layers, shuffle, settings, data-dir");
  tyf::pipeline empty{"empty"};
  auto step = empty.step("step", [] { return 1; });
  (void)step;
  REQUIRE_THROWS_WITH(tyf::resolve_params(empty, with({{"step", "1"}})),
                      "typeflow: unknown parameter 'step' in pipeline 'empty' (set to '1' by "
                      "run_options::set); it has no parameters");
  // The command line names its own overrides.
  auto cli = with({{"lrr", "1"}});
  cli.overrides_origin = "--param";
  REQUIRE_THROWS_WITH(tyf::resolve_params(s.p, cli),
                      "typeflow: unknown parameter 'lrr' in pipeline 'sweep' (set to '1' by "
                      "--param); did you mean 'lr'?");
}

TEST_CASE("a required parameter without a value stops the run before it starts") {
  sweep s;
  REQUIRE_THROWS_MATCHES(tyf::resolve_params(s.p), tyf::run_error,
                         Catch::Message("typeflow: parameter 'data-dir' (std::string) is required "
                                        "and has no value; give it one with run_options::set, a "
                                        "params file or the environment variable "
                                        "TYPEFLOW_PARAM_DATA_DIR"));
  // .required() drops a default.
  s.lr.required();
  REQUIRE_THROWS_WITH(tyf::resolve_params(s.p, with({{"data-dir", "x"}})),
                      "typeflow: parameter 'lr' (double) is required and has no value; give it "
                      "one with run_options::set, a params file or the environment variable "
                      "TYPEFLOW_PARAM_LR");
  // A delayed one is asked for later instead; resolution leaves it out.
  s.lr.delayed();
  auto values = tyf::resolve_params(s.p, with({{"data-dir", "x"}}));
  REQUIRE(values.count("lr") == 0);
  REQUIRE(values.at("batch") == "32");
}

TEST_CASE("sources: defaults < params file < environment < overrides") {
  sweep s;
  auto file = write_file("sources.json", R"({"lr": 0.2, "batch": "16", "layers": [8, 4],
      "optimizer": "sgd", "shuffle": false, "settings": {"seed": 3}, "data-dir": "/file"})");
  auto from_file = tyf::resolve_params(s.p, with({}, file));
  REQUIRE(from_file == std::map<std::string, std::string>{{"batch", "16"},
                                                          {"data-dir", "/file"},
                                                          {"kind", "sgd"},
                                                          {"layers", "[8,4]"},
                                                          {"lr", "0.2"},
                                                          {"optimizer", "sgd"},
                                                          {"settings", R"({"seed":3})"},
                                                          {"shuffle", "false"}});
  env_var lr("TYPEFLOW_PARAM_LR", "0.3");
  env_var dir("TYPEFLOW_PARAM_DATA_DIR", "/env");
  auto from_env = tyf::resolve_params(s.p, with({}, file));
  REQUIRE(from_env.at("lr") == "0.3");
  REQUIRE(from_env.at("data-dir") == "/env");
  REQUIRE(from_env.at("batch") == "16");
  auto overridden = tyf::resolve_params(s.p, with({{"lr", "0.4"}, {"lr", "0.5"}}, file));
  REQUIRE(overridden.at("lr") == "0.5");  // the later override wins
  REQUIRE(overridden.at("data-dir") == "/env");
  // Every value given is checked, even one a later source overrides.
  env_var bad("TYPEFLOW_PARAM_BATCH", "7");
  REQUIRE_THROWS_WITH(tyf::resolve_params(s.p, with({{"batch", "8"}}, file)),
                      "typeflow: parameter 'batch' (int) got '7', expected a power of two (set by "
                      "environment variable TYPEFLOW_PARAM_BATCH)");
}

TEST_CASE("params file errors name the file") {
  sweep s;
  const auto missing = temp_path("no-such-file.json");
  REQUIRE_THROWS_MATCHES(
      tyf::resolve_params(s.p, with({}, missing)), tyf::run_error,
      Catch::Message("typeflow: params file '" + missing + "' cannot be read: it does not exist"));
  const auto dir = temp_path("params-dir");
  std::filesystem::create_directories(dir);
  REQUIRE_THROWS_WITH(tyf::resolve_params(s.p, with({}, dir)),
                      "typeflow: params file '" + dir + "' cannot be read: it is a directory");
  const auto bad = write_file("bad.json", "{\"lr\": 0.1,}");
  REQUIRE_THROWS_WITH(
      tyf::resolve_params(s.p, with({}, bad)),
      "typeflow: params file '" + bad + "' is not valid JSON (parse error at byte 12)");
  const auto list = write_file("list.json", "[1, 2]");
  REQUIRE_THROWS_WITH(tyf::resolve_params(s.p, with({}, list)),
                      "typeflow: params file '" + list +
                          "' holds a JSON array; expected an object of parameter names to "
                          "values, like {\"lr\": 0.05}");
  const auto unknown = write_file("unknown.json", R"({"batchs": 8})");
  REQUIRE_THROWS_WITH(tyf::resolve_params(s.p, with({}, unknown)),
                      "typeflow: unknown parameter 'batchs' in pipeline 'sweep' (set to '8' by "
                      "params file '" +
                          unknown + "'); did you mean 'batch'?");
  const auto wrong = write_file("wrong.json", R"({"lr": "high"})");
  REQUIRE_THROWS_WITH(
      tyf::resolve_params(s.p, with({}, wrong)),
      "typeflow: parameter 'lr' (double) got 'high', expected a finite number (set by "
      "params file '" +
          wrong + "')");
  const auto typed = write_file("typed.json", R"({"lr": [0.1]})");
  REQUIRE_THROWS_WITH(
      tyf::resolve_params(s.p, with({}, typed)),
      "typeflow: parameter 'lr' (double) got '[0.1]', expected a finite number (set by "
      "params file '" +
          typed + "')");
}

TEST_CASE("params file bounds: depth, size and numbers out of range name the file") {
  sweep s;
  // 200,000 levels crashed the process (nlohmann recurses once per level).
  const auto deep = write_file(
      "deep.json", "{\"settings\": " + std::string(200000, '[') + std::string(200000, ']') + "}");
  REQUIRE_THROWS_WITH(tyf::resolve_params(s.p, with({}, deep)),
                      "typeflow: params file '" + deep +
                          "' nests arrays and objects deeper than 512 levels (at byte 525)");
  // Brackets inside strings do not count; 512 levels are allowed.
  const auto ok = write_file("ok.json", "{\"settings\": [\"[[[[{{\\\"\", " + std::string(510, '[') +
                                            std::string(510, ']') + "]}");
  REQUIRE_NOTHROW(tyf::resolve_params(s.p, with({{"data-dir", "/data"}}, ok)));
  // 1e400 escaped as nlohmann's out_of_range, without the file's name.
  const auto huge = write_file("huge.json", R"({"lr": 0.5, "batch": 1e400})");
  REQUIRE_THROWS_MATCHES(tyf::resolve_params(s.p, with({}, huge)), tyf::run_error,
                         Catch::Message("typeflow: params file '" + huge +
                                        "' cannot be read at field 'batch': number overflow "
                                        "parsing '1e400'"));
  // Bigger than 16 MiB: refused, having read no more than that.
  const auto big = write_file("big.json", "{\"data-dir\": \"" + std::string(16 << 20, 'x') + "\"}");
  REQUIRE_THROWS_WITH(
      tyf::resolve_params(s.p, with({}, big)),
      "typeflow: params file '" + big + "' is too big: a params file holds at most 16 MiB");
  // An endless file read until memory ran out.
  REQUIRE_THROWS_WITH(
      tyf::resolve_params(s.p, with({}, "/dev/zero")),
      "typeflow: params file '/dev/zero' is too big: a params file holds at most 16 MiB");
}

// Found by fuzz/param_text and fuzz/params (issue 15): a vector or JSON parameter's text nested
// 200,000 levels deep (from --param, run_options::set or TYPEFLOW_PARAM_*) overflowed the stack
// in nlohmann's dump; only the params file was bounded.
TEST_CASE("parameter texts nested deeper than 512 levels are refused, wherever they come from") {
  sweep s;
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  REQUIRE_THROWS_AS(tyf::resolve_params(s.p, with({{"layers", deep}, {"data-dir", "/d"}})),
                    tyf::run_error);
  REQUIRE_THROWS_WITH(
      tyf::resolve_params(s.p, with({{"settings", deep}, {"data-dir", "/d"}})),
      Catch::Contains("parameter 'settings'") &&
          Catch::Contains("expected a JSON value nesting arrays and objects at most 512 levels "
                          "deep (set by run_options::set)"));
  {
    env_var settings("TYPEFLOW_PARAM_SETTINGS", deep.c_str());
    REQUIRE_THROWS_WITH(tyf::resolve_params(s.p, with({{"data-dir", "/d"}})),
                        Catch::Contains("environment variable TYPEFLOW_PARAM_SETTINGS"));
  }
  // 512 levels are allowed, as in a params file.
  const std::string ok = std::string(512, '[') + std::string(512, ']');
  REQUIRE(tyf::resolve_params(s.p, with({{"settings", ok}, {"data-dir", "/d"}})).at("settings") ==
          ok);
}

TEST_CASE("enum names: read from the compiler, or given by enum_names") {
  using tyf::detail::enum_entries;
  REQUIRE(enum_entries<Optimizer>().size() == 3);
  REQUIRE(enum_entries<Optimizer>()[2] ==
          std::pair{Optimizer::rms_prop, std::string_view("rms_prop")});
  REQUIRE(enum_entries<Legacy>().size() == 2);
  REQUIRE(enum_entries<Legacy>()[1].second == "second");
  REQUIRE(tyf::detail::param_codec<Optimizer>::format(static_cast<Optimizer>(9)) == "9");
}

TEST_CASE("NaN and infinity are refused as floating-point parameters, alone or in lists") {
  // A list wrote NaN as JSON null, which did not parse back (fuzz finding,
  // fuzz/corpus/param_text/regression-vector-nan); infinity was already refused.
  std::string expected;
  for (const char* text : {"nan", "-nan", "NAN", "nan(0x1)", "inf", "-inf", "infinity"}) {
    INFO(text);
    double one = 0;
    REQUIRE_FALSE(tyf::detail::param_codec<double>::parse(text, one, expected));
    REQUIRE(expected == "a finite number");
    float small = 0;
    REQUIRE_FALSE(tyf::detail::param_codec<float>::parse(text, small, expected));
    std::vector<double> list;
    REQUIRE_FALSE(tyf::detail::param_codec<std::vector<double>>::parse(
        std::string("\nnan, ") + text, list, expected));
    REQUIRE_FALSE(tyf::detail::param_codec<std::vector<double>>::parse(
        std::string("[1.5, \"") + text + "\"]", list, expected));
  }
  double ok = 0;
  REQUIRE(tyf::detail::param_codec<double>::parse("-1e300", ok, expected));
  tyf::pipeline p{"finite"};
  auto lr = p.param<double>("lr", 0.1);
  (void)lr;
  REQUIRE_THROWS_WITH(
      tyf::resolve_params(p, with({{"lr", "nan"}})),
      Catch::Contains("parameter 'lr' (double) got 'nan', expected a finite number"));
}
