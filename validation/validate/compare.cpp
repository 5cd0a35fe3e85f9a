// Real runs against simulated ones: per-metric statistics, errors and verdicts.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "validation/validate/validate.h"

namespace gmpsim::validation {
namespace {

std::vector<std::int64_t> int_list(const Json& j, const std::string& what) {
  if (!j.is_array()) throw std::runtime_error(what + ": latency_ns is not a list");
  std::vector<std::int64_t> v;
  v.reserve(j.size());
  for (const Json& x : j) v.push_back(x.get<std::int64_t>());
  return v;
}


// The simulated latency histogram of a class or span, merged over replications.
sim::LogHistogram sim_latency(const std::vector<models::RunResult>& sims, const MetricSpec& m, const std::string& where) {
  sim::LogHistogram h;
  for (const models::RunResult& r : sims) {
    bool found = false;
    if (!m.span.empty()) {
      for (const models::LatencyResult& s : r.spans) {
        if (s.name == m.span) h.merge(s.latency), found = true;
      }
    } else {
      for (const models::ClassResult& c : r.classes) {
        if (c.latency.name == m.sim_class_name()) h.merge(c.latency.latency), found = true;
      }
    }
    if (!found) throw std::runtime_error(where + ": the simulated run has no " + (m.span.empty() ? "class " + m.sim_class_name() : "span " + m.span));
  }
  return h;
}

const std::vector<std::int64_t>& real_samples(const RealRun& r, const MetricSpec& m, const std::string& where) {
  if (!m.span.empty()) {
    const auto it = r.spans.find(m.span);
    if (it == r.spans.end()) throw std::runtime_error(where + ": the real run has no span " + m.span);
    return it->second;
  }
  const auto it = r.classes.find(m.class_name);
  if (it == r.classes.end()) throw std::runtime_error(where + ": the real run has no class " + m.class_name);
  return it->second.latency_ns;
}

void set_error(Row& row, double target) {
  // Both sides zero (no throttled period on either) is an exact match, not a missing comparison.
  if (row.real == 0 && row.sim == 0) {
    row.error = 0;
  } else {
    row.error = row.real != 0 ? (row.sim - row.real) / row.real : std::nan("");
  }
  row.target = target;
  if (target <= 0) return;
  if (std::isnan(row.error)) {
    row.verdict = "no data";  // the real side measured nothing (or zero): nothing to compare
    return;
  }
  if (std::fabs(row.error) <= target) {
    row.verdict = "ok";
  } else if (row.real_n > 1 && row.sim >= row.real_lo && row.sim <= row.real_hi) {
    row.verdict = "within spread";
  } else {
    row.verdict = "miss";
  }
}

// A supplied line's field as text, to compare with a select value (numbers as JSON prints them).
std::string field_text(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

}  // namespace

std::vector<RealRun> load_supplied(const Case& c) {
  std::ifstream in(c.supplied.file);
  if (!in) throw std::runtime_error(c.name + ": cannot read the supplied runs " + c.supplied.file);
  std::vector<RealRun> runs;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Json j;
    try {
      j = Json::parse(line);
    } catch (const Json::exception& e) {
      throw std::runtime_error(c.supplied.file + ":" + std::to_string(n) + ": not a JSON object: " + e.what());
    }
    bool match = j.is_object();
    for (const auto& [k, v] : c.supplied.select.items()) match = match && j.contains(k) && field_text(j[k]) == v.get<std::string>();
    if (!match) continue;
    if (!j.contains(c.supplied.makespan_field) || !j[c.supplied.makespan_field].is_number()) {
      throw std::runtime_error(c.supplied.file + ":" + std::to_string(n) + ": no number " + c.supplied.makespan_field +
                               " for case " + c.name);
    }
    RealRun r;
    r.makespan_ns = std::llround(j[c.supplied.makespan_field].get<double>() * c.supplied.scale);
    r.window_ns = r.makespan_ns;
    r.counters = j;
    runs.push_back(std::move(r));
  }
  if (runs.empty()) throw std::runtime_error(c.name + ": no line of " + c.supplied.file + " matches " + c.supplied.select.dump());
  return runs;
}

RealRun parse_real_run(const Json& j, const std::string& what) {
  try {
    RealRun r;
    r.makespan_ns = j.at("makespan_ns").get<std::int64_t>();
    r.window_ns = j.value("window_ns", r.makespan_ns);
    if (j.contains("classes")) {
      for (const auto& [name, c] : j["classes"].items()) {
        RealRun::Class cls;
        cls.created = c.value("created", std::uint64_t{0});
        cls.completed = c.value("completed", std::uint64_t{0});
        if (c.contains("latency_ns")) cls.latency_ns = int_list(c["latency_ns"], what + " class " + name);
        std::sort(cls.latency_ns.begin(), cls.latency_ns.end());
        r.classes[name] = std::move(cls);
      }
    }
    if (j.contains("spans")) {
      for (const auto& [name, s] : j["spans"].items()) {
        auto v = int_list(s.at("latency_ns"), what + " span " + name);
        std::sort(v.begin(), v.end());
        r.spans[name] = std::move(v);
      }
    }
    if (j.contains("counters")) r.counters = j["counters"];
    if (j.contains("generator")) {
      r.generator = j["generator"];
      if (r.generator.contains("handover_ns")) {
        for (const auto& [name, times] : r.generator["handover_ns"].items()) r.handover_ns[name] = int_list(times, what + " hand-over times");
        r.generator.erase("handover_ns");
      }
    }
    if (j.contains("outcome") && j["outcome"].is_string()) r.outcome = j["outcome"].get<std::string>();
    if (j.contains("notes")) {
      for (const Json& n : j["notes"]) r.notes.push_back(n.get<std::string>());
    }
    return r;
  } catch (const Json::exception& e) {
    throw std::runtime_error(what + ": not a gmpsim-real-run/1 run: " + e.what());
  }
}

double median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double sample_quantile(const std::vector<std::int64_t>& sorted, double q) {
  if (sorted.empty()) return std::nan("");
  const double rank = std::ceil(q * static_cast<double>(sorted.size()) - 1e-9);
  const std::size_t i = static_cast<std::size_t>(std::clamp(rank, 1.0, static_cast<double>(sorted.size()))) - 1;
  return static_cast<double>(sorted[i]);
}

double ks_distance(const std::vector<std::int64_t>& real, const sim::LogHistogram& sim) {
  if (real.empty() || sim.count() == 0) return std::nan("");
  // The simulated CDF is piecewise linear: 0 below the first bucket's low, rising across each bucket.
  const std::vector<sim::LogHistogram::Bucket> buckets = sim.buckets();
  std::vector<double> cum(buckets.size());
  double acc = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) cum[i] = (acc += static_cast<double>(buckets[i].count));
  const double total = acc;
  auto sim_cdf = [&](double x) {
    // First bucket whose high reaches x.
    auto it = std::lower_bound(buckets.begin(), buckets.end(), x,
                               [](const sim::LogHistogram::Bucket& b, double v) { return static_cast<double>(b.high) + 1 < v; });
    if (it == buckets.end()) return 1.0;
    const std::size_t i = static_cast<std::size_t>(it - buckets.begin());
    const double below = i == 0 ? 0 : cum[i - 1];
    const double lo = static_cast<double>(it->low), hi = static_cast<double>(it->high) + 1;
    const double frac = std::clamp((x - lo) / (hi - lo), 0.0, 1.0);
    return (below + frac * static_cast<double>(it->count)) / total;
  };
  const double n = static_cast<double>(real.size());
  double d = 0;
  // At every real sample (both sides of the ECDF's step) and at every bucket edge.
  for (std::size_t i = 0; i < real.size(); ++i) {
    if (i + 1 < real.size() && real[i + 1] == real[i]) continue;
    const double f = sim_cdf(static_cast<double>(real[i]));
    const double lo_rank = static_cast<double>(std::lower_bound(real.begin(), real.end(), real[i]) - real.begin());
    d = std::max({d, std::fabs(static_cast<double>(i + 1) / n - f), std::fabs(lo_rank / n - f)});
  }
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    for (const double edge : {static_cast<double>(buckets[i].low), static_cast<double>(buckets[i].high) + 1}) {
      const double below = static_cast<double>(std::lower_bound(real.begin(), real.end(), static_cast<std::int64_t>(std::ceil(edge))) - real.begin());
      d = std::max(d, std::fabs(below / n - sim_cdf(edge)));
    }
  }
  return d;
}

