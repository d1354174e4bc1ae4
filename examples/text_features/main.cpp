// A template: text classification. Copy this folder, replace `corpus` by your loader, keep the
// rest. The corpus is generated from a seeded grammar of three topics, so the example needs
// no download; the pipeline tokenises, builds a vocabulary on the training part only, turns
// documents into TF-IDF vectors, sweeps the smoothing of a multinomial naive Bayes classifier
// on a validation part, evaluates on the test part, gates on accuracy and exports the model.
//
//   corpus ─ tokenise ─ split ─ vocabulary ─ features ─ fit[i] (one per alpha) ─ pick-best
//                                                     └──────────────────────┴─ evaluate
//   evaluate ─ accuracy-gate (p.require) ─ export
//
//   example-text-features run --param alpha=0.1,1 --param min_count=3
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <boost/hana/define_struct.hpp>
#include <typeflow/cli.hpp>  // typeflow::main: the program is its pipeline's command line
#include <typeflow/typeflow.hpp>

namespace tyf = typeflow;

inline const std::vector<std::string> topics = {"sport", "cooking", "computing"};

struct Corpus {  // documents and their topic (an index into `topics`)
  BOOST_HANA_DEFINE_STRUCT(Corpus, (std::vector<std::string>, text), (std::vector<int>, label));
};
struct Tokens {
  BOOST_HANA_DEFINE_STRUCT(Tokens, (std::vector<std::vector<std::string>>, docs),
                           (std::vector<int>, label));
};
struct Split {
  BOOST_HANA_DEFINE_STRUCT(Split, (Tokens, train), (Tokens, validation), (Tokens, test));
};
struct Matrix {  // dense TF-IDF rows (the vocabulary is small), one per document
  BOOST_HANA_DEFINE_STRUCT(Matrix, (std::size_t, width), (std::vector<double>, x),
                           (std::vector<int>, label));
  [[nodiscard]] std::size_t rows() const { return label.size(); }
};
struct Features {
  BOOST_HANA_DEFINE_STRUCT(Features, (Matrix, train), (Matrix, validation), (Matrix, test));
};
struct Vocabulary {
  BOOST_HANA_DEFINE_STRUCT(Vocabulary, (std::vector<std::string>, words),
                           (std::vector<double>, idf));
};
struct Model {  // multinomial naive Bayes on TF-IDF weights: log P(topic), log P(word | topic)
  BOOST_HANA_DEFINE_STRUCT(Model, (double, alpha), (std::vector<double>, log_prior),
                           (std::vector<double>, log_likelihood), (double, val_accuracy));
};

// ------------------------------------------------------------------------ the step functions

/// Sentences from a seeded grammar: topic words, shared filler, and some words of another
/// topic as noise (so the task is not trivial).
Corpus corpus(int documents, int seed) {
  const std::vector<std::vector<std::string>> words = {
      {"match", "goal", "team", "coach", "league", "striker", "referee", "season", "score",
       "stadium"},
      {"recipe", "oven", "garlic", "simmer", "flour", "butter", "sauce", "bake", "pepper",
       "kitchen"},
      {"compiler", "kernel", "thread", "memory", "cache", "server", "binary", "debugger", "network",
       "code"}};
  const std::vector<std::string> filler = {"the",    "a",   "was",   "after", "with",
                                           "really", "new", "today", "and",   "of"};
  std::mt19937_64 rng(static_cast<std::uint64_t>(seed));
  Corpus c;
  for (int i = 0; i < documents; ++i) {
    const int topic = static_cast<int>(rng() % topics.size());
    std::string s;
    const int length = 6 + static_cast<int>(rng() % 8);
    for (int w = 0; w < length; ++w) {
      const auto roll = rng() % 10;
      const auto& pool = roll < 4   ? words[static_cast<std::size_t>(topic)]
                         : roll < 5 ? words[rng() % words.size()]
                                    : filler;
      s += (w == 0 ? "" : " ") + pool[rng() % pool.size()];
    }
    c.text.push_back(s + (rng() % 2 ? "." : "!"));
    c.label.push_back(topic);
  }
  return c;
}

