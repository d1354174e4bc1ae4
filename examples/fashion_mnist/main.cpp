// The flagship: Fashion-MNIST, from the IDX files to an exported classifier, through a
// parallel hyperparameter sweep over softmax regression and a small MLP, and a quality gate
// (the steps: pipeline.hpp).
//
//   fashion-mnist run                 # the whole pipeline, recorded in ./.typeflow
//   fashion-mnist run --param models=mlp --param epochs=5 --param hidden=128
//   fashion-mnist runs | show latest | compare A B | retry RUN | run --only evaluate
//   fashion-mnist ui                  # the runs in a browser: http://127.0.0.1:8321/
#include <typeflow/cli.hpp>
#include <typeflow/ui/server.hpp>

#include "pipeline.hpp"

int main(int argc, char** argv) {
  typeflow::pipeline p{"fashion-mnist"};
  fashion::define(p);
  return typeflow::ui::main(argc, argv, p);  // typeflow::main's commands, plus `ui`
}
