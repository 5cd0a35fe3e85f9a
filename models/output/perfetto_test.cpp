// The Perfetto writer: the trace decodes with the protobuf runtime against Perfetto's schema, its slices,
// instants and flows match what the model did (its trace records and counters), its times are the
// simulated ones, and tracing changes nothing about the run.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <sstream>

#include "models/output/perfetto.h"
#include "output/perfetto/perfetto_trace.pb.h"  // generated (models/CMakeLists.txt)
#include "models/run/trace_events.h"
#include "models/testing/builders.h"
#include "models/testing/run_helpers.h"

using namespace gmpsim;
using namespace gmpsim::models;
namespace pp = perfetto::protos;

namespace {

const char* kService = R"(
machine: {cpus: 4}
runtime: {model: go, gomaxprocs: 4}
workload:
  classes:
    request:
      arrivals: {process: poisson, rate: 4000/s}
      program:
        - make: {chan: results, capacity: 3}
        - make: {wg: all}
        - wg_add: {wg: all, n: 3}
        - spawn: {class: part, count: 3}
        - wg_wait: all
        - repeat: {count: 3, steps: [{recv: results}]}
    part: {program: [{compute: {dist: exponential, mean: 100us}}, {send: results}, {wg_done: all}]}
    hog:
      arrivals: {process: initial, count: 1}
      program: [{tight_loop: 60ms}]
    sys:
      arrivals: {process: poisson, rate: 200/s}
      program: [{compute: 10us}, {syscall: 300us}]
run: {duration: 100ms, seed: 3}
)";

// A decoded trace: tracks by uuid, with their slices (begin, end, name) and instants.
struct Slice {
  sim::Time begin = 0, end = -1;
  std::string name;
  std::vector<std::uint64_t> flows_in;
};
struct Instant {
  sim::Time t;
  std::string name;
  std::uint64_t flow = 0, g = 0;
};
struct Track {
  std::string name;
  std::uint64_t parent = 0;
  std::vector<Slice> slices;
  std::vector<Instant> instants;
  std::vector<std::pair<sim::Time, std::int64_t>> counter;
};
struct Decoded {
  std::map<std::uint64_t, Track> tracks;
  std::size_t packets = 0;
  std::string parent_name(const Track& t) const { return t.parent != 0 ? tracks.at(t.parent).name : ""; }
};

Decoded decode(const std::string& bytes) {
  pp::Trace trace;
  REQUIRE(trace.ParseFromString(bytes));
  Decoded d;
  std::map<std::uint64_t, std::string> names;
  d.packets = static_cast<std::size_t>(trace.packet_size());
  for (const pp::TracePacket& p : trace.packet()) {
    CHECK(p.trusted_packet_sequence_id() == 1);
    for (const pp::EventName& n : p.interned_data().event_names()) names[n.iid()] = n.name();
    if (p.has_track_descriptor()) {
      Track& t = d.tracks[p.track_descriptor().uuid()];
      t.name = p.track_descriptor().name();
      t.parent = p.track_descriptor().parent_uuid();
      if (t.parent != 0) CHECK(d.tracks.count(t.parent) == 1);  // parents come first
    }
    if (!p.has_track_event()) continue;
    const pp::TrackEvent& e = p.track_event();
    REQUIRE(d.tracks.count(e.track_uuid()) == 1);  // described before use
    Track& t = d.tracks[e.track_uuid()];
    const auto ts = static_cast<sim::Time>(p.timestamp());
    switch (e.type()) {
      case pp::TrackEvent::TYPE_SLICE_BEGIN:
        REQUIRE((t.slices.empty() || t.slices.back().end >= 0));  // one open slice per track
        REQUIRE(names.count(e.name_iid()) == 1);
        t.slices.push_back({ts, -1, names[e.name_iid()], {e.terminating_flow_ids().begin(), e.terminating_flow_ids().end()}});
        break;
      case pp::TrackEvent::TYPE_SLICE_END:
        REQUIRE(!t.slices.empty());
        REQUIRE(t.slices.back().end < 0);
        CHECK(ts >= t.slices.back().begin);
        t.slices.back().end = ts;
        break;
      case pp::TrackEvent::TYPE_INSTANT: {
        Instant in{ts, names[e.name_iid()]};
        if (e.flow_ids_size() > 0) in.flow = e.flow_ids(0);
        for (const pp::DebugAnnotation& a : e.debug_annotations()) {
          if (a.name() == "g") in.g = a.uint_value();
        }
        t.instants.push_back(in);
        break;
      }
      case pp::TrackEvent::TYPE_COUNTER: t.counter.emplace_back(ts, e.counter_value()); break;
      default: FAIL("unexpected event type");
    }
  }
  return d;
}