/// Lower case, letters and digits only.
Tokens tokenise(const Corpus& c) {
  Tokens t{{}, c.label};
  for (const auto& text : c.text) {
    std::vector<std::string> doc;
    std::string word;
    for (char ch : text + " ") {
      if (std::isalnum(static_cast<unsigned char>(ch))) {
        word += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      } else if (!word.empty()) {
        doc.push_back(std::move(word));
        word.clear();
      }
    }
    t.docs.push_back(std::move(doc));
  }
  return t;
}

Split split(const Tokens& t, int seed) {  // 60 % train, 20 % validation, 20 % test
  std::vector<std::size_t> idx(t.docs.size());
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::mt19937_64 rng(static_cast<std::uint64_t>(seed) + 1);
  for (std::size_t i = idx.size(); i-- > 1;) std::swap(idx[i], idx[rng() % (i + 1)]);
  auto part = [&](std::size_t from, std::size_t to) {
    Tokens out;
    for (std::size_t i = from; i < to; ++i) {
      out.docs.push_back(t.docs[idx[i]]);
      out.label.push_back(t.label[idx[i]]);
    }
    return out;
  };
  const std::size_t n = idx.size(), a = n * 6 / 10, b = n * 8 / 10;
  return Split{part(0, a), part(a, b), part(b, n)};
}

/// Words seen in at least min_count training documents, sorted, with their IDF.
Vocabulary vocabulary(const Tokens& train, int min_count) {
  std::map<std::string, int> df;
  for (const auto& doc : train.docs) {
    auto unique = doc;
    std::sort(unique.begin(), unique.end());
    unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
    for (const auto& w : unique) ++df[w];
  }
  Vocabulary v;
  const auto n = static_cast<double>(train.docs.size());
  for (const auto& [word, count] : df) {
    if (count < min_count) continue;
    v.words.push_back(word);
    v.idf.push_back(std::log((1.0 + n) / (1.0 + count)) + 1.0);
  }
  if (v.words.empty()) throw std::runtime_error("the vocabulary is empty: lower min_count");
  return v;
}

Matrix tf_idf(const Tokens& t, const Vocabulary& v) {
  Matrix m{v.words.size(), std::vector<double>(t.docs.size() * v.words.size(), 0.0), t.label};
  for (std::size_t d = 0; d < t.docs.size(); ++d) {
    for (const auto& w : t.docs[d]) {
      auto it = std::lower_bound(v.words.begin(), v.words.end(), w);
      if (it == v.words.end() || *it != w) continue;  // out of vocabulary
      const auto j = static_cast<std::size_t>(it - v.words.begin());
      m.x[d * m.width + j] += v.idf[j];
    }
  }
  return m;
}

int classify(const Model& m, const double* row, std::size_t width) {
  int best = 0;
  double best_score = -1e300;
  for (std::size_t c = 0; c < m.log_prior.size(); ++c) {
    double s = m.log_prior[c];
    for (std::size_t j = 0; j < width; ++j) s += row[j] * m.log_likelihood[c * width + j];
    if (s > best_score) {
      best_score = s;
      best = static_cast<int>(c);
    }
  }
  return best;
}

double accuracy(const Model& m, const Matrix& x) {
  std::size_t right = 0;
  for (std::size_t i = 0; i < x.rows(); ++i)
    right += classify(m, &x.x[i * x.width], x.width) == x.label[i];
  return static_cast<double>(right) / static_cast<double>(std::max<std::size_t>(x.rows(), 1));
}

