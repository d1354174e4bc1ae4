// A parameter of type nlohmann::json where only <nlohmann/json_fwd.hpp> is included, as in a
// compiled-mode translation unit (typeflow's headers include the full nlohmann/json only in
// their impl/ parts): the codec says which header to include.
// expected-error: a parameter of type nlohmann::json needs #include <nlohmann/json.hpp>
#ifndef TYPEFLOW_COMPILED
#define TYPEFLOW_COMPILED  // this check only compiles (-fsyntax-only): no library to link
#endif
#include <typeflow/core/pipeline.hpp>
#ifdef TYPEFLOW_COMPILE_FAIL_CONTROL
#include <nlohmann/json.hpp>
#endif

int main() {
  typeflow::pipeline p{"settings"};
  auto settings = p.param<nlohmann::json>("settings");
  (void)settings;
}