std::vector<Row> compare_case(const CaseRuns& runs) {
  const Case& c = *runs.c;
  std::vector<Row> rows;
  auto base = [&](const MetricSpec& m, const std::string& stat, const std::string& unit) {
    Row r;
    r.runtime = c.runtime;
    r.version = runs.version;
    r.case_name = c.name;
    r.family = c.family;
    r.set = c.set;
    r.metric = m.name;
    r.stat = stat;
    r.unit = unit;
    r.real_n = static_cast<int>(runs.real.size());
    r.sim_n = static_cast<int>(runs.sim.size());
    return r;
  };
  // A statistic with one value per real repeat and per simulated replication.
  auto per_run = [&](const MetricSpec& m, const std::string& stat, const std::string& unit, double target,
                     auto real_of, auto sim_of) {
    Row r = base(m, stat, unit);
    std::vector<double> real, sim;
    for (const RealRun& x : runs.real) real.push_back(real_of(x));
    for (const models::RunResult& x : runs.sim) sim.push_back(sim_of(x));
    r.real = median(real);
    r.real_lo = real.empty() ? 0 : *std::min_element(real.begin(), real.end());
    r.real_hi = real.empty() ? 0 : *std::max_element(real.begin(), real.end());
    r.sim = median(sim);
    set_error(r, target);
    rows.push_back(r);
  };
  const std::string where = c.name;
  for (const MetricSpec& m : c.metrics) {
    switch (m.kind) {
      case MetricSpec::Kind::kPerOp: {
        const double ops = static_cast<double>(runs.quick && m.quick_ops > 0 ? m.quick_ops : m.ops);
        per_run(m, "per_op", "ns", kThroughputTarget, [&](const RealRun& x) { return static_cast<double>(x.makespan_ns) / ops; },
                [&](const models::RunResult& x) { return static_cast<double>(x.simulated_ns) / ops; });
        break;
      }
      case MetricSpec::Kind::kThroughput: {
        auto sim_of = [&](const models::RunResult& x) {
          for (const models::ClassResult& cl : x.classes) {
            if (cl.latency.name == m.sim_class_name()) {
              return static_cast<double>(cl.completed) * 1e9 / static_cast<double>(x.window_ns);
            }
          }
          throw std::runtime_error(where + ": the simulated run has no class " + m.sim_class_name());
        };
        auto real_of = [&](const RealRun& x) {
          const auto it = x.classes.find(m.class_name);
          if (it == x.classes.end()) throw std::runtime_error(where + ": the real run has no class " + m.class_name);
          return static_cast<double>(it->second.completed) * 1e9 / static_cast<double>(x.window_ns);
        };
        per_run(m, "throughput", "1/s", kThroughputTarget, real_of, sim_of);
        break;
      }
      case MetricSpec::Kind::kCounter: {
        auto real_of = [&](const RealRun& x) {
          if (!x.counters.contains(m.counter) || !x.counters[m.counter].is_number()) {
            throw std::runtime_error(where + ": the real run has no numeric counter " + m.counter);
          }
          return x.counters[m.counter].get<double>();
        };
        // The simulator's counter is a dotted path into its (nested) model counters. One the model does not
        // report (yet) gives a row without a prediction, verdict "no model counter", not an abort of the
        // whole validation; a real run without its counter is still an error (the probe's contract).
        auto sim_node = [&](const models::RunResult& x) -> const Json* {
          const Json* node = &x.model_counters;
          std::size_t start = 0;
          for (;;) {
            const std::size_t dot = m.sim_counter.find('.', start);
            const std::string key = m.sim_counter.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
            if (!node->is_object() || !node->contains(key)) node = nullptr;
            if (node == nullptr) break;
            node = &(*node)[key];
            if (dot == std::string::npos) break;
            start = dot + 1;
          }
          return node != nullptr && node->is_number() ? node : nullptr;
        };
        bool all = !runs.sim.empty();
        for (const models::RunResult& x : runs.sim) all = all && sim_node(x) != nullptr;
        if (!all) {
          Row r = base(m, "value", "");
          std::vector<double> real;
          for (const RealRun& x : runs.real) real.push_back(real_of(x));
          r.real = median(real);
          r.real_lo = real.empty() ? 0 : *std::min_element(real.begin(), real.end());
          r.real_hi = real.empty() ? 0 : *std::max_element(real.begin(), real.end());
          r.sim = r.error = std::nan("");
          r.verdict = "no model counter";
          rows.push_back(r);
          break;
        }
        per_run(m, "value", "", 0, real_of, [&](const models::RunResult& x) { return sim_node(x)->get<double>(); });
        break;
      }
      case MetricSpec::Kind::kCpu: {
        // CPU time over the run, not a rate: a finite workload that the simulator finishes sooner or later
        // than the real run still used the CPU it used.
        auto real_of = [&](const RealRun& x) {
          if (!x.counters.contains(m.counter) || !x.counters[m.counter].is_number()) {
            throw std::runtime_error(where + ": the real run has no numeric counter " + m.counter);
          }
          return x.counters[m.counter].get<double>();
        };
        auto sim_of = [&](const models::RunResult& x) {
          const Json& cpus = x.scenario.at("machine").at("cpus");
          const double n = cpus.is_array() ? static_cast<double>(cpus.size()) : cpus.get<double>();
          return x.cpu_busy_total() * n * static_cast<double>(x.window_ns);
        };
        per_run(m, "cpu_time", "ns", kThroughputTarget, real_of, sim_of);
        break;
      }
      case MetricSpec::Kind::kOutcome: {
        // Shares of runs that ended m.expect; the error is their difference (sim − real, in shares, not
        // relative), and the verdict says whether both sides have most runs end that way.
        Row r = base(m, kOutcomeStat, "share");
        std::vector<double> real, sim;
        for (const RealRun& x : runs.real) real.push_back((x.outcome.empty() ? "completed" : x.outcome) == m.expect ? 1 : 0);
        for (const models::RunResult& x : runs.sim) sim.push_back(models::outcome_name(x.outcome.status) == m.expect ? 1 : 0);
        auto mean = [](const std::vector<double>& v) {
          double t = 0;
          for (double x : v) t += x;
          return v.empty() ? std::nan("") : t / static_cast<double>(v.size());
        };
        r.real = mean(real);
        r.real_lo = real.empty() ? 0 : *std::min_element(real.begin(), real.end());
        r.real_hi = real.empty() ? 0 : *std::max_element(real.begin(), real.end());
        r.sim = mean(sim);
        r.error = r.sim - r.real;
        r.target = 0.5;
        r.verdict = std::isnan(r.error) ? "no data" : (r.real > 0.5) == (r.sim > 0.5) ? "ok" : "miss";
        rows.push_back(r);
        break;
      }
      case MetricSpec::Kind::kLatency: {
        const sim::LogHistogram h = sim_latency(runs.sim, m, where);
        std::vector<std::int64_t> pooled;
        std::vector<double> p50s, p99s;
        for (const RealRun& x : runs.real) {
          const std::vector<std::int64_t>& s = real_samples(x, m, where);
          pooled.insert(pooled.end(), s.begin(), s.end());
          if (!s.empty()) p50s.push_back(sample_quantile(s, 0.5)), p99s.push_back(sample_quantile(s, 0.99));
        }
        std::sort(pooled.begin(), pooled.end());
        for (const auto& [stat, q, target, per] : {std::tuple{"p50", 0.5, kP50Target, &p50s}, std::tuple{"p99", 0.99, kP99Target, &p99s}}) {
          Row r = base(m, stat, "ns");
          r.real = sample_quantile(pooled, q);
          r.real_lo = per->empty() ? r.real : *std::min_element(per->begin(), per->end());
          r.real_hi = per->empty() ? r.real : *std::max_element(per->begin(), per->end());
          r.sim = static_cast<double>(h.percentile(q));
          set_error(r, target);
          rows.push_back(r);
        }
        Row ks = base(m, "ks", "");
        ks.real = static_cast<double>(pooled.size());
        ks.sim = static_cast<double>(h.count());
        ks.error = ks_distance(pooled, h);
        rows.push_back(ks);
        break;
      }
    }
  }
  return rows;
}

