// File descriptors in the go model (fd.cpp): RLIMIT_NOFILE, EMFILE from accept4, net/http's back-off,
// Go's raising of the soft limit per version, and bad values.
#include <catch2/catch.hpp>

#include "models/go/proc.h"
#include "models/run/trace_events.h"
#include "models/testing/builders.h"
#include "models/testing/run_helpers.h"

using namespace gmpsim;
using namespace gmpsim::models;
using testing::counter;
using testing::counter_u64;
using testing::Recorder;
using testing::run_yaml;

namespace {

// net/http's shape: 2000 connections/s, each held ~50 ms by its handler (a network wait), so ~100 are
// open at once: more than a soft limit of 64.
const std::string kService = R"(
machine: {cpus: 2}
runtime: {model: go}
workload:
  classes:
    request:
      arrivals: {process: poisson, rate: 2000/s}
      program:
        - compute: 20us
        - net_wait: {dist: lognormal, median: 50ms, sigma: 0.3}
        - compute: 20us
run: {duration: 1s, warmup: 100ms, seed: 3}
)";

double p99(const RunResult& r) { return static_cast<double>(r.classes.at(0).latency.latency.percentile(0.99)); }

std::string error_of(const std::vector<Override>& sets) {
  try {
    run_yaml(kService, sets);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("fd: more connections than the soft limit end the run with `fail`", "[go][fd]") {
  const RunResult r = run_yaml(kService, {{"rlimit.nofile", "64"}, {"runtime.raise_nofile", "false"}, {"rlimit.on_emfile", "fail"}});
  REQUIRE(r.outcome.status == OutcomeStatus::kTooManyOpenFiles);
  CHECK_THAT(r.outcome.detail, Catch::Contains("EMFILE") && Catch::Contains("64") && Catch::Contains("rlimit.nofile"));
  CHECK(counter_u64(r, "fds", "emfile") == 1);
  CHECK(counter(r, "fds", "peak").get<std::int64_t>() == 64);
  CHECK(r.simulated_ns < 1'000'000'000);
}

TEST_CASE("fd: with `retry` the listener backs off as net/http does and requests wait", "[go][fd]") {
  Recorder rec;
  const Scenario sc = load_scenario(kService, "<text>", {{"rlimit.nofile", "64"}, {"runtime.raise_nofile", "false"}});
  const RunResult limited = go::GoModel().run(sc, RunOptions{{&rec}});
  const RunResult roomy = run_yaml(kService, {{"runtime.raise_nofile", "false"}});  // 1024: never reached
  REQUIRE(limited.outcome.status == OutcomeStatus::kCompleted);
  REQUIRE(roomy.outcome.status == OutcomeStatus::kCompleted);
  CHECK(counter_u64(roomy, "fds", "emfile") == 0);
  const std::uint64_t emfile = counter_u64(limited, "fds", "emfile");
  CHECK(emfile > 0);
  CHECK(counter_u64(limited, "fds", "accept_retries") == emfile);
  CHECK(counter(limited, "fds", "peak").get<std::int64_t>() == 64);  // never above the limit
  CHECK(counter(limited, "fds", "limit").get<std::int64_t>() == 64);
  // Waiting in the backlog for a 5 ms+ back-off shows in the tail.
  CHECK(p99(limited) > p99(roomy) + 5e6);
  // One trace record per EMFILE, and Serve's delays: 5 ms, then doubling while accept keeps failing.
  std::uint64_t traced = 0;
  for (const auto& t : rec.records) traced += t.kind == kTraceAcceptEmfile ? 1 : 0;
  CHECK(traced == emfile);
  const double backoff = counter(limited, "fds", "backoff_s").get<double>();
  CHECK(backoff >= 0.005 * static_cast<double>(emfile) - 1e-12);
}

TEST_CASE("fd: Go raises the soft limit to the hard one at init, per version", "[go][fd]") {
  const std::vector<Override> low = {{"rlimit.nofile", "64"}, {"rlimit.nofile_hard", "4096"}};
  const RunResult go126 = run_yaml(kService, low);
  REQUIRE(go126.outcome.status == OutcomeStatus::kCompleted);
  CHECK(counter(go126, "fds", "limit").get<std::int64_t>() == 4095);  // syscall/rlimit.go: Max - 1
  CHECK(counter(go126, "fds", "soft_limit").get<std::int64_t>() == 64);
  CHECK(counter_u64(go126, "fds", "emfile") == 0);
  CHECK(counter(go126, "fds", "peak").get<std::int64_t>() > 64);
  std::vector<Override> old = low;
  old.push_back({"runtime.version", "go1.19"});
  const RunResult go119 = run_yaml(kService, old);
  REQUIRE(go119.outcome.status == OutcomeStatus::kCompleted);
  CHECK(counter(go119, "fds", "limit").get<std::int64_t>() == 4096);  // os/rlimit.go: Max
  // netpollinit: epoll + eventfd (go1.26), epoll + a pipe (go1.19); plus stdio and the listener.
  CHECK(counter(go126, "fds", "base").get<std::int64_t>() == 6);
  CHECK(counter(go119, "fds", "base").get<std::int64_t>() == 7);
  // Already at Max - 1: go1.26 leaves it; go1.19 still raises it to Max.
  const RunResult edge = run_yaml(kService, {{"rlimit.nofile", "4095"}, {"rlimit.nofile_hard", "4096"}});
  CHECK(counter(edge, "fds", "limit").get<std::int64_t>() == 4095);
  // A hard limit as low as the soft one: nothing to raise, EMFILE as before.
  const RunResult capped = run_yaml(kService, {{"rlimit.nofile", "64"}, {"rlimit.nofile_hard", "64"}, {"rlimit.on_emfile", "fail"}});
  CHECK(capped.outcome.status == OutcomeStatus::kTooManyOpenFiles);
}

TEST_CASE("fd: keep-alive connections beyond the limit are never accepted", "[go][fd]") {
  const std::vector<Override> pool = {{"runtime.arrivals", "netpoll"}, {"runtime.connections", "64"}, {"rlimit.nofile", "32"},
                                      {"runtime.raise_nofile", "false"}};
  const RunResult retry = run_yaml(kService, pool);
  REQUIRE(retry.outcome.status == OutcomeStatus::kCompleted);
  CHECK(counter_u64(retry, "fds", "unaccepted_connections") == 64 - (32 - 6));
  CHECK(counter(retry, "fds", "peak").get<std::int64_t>() == 32);
  std::vector<Override> fail = pool;
  fail.push_back({"rlimit.on_emfile", "fail"});
  const RunResult failed = run_yaml(kService, fail);
  CHECK(failed.outcome.status == OutcomeStatus::kTooManyOpenFiles);
  CHECK(failed.goroutines_completed == 0);
  // Not even the listening socket fits: the run ends at start whatever on_emfile says.
  const RunResult none = run_yaml(kService, {{"rlimit.nofile", "4"}, {"runtime.raise_nofile", "false"}});
  CHECK(none.outcome.status == OutcomeStatus::kTooManyOpenFiles);
  CHECK_THAT(none.outcome.detail, Catch::Contains("listen"));
}

TEST_CASE("fd: the default limits leave a run as it was", "[go][fd]") {
  const RunResult def = run_yaml(kService);
  const RunResult off = run_yaml(kService, {{"runtime.raise_nofile", "false"}, {"rlimit.nofile", "100000"}, {"rlimit.nofile_hard", "100000"}});
  CHECK(def.fingerprint == off.fingerprint);
  CHECK(counter(def, "fds", "limit").get<std::int64_t>() == 524287);
}

TEST_CASE("fd: bad limits name the key and the fix", "[go][fd]") {
  CHECK_THAT(error_of({{"rlimit.nofile", "-1"}}), Catch::Contains("rlimit.nofile"));
  CHECK_THAT(error_of({{"rlimit.nofile_hard", "-5"}}), Catch::Contains("rlimit.nofile_hard"));
  CHECK_THAT(error_of({{"rlimit.nofile", "2048"}, {"rlimit.nofile_hard", "1024"}}),
             Catch::Contains("rlimit.nofile") && Catch::Contains("EINVAL") && Catch::Contains("rlimit.nofile_hard"));
  CHECK_THAT(error_of({{"rlimit.on_emfile", "ignore"}}), Catch::Contains("rlimit.on_emfile") && Catch::Contains("retry"));
  CHECK_THAT(error_of({{"rlimit.nofile", "lots"}}), Catch::Contains("rlimit.nofile"));
}