struct Traced {
  RunResult result;
  testing::Recorder rec;
  std::string bytes;
};

void trace_run(Traced& out, const std::string& yaml, const std::string& window = "", const std::string& classes = "",
               std::int64_t sample = 1) {
  const Scenario sc = load_scenario(yaml, "<text>", {});
  std::ostringstream os;
  PerfettoWriter w(os, sc, perfetto_options(sc, window, classes, sample));
  RunOptions o;
  o.observers = {&out.rec, &w};
  o.scheduler_trace = true;
  out.result = run_scenario(sc, o);
  w.finish(out.result.simulated_ns);
  out.bytes = os.str();
}

std::size_t instants(const Decoded& d, const std::string& name) {
  std::size_t n = 0;
  for (const auto& [u, t] : d.tracks) {
    for (const Instant& i : t.instants) n += i.name == name;
  }
  return n;
}

}  // namespace

TEST_CASE("perfetto: slices, instants and counters match the model's records and counters", "[perfetto]") {
  Traced run;
  trace_run(run, kService);
  REQUIRE(run.result.outcome.status == OutcomeStatus::kCompleted);
  const Decoded d = decode(run.bytes);
  // Every status change of a goroutine is a slice on its track, at the record's time, under its class.
  std::multiset<std::pair<sim::Time, std::string>> expected, got;
  std::size_t starts = 0;
  for (const sim::TraceRecord& r : run.rec.records) {
    if (r.kind == kTraceGoStart) ++starts;
    if (r.kind != kTraceGoStatus || ((r.b >> 16) & 0xff) != kTgRunning) continue;
    expected.insert({r.time, "G" + std::to_string(r.a)});
  }
  for (const auto& [u, t] : d.tracks) {
    if (d.parent_name(t).rfind("class ", 0) != 0) continue;
    for (const Slice& s : t.slices) {
      CHECK(s.end >= s.begin);  // all closed
      if (s.name == "running") got.insert({s.begin, t.name});
    }
  }
  CHECK(got == expected);
  // Runnable -> running is execute, which emits GoStart; the other running slices are syscall returns.
  std::map<std::uint32_t, std::uint32_t> status;
  std::size_t executes = 0;
  for (const sim::TraceRecord& r : run.rec.records) {
    if (r.kind != kTraceGoStatus) continue;
    const std::uint32_t st = (r.b >> 16) & 0xff;
    if (st == kTgRunning) {
      INFO("g " << r.a << " at " << r.time << " was " << status[r.a]);
      CHECK((status[r.a] == kTgRunnable || status[r.a] == kTgSyscall));
      executes += status[r.a] == kTgRunnable;
    }
    status[r.a] = st;
  }
  CHECK(executes == starts);
  // Instants equal the model's counters.
  const Json& c = run.result.model_counters;
  CHECK(instants(d, "runqsteal") == c.at("steals").get<std::size_t>());
  CHECK(instants(d, "handoffp") == c.at("syscalls").at("handoffs").get<std::size_t>());
  CHECK(instants(d, "SIGURG") == c.at("preemption").at("signals_sent").get<std::size_t>());
  CHECK(instants(d, "async preempt") == c.at("preemption").at("async").get<std::size_t>());
  CHECK(instants(d, "runqsteal") > 0);
  CHECK(instants(d, "SIGURG") > 0);
  CHECK(instants(d, "handoffp") > 0);
  // Tracks: a CPU track per CPU, an M per thread, a P per GOMAXPROCS, counters for run queues and live Gs.
  std::map<std::string, std::size_t> groups;
  for (const auto& [u, t] : d.tracks) ++groups[d.parent_name(t)];
  CHECK(groups["CPUs (kernel)"] == 4);
  CHECK(groups["Ps"] == 4);
  CHECK(groups["Ms (threads)"] >= 5);  // 4 and sysmon
  CHECK(groups["Counters"] >= 7);      // 4 run queues, the global queue, live goroutines, spinning Ms
  // The live-goroutine counter follows the model's: its last value is what is live at the end.
  for (const auto& [u, t] : d.tracks) {
    if (t.name == "live goroutines") CHECK(!t.counter.empty());
  }
}