Model fit_naive_bayes(double alpha, const Features& f) {
  const auto k = topics.size();
  const auto w = f.train.width;
  Model m{alpha, std::vector<double>(k, 0.0), std::vector<double>(k * w, alpha), 0.0};
  for (std::size_t i = 0; i < f.train.rows(); ++i) {
    const auto c = static_cast<std::size_t>(f.train.label[i]);
    m.log_prior[c] += 1.0;
    for (std::size_t j = 0; j < w; ++j) m.log_likelihood[c * w + j] += f.train.x[i * w + j];
  }
  for (std::size_t c = 0; c < k; ++c) {
    double total = 0;
    for (std::size_t j = 0; j < w; ++j) total += m.log_likelihood[c * w + j];
    for (std::size_t j = 0; j < w; ++j)
      m.log_likelihood[c * w + j] = std::log(m.log_likelihood[c * w + j] / total);
    m.log_prior[c] = std::log((m.log_prior[c] + 1.0) /
                              (static_cast<double>(f.train.rows()) + static_cast<double>(k)));
  }
  m.val_accuracy = accuracy(m, f.validation);
  return m;
}

/// A text model file, written atomically (temporary file, then rename).
std::string export_model(const Model& m, const Vocabulary& v, const std::string& path) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out.precision(10);
    out << "# naive Bayes on TF-IDF; per word: word idf log P(word|topic) for each topic\nalpha "
        << m.alpha << "\ntopics";
    for (std::size_t c = 0; c < topics.size(); ++c)
      out << ' ' << topics[c] << ':' << m.log_prior[c];
    out << '\n';
    for (std::size_t j = 0; j < v.words.size(); ++j) {
      out << v.words[j] << ' ' << v.idf[j];
      for (std::size_t c = 0; c < topics.size(); ++c)
        out << ' ' << m.log_likelihood[c * v.words.size() + j];
      out << '\n';
    }
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
  return path;
}

// ------------------------------------------------------------------------------ the pipeline

int main(int argc, char** argv) {
  tyf::pipeline p{"text-features"};
  auto documents = p.param<int>("documents", 1500).range(30, 1'000'000);
  auto seed = p.param<int>("seed", 3);
  auto min_count =
      p.param<int>("min_count", 2).range(1, 1000).describe("least document frequency of a word");
  auto alphas = p.param<std::vector<double>>("alpha", {0.01, 0.1, 1.0})
                    .range(1e-9, 100.0)
                    .describe("Laplace smoothing strengths to sweep");
  auto model_path = p.param<std::string>("model_path", "text-model.txt");

  auto text = p.step("corpus", corpus, documents, seed);
  auto tokens = p.step("tokenise", tokenise, text);
  auto parts = p.step("split", split, tokens, seed);
  auto vocab = p.step("vocabulary", vocabulary, parts[&Split::train], min_count);  // train only
  auto features = p.step(
      "features",
      [](const Split& s, const Vocabulary& v, tyf::context& ctx) {
        ctx.log_metric("vocabulary_size", static_cast<double>(v.words.size()));
        return Features{tf_idf(s.train, v), tf_idf(s.validation, v), tf_idf(s.test, v)};
      },
      parts, vocab);
  auto models = p.map(
      "fit",
      [](double alpha, const Features& f, tyf::context& ctx) {
        Model m = fit_naive_bayes(alpha, f);
        ctx.log_metric("val_accuracy", m.val_accuracy);
        return m;
      },
      alphas, features);
  auto best = p.step(
      "pick-best",
      [](const std::vector<Model>& all) {
        return *std::max_element(all.begin(), all.end(), [](const Model& a, const Model& b) {
          return a.val_accuracy < b.val_accuracy;
        });
      },
      models);
  auto test_accuracy = p.step(
      "evaluate",
      [](const Model& m, const Features& f, tyf::context& ctx) {
        const double acc = accuracy(m, f.test);
        ctx.log_metric("test_accuracy", acc);
        return acc;
      },
      best, features);
  auto gate = p.require(
      "accuracy-gate", test_accuracy, [](double acc) { return acc >= 0.9; },
      "test accuracy >= 0.9");
  p.step("export", export_model, best, vocab, model_path)
      .after(gate)
      .cache(false);  // always written

  return typeflow::main(argc, argv, p);
}