std::string cdf_csv_rows(const CaseRuns& runs) {
  std::ostringstream out;
  for (const MetricSpec& m : runs.c->metrics) {
    if (m.kind != MetricSpec::Kind::kLatency) continue;
    const std::string prefix = runs.c->runtime + "," + runs.version + "," + runs.c->name + "," + m.name + ",";
    std::vector<std::int64_t> pooled;
    for (const RealRun& x : runs.real) {
      const auto& s = real_samples(x, m, runs.c->name);
      pooled.insert(pooled.end(), s.begin(), s.end());
    }
    std::sort(pooled.begin(), pooled.end());
    const std::size_t points = std::min<std::size_t>(pooled.size(), 200);
    for (std::size_t k = 1; k <= points; ++k) {
      const std::size_t i = (k * pooled.size()) / points - 1;
      out << prefix << "real," << pooled[i] << "," << static_cast<double>(i + 1) / static_cast<double>(pooled.size()) << "\n";
    }
    // The simulated CDF at the same 200 levels (the histogram's percentiles), so the file stays small.
    const sim::LogHistogram h = sim_latency(runs.sim, m, runs.c->name);
    if (h.count() == 0) continue;
    for (int k = 1; k <= 200; ++k) {
      const double q = k / 200.0;
      out << prefix << "sim," << h.percentile(q) << "," << q << "\n";
    }
  }
  return out.str();
}

}  // namespace gmpsim::validation
