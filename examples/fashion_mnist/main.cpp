// The flagship: Fashion-MNIST, from the IDX files to an exported softmax-regression model,
// through a parallel hyperparameter sweep and a quality gate (the steps: pipeline.hpp).
//
//   fashion-mnist run                 # the whole pipeline, recorded in ./.typeflow
//   fashion-mnist run --param epochs=3 --param learning_rates=0.1,0.3
//   fashion-mnist runs | show latest | compare A B | retry RUN | run --only evaluate
#include <typeflow/cli.hpp>

#include "pipeline.hpp"

int main(int argc, char** argv) {
  typeflow::pipeline p{"fashion-mnist"};
  fashion::define(p);
  return typeflow::main(argc, argv, p);
}