TEST_CASE("perfetto: a wake-up flow leaves the waker's slice and ends at the woken goroutine's next run", "[perfetto]") {
  Traced run;
  trace_run(run, kService);
  const Decoded d = decode(run.bytes);
  // Where each flow ends: the slice that names it.
  std::map<std::uint64_t, std::pair<std::string, sim::Time>> ends;
  for (const auto& [u, t] : d.tracks) {
    for (const Slice& s : t.slices) {
      for (std::uint64_t f : s.flows_in) ends[f] = {s.name, s.begin};
    }
  }
  // The model's wake-ups: (time, woken, waker).
  std::set<std::tuple<sim::Time, std::uint32_t, std::uint32_t>> wakes;
  for (const sim::TraceRecord& r : run.rec.records) {
    if (r.kind == kTraceWake) wakes.insert({r.time, r.a, r.b});
  }
  std::size_t checked = 0;
  for (const auto& [u, t] : d.tracks) {
    if (d.parent_name(t) != "Ms (threads)") continue;
    for (const Instant& in : t.instants) {
      if (in.name != "goready") continue;
      // The model's wake-up at this instant names the waker; the instant lies in the waker's slice.
      std::uint32_t waker = kTraceNone;
      for (const auto& w : wakes) {
        if (std::get<0>(w) == in.t && std::get<1>(w) == in.g) waker = std::get<2>(w);
      }
      REQUIRE(waker != kTraceNone);
      bool inside = false;
      for (const Slice& s : t.slices) inside = inside || (s.begin <= in.t && in.t <= s.end && s.name == "G" + std::to_string(waker));
      CHECK(inside);
      if (ends.count(in.flow) == 0) {  // only if it did not run again before the run ended
        for (const sim::TraceRecord& r : run.rec.records) {
          CHECK_FALSE((r.kind == kTraceGoStart && r.a == in.g && r.time >= in.t));
        }
        continue;
      }
      CHECK(ends[in.flow].first == "G" + std::to_string(in.g));
      CHECK(ends[in.flow].second >= in.t);
      ++checked;
    }
  }
  CHECK(checked > 100);
}

TEST_CASE("perfetto: the window, classes and sampling bound the trace", "[perfetto]") {
  Traced all, part;
  trace_run(all, kService);
  trace_run(part, kService, "20ms:30ms", "part", 2);
  const Decoded d = decode(part.bytes);
  CHECK(part.bytes.size() * 4 < all.bytes.size());
  for (const auto& [u, t] : d.tracks) {
    for (const Slice& s : t.slices) {
      CHECK(s.begin >= 20'000'000);
      CHECK(s.end <= 30'000'000);
      CHECK(s.end >= s.begin);
    }
    if (d.parent_name(t).rfind("class ", 0) == 0) {
      CHECK(d.parent_name(t) == "class part");
      CHECK(std::stoul(t.name.substr(1)) % 2 == 0);
    }
    if (d.parent_name(t) == "Ms (threads)") {  // other goroutines run as an anonymous "G"
      for (const Slice& s : t.slices) {
        if (s.name[0] == 'G' && s.name != "G" && s.name.find(' ') == std::string::npos) {
          CHECK(std::stoul(s.name.substr(1)) % 2 == 0);
        }
      }
    }
  }
  // Tracing observes: the run is the same with and without it.
  const RunResult plain = testing::run_yaml(kService);
  CHECK(plain.fingerprint == all.result.fingerprint);
  CHECK(plain.events == all.result.events);
}

TEST_CASE("perfetto: bad options name the option and the fix", "[perfetto]") {
  const Scenario sc = load_scenario(kService, "<text>", {});
  auto message = [&](const std::string& w, const std::string& c, std::int64_t n) {
    try {
      perfetto_options(sc, w, c, n);
    } catch (const ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(message("1s", "", 1), Catch::Contains("--perfetto-window") && Catch::Contains("START:END"));
  CHECK_THAT(message("2s:1s", "", 1), Catch::Contains("END must be after START"));
  CHECK_THAT(message("1x:2s", "", 1), Catch::Contains("--perfetto-window"));
  CHECK_THAT(message("", "parts", 1), Catch::Contains("--perfetto-classes") && Catch::Contains("request, part, hog, sys"));
  CHECK_THAT(message("", "", 0), Catch::Contains("--perfetto-sample"));
  CHECK(message(":5ms", "request,part", 3) == "no error");
  const Scenario fifo = load_scenario(R"(
runtime: {model: fifo}
workload: {classes: {w: {arrivals: {process: poisson, rate: 1000/s}, program: [{compute: 100us}]}}}
run: {duration: 10ms}
)", "<text>", {});
  CHECK_THROWS_WITH(PerfettoFile("/tmp/never.pftrace", fifo, {}), Catch::Contains("runtime.model=go"));
}
