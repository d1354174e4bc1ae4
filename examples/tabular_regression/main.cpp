// A template: tabular regression. Copy this folder, replace `generate` by your loader, keep
// the rest. Every step is a plain function; the pipeline wires them with typed handles and
// the run store records parameters, statuses, metrics and outputs of every run.
//
//   generate ─ split ─┬─ fit-scaler ─┐
//                     │              ├─ fit[i] (one per ridge strength, in parallel) ─ pick-best
//                     └──────────────┴─ evaluate (test RMSE, R²) ─ r2-gate (R² gate) ─ export
//
//   example-tabular-regression run --param ridge=0,1,10 --param noise=1.0
//   example-tabular-regression runs | show latest | compare A B
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <boost/hana/define_struct.hpp>
#include <typeflow/cli.hpp>  // typeflow::main: the program is its pipeline's command line
#include <typeflow/typeflow.hpp>

namespace tyf = typeflow;

// Types that the store keeps are adapted with Boost.Hana: that gives them a codec.
struct Table {  // n rows of d features (row-major) and a target
  BOOST_HANA_DEFINE_STRUCT(Table, (std::size_t, d), (std::vector<double>, x),
                           (std::vector<double>, y));
  [[nodiscard]] std::size_t n() const { return y.size(); }
};
struct Split {
  BOOST_HANA_DEFINE_STRUCT(Split, (Table, train), (Table, validation), (Table, test));
};
struct Scaler {  // standardisation fitted on the training rows only
  BOOST_HANA_DEFINE_STRUCT(Scaler, (std::vector<double>, mean), (std::vector<double>, scale));
};
struct Fit {  // y = bias + w · standardised(x)
  BOOST_HANA_DEFINE_STRUCT(Fit, (double, ridge), (std::vector<double>, w), (double, bias),
                           (double, val_rmse));
};
struct Scores {
  BOOST_HANA_DEFINE_STRUCT(Scores, (double, rmse), (double, r2));
};

// ------------------------------------------------------------------------ the step functions

/// y = 3 + 0.5 * sum_j (-1)^j x_j + noise, with features on different scales and offsets.
Table generate(int rows, int features, double noise, int seed) {
  std::mt19937_64 rng(static_cast<std::uint64_t>(seed));
  std::normal_distribution<double> gauss(0.0, 1.0);
  Table t{static_cast<std::size_t>(features), {}, {}};
  for (int i = 0; i < rows; ++i) {
    double y = 3.0;
    for (int j = 0; j < features; ++j) {
      const double v = gauss(rng) * (1.0 + j) + j;  // scale and offset differ per feature
      t.x.push_back(v);
      y += (j % 2 == 0 ? 0.5 : -0.5) * v;
    }
    t.y.push_back(y + noise * gauss(rng));
  }
  return t;
}

Table rows_of(const Table& t, const std::vector<std::size_t>& idx, std::size_t from,
              std::size_t to) {
  Table out{t.d, {}, {}};
  for (std::size_t i = from; i < to; ++i) {
    out.x.insert(out.x.end(), t.x.begin() + static_cast<std::ptrdiff_t>(idx[i] * t.d),
                 t.x.begin() + static_cast<std::ptrdiff_t>((idx[i] + 1) * t.d));
    out.y.push_back(t.y[idx[i]]);
  }
  return out;
}

/// A seeded shuffle, then test and validation shares, the rest for training.
Split split(const Table& t, double test_fraction, int seed) {
  std::vector<std::size_t> idx(t.n());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::mt19937_64 rng(static_cast<std::uint64_t>(seed) + 1);
  for (std::size_t i = idx.size(); i-- > 1;) std::swap(idx[i], idx[rng() % (i + 1)]);
  const auto n_test = static_cast<std::size_t>(static_cast<double>(t.n()) * test_fraction);
  const auto n_val = n_test;
  if (n_test == 0 || 2 * n_test >= t.n())
    throw std::invalid_argument("test_fraction leaves no data to train on");
  return Split{rows_of(t, idx, 2 * n_test, t.n()), rows_of(t, idx, n_test, n_test + n_val),
               rows_of(t, idx, 0, n_test)};
}

Scaler fit_scaler(const Table& train) {
  Scaler s{std::vector<double>(train.d, 0.0), std::vector<double>(train.d, 0.0)};
  for (std::size_t i = 0; i < train.n(); ++i)
    for (std::size_t j = 0; j < train.d; ++j) s.mean[j] += train.x[i * train.d + j];
  for (auto& m : s.mean) m /= static_cast<double>(train.n());
  for (std::size_t i = 0; i < train.n(); ++i)
    for (std::size_t j = 0; j < train.d; ++j)
      s.scale[j] += std::pow(train.x[i * train.d + j] - s.mean[j], 2);
  for (auto& v : s.scale) v = std::sqrt(v / static_cast<double>(train.n())) + 1e-12;
  return s;
}

double predict(const Fit& f, const Scaler& s, const double* x) {
  double y = f.bias;
  for (std::size_t j = 0; j < f.w.size(); ++j) y += f.w[j] * (x[j] - s.mean[j]) / s.scale[j];
  return y;
}

Scores score(const Fit& f, const Scaler& s, const Table& t) {
  double se = 0, mean = 0, var = 0;
  for (double y : t.y) mean += y / static_cast<double>(t.n());
  for (std::size_t i = 0; i < t.n(); ++i) {
    se += std::pow(predict(f, s, &t.x[i * t.d]) - t.y[i], 2);
    var += std::pow(t.y[i] - mean, 2);
  }
  return Scores{std::sqrt(se / static_cast<double>(t.n())), 1.0 - se / var};
}

