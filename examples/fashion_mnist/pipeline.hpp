#pragma once
// The flagship pipeline's definition: Fashion-MNIST from the IDX files to an exported
// classifier, through a parallel hyperparameter sweep over two kinds of model (softmax
// regression and an MLP with one hidden layer) and a quality gate.
//
//   data-files ─┬─ load-train ─ split ──┐
//               │   configs (models x learning_rates x l2) ──┴─ train[i] (p.map) ─ pick-best ─┐
//               └─ load-test ─────────────────────────────────────────────────────────────────┴─ evaluate
//   evaluate ─ quality ─ quality-gate (p.require) ─ export
//
// What is stored, and why: every output that a step reads from another is stored, except
// the whole training set, so that each step is a function of stored inputs and parameters
// and can run in a process of its own (a train[i] as a job on another machine, say). The
// training images are 47 MB as bytes and 188 MB as floats. load-train (Images, 47 MB) is
// .persist(false): gunzip takes well under a second, less than hashing and writing it. split
// keeps the pixels as bytes (ImageSplit, 47 MB) and is stored: the sweep reads it, and each
// train[i] makes its own floats (normalise_split, 0.1 s) rather than the store keeping 188
// MB of them. The test images (7.8 MB) are stored, so `evaluate` can run alone (--only
// evaluate). The sweep's fits (an MLP of 256 units is 0.8 MB), the best fit and the scores
// are small and stored. export is .cache(false): it always writes the model file, also when
// everything else comes from the cache, so the file on disk matches the run that reports it.

#include <cstdio>
#include <filesystem>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <typeflow/typeflow.hpp>

#include "fashion_mnist.hpp"