/// Ridge regression in closed form: (XᵀX + λI) w = Xᵀ(y - ȳ) on standardised features, solved
/// by Gaussian elimination with partial pivoting (d is small).
Fit fit_ridge(double ridge, const Table& train, const Table& validation, const Scaler& s) {
  const std::size_t d = train.d;
  double ybar = 0;
  for (double y : train.y) ybar += y / static_cast<double>(train.n());
  std::vector<double> a(d * (d + 1), 0.0);  // [XᵀX + λI | Xᵀy]
  std::vector<double> z(d);
  for (std::size_t i = 0; i < train.n(); ++i) {
    for (std::size_t j = 0; j < d; ++j) z[j] = (train.x[i * d + j] - s.mean[j]) / s.scale[j];
    for (std::size_t r = 0; r < d; ++r) {
      for (std::size_t c = 0; c < d; ++c) a[r * (d + 1) + c] += z[r] * z[c];
      a[r * (d + 1) + d] += z[r] * (train.y[i] - ybar);
    }
  }
  for (std::size_t r = 0; r < d; ++r) a[r * (d + 1) + r] += ridge;
  for (std::size_t col = 0; col < d; ++col) {
    std::size_t piv = col;
    for (std::size_t r = col + 1; r < d; ++r)
      if (std::abs(a[r * (d + 1) + col]) > std::abs(a[piv * (d + 1) + col])) piv = r;
    if (std::abs(a[piv * (d + 1) + col]) < 1e-12)
      throw std::runtime_error("singular system: raise ridge");
    for (std::size_t c = 0; c <= d; ++c) std::swap(a[col * (d + 1) + c], a[piv * (d + 1) + c]);
    for (std::size_t r = 0; r < d; ++r) {
      if (r == col) continue;
      const double f = a[r * (d + 1) + col] / a[col * (d + 1) + col];
      for (std::size_t c = col; c <= d; ++c) a[r * (d + 1) + c] -= f * a[col * (d + 1) + c];
    }
  }
  Fit fit{ridge, std::vector<double>(d), ybar, 0.0};
  for (std::size_t r = 0; r < d; ++r) fit.w[r] = a[r * (d + 1) + d] / a[r * (d + 1) + r];
  fit.val_rmse = score(fit, s, validation).rmse;
  return fit;
}

/// A text model file, written atomically (temporary file, then rename).
std::string export_model(const Fit& f, const Scaler& s, const std::string& path) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out.precision(17);
    out << "# ridge regression: y = bias + sum_j w_j * (x_j - mean_j) / scale_j\n"
        << "ridge " << f.ridge << "\nbias " << f.bias << "\n";
    for (std::size_t j = 0; j < f.w.size(); ++j)
      out << "feature " << j << ' ' << f.w[j] << ' ' << s.mean[j] << ' ' << s.scale[j] << '\n';
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
  return path;
}

// ------------------------------------------------------------------------------ the pipeline

int main(int argc, char** argv) {
  tyf::pipeline p{"tabular-regression"};
  // Parameters: typed, with defaults and constraints; set with --param NAME=VALUE.
  auto rows = p.param<int>("rows", 2000).range(50, 10'000'000).describe("rows to generate");
  auto features = p.param<int>("features", 8).range(1, 200);
  auto noise =
      p.param<double>("noise", 0.5).range(0.0, 100.0).describe("std dev of the target noise");
  auto seed = p.param<int>("seed", 7);
  auto test_fraction = p.param<double>("test_fraction", 0.2).range(0.05, 0.45);
  auto ridges = p.param<std::vector<double>>("ridge", {0.0, 1.0, 10.0, 100.0})
                    .range(0.0, 1e9)
                    .describe("ridge strengths to sweep");
  auto model_path = p.param<std::string>("model_path", "ridge-model.txt");

  auto table = p.step("generate", generate, rows, features, noise, seed);
  auto parts = p.step("split", split, table, test_fraction, seed);
  auto scaler = p.step("fit-scaler", fit_scaler, parts[&Split::train]);  // a projection: one member
  // The sweep: one fit per ridge strength, in parallel, each logging its validation RMSE.
  auto fits = p.map(
      "fit",
      [](double ridge, const Split& s, const Scaler& sc, tyf::context& ctx) {
        Fit f = fit_ridge(ridge, s.train, s.validation, sc);
        ctx.log_metric("val_rmse", f.val_rmse);
        return f;
      },
      ridges, parts, scaler);
  auto best = p.step(
      "pick-best",
      [](const std::vector<Fit>& all) {
        return *std::min_element(all.begin(), all.end(), [](const Fit& a, const Fit& b) {
          return a.val_rmse < b.val_rmse;
        });
      },
      fits);
  auto scores = p.step(
      "evaluate",
      [](const Fit& f, const Scaler& s, const Split& parts, tyf::context& ctx) {
        Scores sc = score(f, s, parts.test);
        ctx.log_metric("test_rmse", sc.rmse);
        ctx.log_metric("test_r2", sc.r2);
        return sc;
      },
      best, scaler, parts);
  // The quality gate: the run fails here, before export, when the fit is poor.
  auto gate = p.require(
      "r2-gate", scores, [](const Scores& s) { return s.r2 >= 0.9; }, "test R^2 >= 0.9");
  p.step("export", export_model, best, scaler, model_path)
      .after(gate)
      .cache(false);  // always written

  return typeflow::main(argc, argv, p);
}