namespace fashion {

namespace tyf = typeflow;

/// Declares the flagship's parameters and steps in p.
inline void define(tyf::pipeline& p) {
  auto data_dir = p.param<std::string>("data_dir", "/usr/share/datasets/fashion-mnist")
                      .describe("directory of {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz");
  auto train_limit = p.param<int>("train_limit", 0)
                         .range(0, 60000)
                         .describe("read only the first N training images (0: all 60,000)");
  auto test_limit = p.param<int>("test_limit", 0)
                        .range(0, 10000)
                        .describe("read only the first N test images (0: all 10,000)");
  auto val_fraction = p.param<double>("val_fraction", 0.1)
                          .range(0.01, 0.5)
                          .describe("share of the training images held out for validation");
  auto seed =
      p.param<int>("seed", 42).describe("seed of the split, the example order, the MLP's weights");
  auto models =
      p.param<std::vector<model_kind>>("models", {model_kind::softmax, model_kind::mlp})
          .describe("kinds of model to sweep: softmax (regression), mlp (one hidden layer)");
  auto learning_rates = p.param<std::vector<double>>("learning_rates", {0.02, 0.03})
                            .range(1e-6, 10.0)
                            .describe("initial SGD learning rates to sweep (see lr_decay)");
  auto l2 = p.param<std::vector<double>>("l2", {0.0})
                .range(0.0, 1.0)
                .describe("L2 weight decays to sweep");
  auto hidden = p.param<int>("hidden", 256)
                    .range(1, static_cast<int>(max_hidden))
                    .describe("hidden units of the MLP");
  auto momentum = p.param<double>("momentum", 0.9).range(0.0, 0.99).describe("SGD momentum");
  auto lr_decay = p.param<double>("lr_decay", 0.3)
                      .range(0.0, 10.0)
                      .describe("learning-rate decay: epoch e uses lr/(1+lr_decay*e)");
  auto epochs = p.param<int>("epochs", 15).range(1, 100).describe("epochs per configuration");
  auto batch = p.param<int>("batch", 32).range(1, 4096).describe("mini-batch size");
  auto min_accuracy = p.param<double>("min_accuracy", 0.88)
                          .range(0.0, 1.0)
                          .describe("quality gate: the least test accuracy that may be exported");
  auto model_path = p.param<std::string>("model_path", "fashion-mnist-model.bin")
                        .describe("where the model file is written (format: fashion_mnist.hpp)");

  // 1. Load and check the files. The cache keys of steps are made from their inputs, and a
  //    directory name says nothing of what is in it: data-files (never cached) lists each
  //    file's size and modification time, so new files mean new keys and a fresh load. The
  //    training set is large and cheap to read again: kept out of the store (see above).
  auto files = p.step(
                    "data-files", [](const std::string& dir) { return fingerprint(dir); }, data_dir)
                   .cache(false);
  auto train_images = p.step(
                           "load-train",
                           [](const std::string& dir, const std::string&, int n) {
                             return load_idx(dir, "train", static_cast<std::size_t>(n));
                           },
                           data_dir, files, train_limit)
                          .persist(false);
  auto test_images = p.step(
      "load-test",
      [](const std::string& dir, const std::string&, int n) {
        return load_idx(dir, "t10k", static_cast<std::size_t>(n));
      },
      data_dir, files, test_limit);

  // 2. Split the training images (as bytes: stored, 47 MB; see above).
  auto parts = p.step(
      "split",
      [](const Images& all, double fraction, int s) {
        return split_images(all, fraction, static_cast<std::uint64_t>(s));
      },
      train_images, val_fraction, seed);

  // 3. The sweep: one training per (model, learning rate, L2) triple, in parallel, each with
  //    its own status, metrics (train[0], train[1], ...) and progress.
  using doubles = std::vector<double>;
  using models_t = std::vector<model_kind>;
  auto configs = p.step(
      "configs",
      [](const models_t& kinds, const doubles& lrs, const doubles& l2s) {
        return tyf::grid(kinds, lrs, l2s);
      },
      models, learning_rates, l2);
  auto fits = p.map(
      "train",
      [](std::tuple<model_kind, double, double> config, const ImageSplit& images, int n_epochs,
         int batch_size, int s, int units, double mom, double decay, tyf::context& ctx) {
        train_settings t;
        t.kind = std::get<0>(config);
        t.lr = std::get<1>(config);
        t.l2 = std::get<2>(config);
        t.epochs = n_epochs;
        t.batch = batch_size;
        t.seed = static_cast<std::uint64_t>(s);
        t.hidden = units;
        t.momentum = mom;
        t.lr_decay = decay;
        train_callbacks cb;
        cb.epoch_done = [&](int epoch, double loss, double val_accuracy) {
          ctx.log_metric("loss", loss, epoch);
          ctx.log_metric("val_accuracy", val_accuracy, epoch);
        };
        cb.progress = [&](std::uint64_t done, std::uint64_t total) {
          if (done % 64 == 0 || done == total) ctx.progress(done, total);
        };
        cb.stop_requested = [&] { return ctx.stop_requested(); };
        return train(normalise_split(images), t, cb);
      },
      configs, parts, epochs, batch, seed, hidden, momentum, lr_decay);

  // 4. The best configuration on validation accuracy.
  auto best = p.step(
      "pick-best",
      [](const std::vector<Fit>& all, tyf::context& ctx) {
        Fit b = best_of(all);
        ctx.log_metric("val_accuracy", b.val_accuracy);
        ctx.log_metric("mlp", b.kind == model_kind::mlp ? 1.0 : 0.0);  // the kind of model
        ctx.log_metric("hidden", static_cast<double>(b.hidden));
        ctx.log_metric("lr", b.lr);
        ctx.log_metric("l2", b.l2);
        return b;
      },
      fits);

  // 5. Evaluate on the test images: accuracy, and per class (index = class 0-9).
  auto scores = p.step(
      "evaluate",
      [](const Fit& b, const Images& test, tyf::context& ctx) {
        Scores s = evaluate(b.model, test);
        ctx.log_metric("test_accuracy", s.accuracy);
        for (std::size_t c = 0; c < classes; ++c) {
          ctx.log_metric("class_accuracy", s.per_class[c], static_cast<std::int64_t>(c));
        }
        return s;
      },
      best, test_images);

  // 6. The quality gate: the gate's predicate sees one value, so a small step pairs the
  //    accuracy with the min_accuracy parameter first.
  auto verdict = p.step(
      "quality",
      [](const Scores& s, double bar) {
        return std::pair<double, double>{s.accuracy, bar};
      },
      scores, min_accuracy);
  using bar = std::pair<double, double>;  // (test accuracy, min_accuracy)
  auto gate = p.require(
      "quality-gate", verdict, [](const bar& v) { return v.first >= v.second; },
      "test accuracy >= min_accuracy");

  // 7. Export, only past the gate; always written (not cached), atomically.
  p.step(
       "export",
       [](const Fit& b, const std::string& path, tyf::context& ctx) {
         const auto bytes = write_model(b.model, path);
         ctx.log_metric("model_bytes", static_cast<double>(bytes));
         return std::filesystem::absolute(path).string();
       },
       best, model_path)
      .after(gate)
      .cache(false);
}

}  // namespace fashion
