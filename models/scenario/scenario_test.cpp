// Scenario loading: layers and provenance, --set, and one test per kind of bad input. Every error must
// name the key and say how to fix it.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "models/registry.h"
#include "models/scenario/catalog.h"
#include "models/result.h"
#include "models/scenario/scenario.h"

using namespace gmpsim::models;

namespace {

const char* kBase = R"(
machine: {cpus: 2, memory: 8GiB}
runtime: {model: fifo}
workload:
  classes:
    request:
      arrivals: {process: poisson, rate: 1000/s}
      program:
        - compute: {dist: exponential, mean: 100us}
        - span:
            name: tail
            steps: [{compute: 10us}]
    worker:
      program: [{compute: 1ms}]
run: {duration: 2s, seed: 3}
)";

// The message of the ScenarioError thrown by loading `yaml` with `sets`.
std::string error_of(const std::string& yaml, const std::vector<Override>& sets = {}) {
  try {
    load_scenario(yaml, "<text>", sets);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string with(const std::string& from, const std::string& to) {
  std::string s = kBase;
  const auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  return s.replace(pos, from.size(), to);
}

}  // namespace

TEST_CASE("a valid scenario resolves with defaults and records each value's layer", "[scenario]") {
  const Scenario sc = load_scenario(kBase, "<text>");
  CHECK(sc.machine.cpus == std::vector<int>{0, 1});
  CHECK(sc.machine.numa_nodes == std::vector<std::vector<int>>{{0, 1}});
  CHECK(sc.machine.memory_bytes == 8LL << 30);
  CHECK(sc.run.duration == 2'000'000'000);
  CHECK(sc.run.sample_interval == 10'000'000);
  CHECK(sc.run.seed == 3);
  CHECK(sc.runtime.version == "v1");
  CHECK(sc.kernel.timer_slack == 50'000);
  REQUIRE(sc.workload.classes.size() == 2);
  CHECK(sc.workload.classes[0].name == "request");
  CHECK(sc.workload.classes[1].arrivals.process == Arrivals::Process::kNone);
  REQUIRE(sc.workload.spans.size() == 1);
  CHECK(sc.workload.spans[0].name == "tail");

  const Json origin = sc.origin_json();
  CHECK(origin["machine.cpus"] == "scenario");
  CHECK(origin["run.sample_interval"] == "default");
  CHECK(origin["kernel.hz"] == "kernel:host-vm");
  CHECK(origin["workload.classes.request.arrivals.rate"] == "scenario");

  const Json resolved = sc.resolved_json();
  CHECK(resolved["run"]["duration"] == "2s");
  CHECK(resolved["run"]["sample_interval"] == "10ms");
  CHECK(resolved["machine"]["cpus"] == 2);
  CHECK(resolved["workload"]["classes"]["request"]["arrivals"]["rate"] == "1000/s");
  CHECK(resolved.begin().key() == "description");  // table order, not resolution order
}

TEST_CASE("the resolved scenario loads again to the same scenario", "[scenario]") {
  const Scenario a = load_scenario(kBase, "<text>");
  const Scenario b = load_scenario(a.resolved_json().dump(), "<text>");
  CHECK(a.resolved_json() == b.resolved_json());
}

TEST_CASE("overrides (--set) reach any key, parse YAML values and address list items", "[scenario]") {
  const Scenario sc = load_scenario(kBase, "<text>",
                                    {{"run.duration", "5s"},
                                     {"machine.cpus", "[0, 2, 4]"},
                                     {"workload.classes.request.program.0.compute", "80us"},
                                     {"kernel.profile", "bare-metal"}});
  CHECK(sc.run.duration == 5'000'000'000);
  CHECK(sc.machine.cpus == std::vector<int>{0, 2, 4});
  CHECK(sc.workload.classes[0].program.dists[0].mean() == Approx(80'000));
  CHECK(sc.kernel.futex_wake == 1500);
  const Json origin = sc.origin_json();
  CHECK(origin["run.duration"] == "set");
  CHECK(origin["workload.classes.request.program"] == "set");
  CHECK(origin["kernel.futex_wake"] == "kernel:bare-metal");
  CHECK(origin["run.seed"] == "scenario");
}

TEST_CASE("a kernel profile file is a layer between the model and the scenario", "[scenario]") {
  const auto path = std::filesystem::temp_directory_path() / "gmpsim_kernel_profile_test.yaml";
  std::ofstream(path) << "host: {cpu: test}\nkernel: {futex_wake: 9us, hz: 1000Hz}\n";
  const Scenario sc = load_scenario(kBase, "<text>", {{"kernel.profile", path.string()}, {"kernel.hz", "100Hz"}});
  CHECK(sc.kernel.futex_wake == 9000);
  CHECK(sc.kernel.hz == 100);  // the scenario layer (here --set) wins over the profile
  CHECK(sc.origin_json()["kernel.futex_wake"] == "kernel:" + path.string());
  CHECK(sc.kernel.thread_create == 23600);  // not in the file: the default
  std::ofstream(path) << "kernel: {futex_wak: 9us}\n";
  CHECK_THAT(error_of(kBase, {{"kernel.profile", path.string()}}), Catch::Contains("unknown key `kernel.futex_wak`") &&
                                                                     Catch::Contains("did you mean `kernel.futex_wake`"));
  std::filesystem::remove(path);
}

TEST_CASE("a profile file's vm section sets the host's memory settings under the scenario's", "[scenario][calibrate][mm]") {
  const auto path = std::filesystem::temp_directory_path() / "gmpsim_vm_profile_test.yaml";
  std::ofstream(path) << "kernel: {futex_wake: 9us}\n"
                         "vm: {swappiness: 10, overcommit_memory: 2, thp: {enabled: madvise, defrag: never}, swap: {size: 1024KiB}}\n";
  const Scenario sc = load_scenario(kBase, "<text>", {{"kernel.profile", path.string()}, {"vm.overcommit_memory", "1"}});
  const Json origin = sc.origin_json();
  CHECK(origin["vm.swappiness"] == "kernel:" + path.string());
  CHECK(origin["vm.thp.defrag"] == "kernel:" + path.string());
  CHECK(sc.resolved_json()["vm"]["swappiness"] == 10);
  CHECK(sc.resolved_json()["vm"]["thp"]["enabled"] == "madvise");
  CHECK(sc.resolved_json()["vm"]["overcommit_memory"] == 1);  // the scenario layer wins
  std::ofstream(path) << "kernel: {futex_wake: 9us}\nvm: {swapiness: 10}\n";
  CHECK_THAT(error_of(kBase, {{"kernel.profile", path.string()}}), Catch::Contains("unknown key `vm.swapiness`") &&
                                                                     Catch::Contains("did you mean `vm.swappiness`"));
  std::ofstream(path) << "kernel: {futex_wake: 9us}\nvm: {thp: {enabled: sometimes}}\n";
  CHECK_THAT(error_of(kBase, {{"kernel.profile", path.string()}}), Catch::Contains("vm.thp.enabled"));
  std::filesystem::remove(path);
}

TEST_CASE("a profile file's runtime section for the scenario's model is part of its layer", "[scenario][calibrate]") {
  const auto path = std::filesystem::temp_directory_path() / "gmpsim_host_profile_test.yaml";
  std::ofstream(path) << "host: {cpu_model: test}\n"
                         "kernel: {futex_wake: 9us, syscall: 300ns}\n"
                         "runtime:\n"
                         "  go: {runtime.cost.schedule: 70ns, runtime.cost.gopark: 41ns}\n"
                         "  boost-fiber-ws: {fiber.cost.switch: 70ns, fiber.cost.no_such_key: 1ns}\n"
                         "measurements: {fiber.yield2: {median: 70, p10: 60, p90: 80}}\n"
                         "fit: {relative_residual_rms: 0.1}\n";
  const std::string origin = "kernel:" + path.string();
  const std::string go = with("runtime: {model: fifo}", "runtime: {model: go}");
  const Scenario sc = load_scenario(go, "<text>", {{"kernel.profile", path.string()}, {"runtime.cost.gopark", "50ns"}});
  const Json o = sc.origin_json();
  const Json r = sc.resolved_json();
  CHECK(o["kernel.futex_wake"] == origin);
  CHECK(o["kernel.syscall"] == origin);
  CHECK(r["kernel"]["syscall"] == "300ns");
  CHECK(o["runtime.cost.schedule"] == origin);
  CHECK(r["runtime"]["cost"]["schedule"] == "70ns");
  CHECK(o["runtime.cost.gopark"] == "set");           // the scenario layer still wins
  CHECK(o["runtime.cost.newproc"] == "default");      // not in the file
  // Sections of other models are not read, so keys of models this build lacks do no harm.
  CHECK(load_scenario(kBase, "<text>", {{"kernel.profile", path.string()}}).origin_json()["runtime.cost.schedule"] == "default");

  std::ofstream(path) << "kernel: {futex_wake: 9us}\nruntime: {go: {runtime.cost.shedule: 70ns}}\n";
  CHECK_THAT(error_of(go, {{"kernel.profile", path.string()}}),
             Catch::Contains("unknown key `runtime.cost.shedule`") && Catch::Contains("did you mean `runtime.cost.schedule`"));
  std::ofstream(path) << "kernel: {futex_wake: 9us}\nruntime: {go: {runtime.model: fifo}}\n";
  CHECK_THAT(error_of(go, {{"kernel.profile", path.string()}}), Catch::Contains("unknown key `runtime.model`"));
  std::ofstream(path) << "kernel: {futex_wake: 9us}\nruntime: {go: {runtime.cost.schedule: 70}}\n";
  CHECK_THAT(error_of(go, {{"kernel.profile", path.string()}}), Catch::Contains("runtime.cost.schedule (in ") && Catch::Contains("has no unit"));
  std::ofstream(path) << "kernel: {futex_wake: 9us}\nruntime: [go]\n";
  CHECK_THAT(error_of(go, {{"kernel.profile", path.string()}}), Catch::Contains("`runtime:` must map model names"));
  std::ofstream(path) << "kernel: {futex_wake: 9us}\nruntimes: {}\n";
  CHECK_THAT(error_of(go, {{"kernel.profile", path.string()}}), Catch::Contains("unknown top-level key `runtimes`"));
  std::filesystem::remove(path);
}

TEST_CASE("bad input: unknown keys name the closest valid key", "[scenario][errors]") {
  CHECK(error_of(with("run: {duration: 2s", "run: {duraton: 2s")) ==
        "run.duraton: unknown key (did you mean `run.duration`?); `gmpsim params` lists every valid key");
  CHECK_THAT(error_of(with("machine:", "machin:")), Catch::StartsWith("machin: unknown key (did you mean `machine`?)"));
  CHECK_THAT(error_of(with("arrivals: {process", "arrival: {process")),
             Catch::StartsWith("workload.classes.request.arrival: unknown key (did you mean `workload.classes.request.arrivals`?)"));
  CHECK_THAT(error_of(kBase, {{"run.sead", "4"}}), Catch::StartsWith("run.sead: unknown key (did you mean `run.seed`?)"));
}

TEST_CASE("bad input: wrong types", "[scenario][errors]") {
  CHECK_THAT(error_of(with("seed: 3", "seed: [3]")), Catch::StartsWith("run.seed: expected a single value"));
  CHECK_THAT(error_of(with("seed: 3", "seed: three")), Catch::StartsWith("run.seed: expected a whole number"));
  CHECK_THAT(error_of(with("machine: {cpus: 2, memory: 8GiB}", "machine: 4")), Catch::StartsWith("machine: expected a map"));
  CHECK_THAT(error_of(kBase, {{"run.confidence", "high"}}), Catch::StartsWith("run.confidence: expected a number"));
  CHECK(error_of(with("seed: 3", "seed:")) == "run.seed: has no value; give a value of type int (default 1)");
}

TEST_CASE("bad input: wrong or missing units", "[scenario][errors]") {
  CHECK(error_of(with("duration: 2s", "duration: 2")) ==
        "run.duration: \"2\" has no unit; write a duration with a unit, e.g. 100us, 2ms or 1.5s");
  CHECK_THAT(error_of(with("memory: 8GiB", "memory: 8ms")), Catch::StartsWith("machine.memory: unknown unit \"ms\""));
  CHECK_THAT(error_of(with("rate: 1000/s", "rate: 1000")), Catch::StartsWith("workload.classes.request.arrivals.rate: \"1000\" has no unit"));
  CHECK_THAT(error_of(with("mean: 100us", "mean: 100")), Catch::StartsWith("workload.classes.request.program.0.compute.mean: \"100\" has no unit"));
}

TEST_CASE("bad input: impossible values", "[scenario][errors]") {
  CHECK_THAT(error_of(with("cpus: 2", "cpus: 0")), Catch::StartsWith("machine.cpus: value 0 is out of range"));
  CHECK_THAT(error_of(with("cpus: 2", "cpus: [0, 1, 1]")), Catch::StartsWith("machine.cpus: a CPU id is listed twice"));
  CHECK_THAT(error_of(kBase, {{"run.warmup", "3s"}}), Catch::StartsWith("run.warmup: must be shorter than run.duration (2s)"));
  CHECK_THAT(error_of(kBase, {{"run.confidence", "1.5"}}), Catch::StartsWith("run.confidence: value 1.5 is out of range"));
  CHECK_THAT(error_of(kBase, {{"machine.numa.nodes", "[[0], [0]]"}}), Catch::StartsWith("machine.numa.nodes: the nodes must partition"));
  CHECK_THAT(error_of(kBase, {{"workload.classes.request.program.0.compute", "{dist: lognormal, median: 1ms, sigma: -1}"}}),
             Catch::StartsWith("workload.classes.request.program.0.compute: lognormal: sigma"));
  CHECK_THAT(error_of(kBase, {{"workload.classes.request.arrivals.process", "none"},
                              {"workload.classes.request.arrivals.rate", "1/s"}}),
             Catch::StartsWith("workload.classes.request.arrivals.rate: it is not used with process none"));
}

TEST_CASE("bad input: unknown choices suggest the closest", "[scenario][errors]") {
  CHECK_THAT(error_of(kBase, {{"runtime.model", "fiffo"}}),
             Catch::StartsWith("runtime.model: unknown value \"fiffo\" (did you mean `fifo`?)"));
  CHECK_THAT(error_of(kBase, {{"runtime.version", "v2"}}), Catch::StartsWith("runtime.version: model fifo has no version \"v2\""));
  CHECK_THAT(error_of(kBase, {{"workload.classes.request.arrivals.process", "poison"}}),
             Catch::Contains("did you mean `poisson`?"));
  CHECK_THAT(error_of(kBase, {{"kernel.profile", "bare-metl"}}), Catch::StartsWith("kernel.profile: no built-in profile or file named"));
}

TEST_CASE("bad input: missing required keys", "[scenario][errors]") {
  CHECK_THAT(error_of(with("{process: poisson, rate: 1000/s}", "{process: poisson}")),
             Catch::StartsWith("workload.classes.request.arrivals.rate: missing"));
  CHECK_THAT(error_of("run: {duration: 1s}\n"), Catch::StartsWith("workload.classes: define at least one goroutine class"));
  CHECK_THAT(error_of(with("{process: poisson, rate: 1000/s}", "{process: none}")),
             Catch::StartsWith("workload.classes: no class has arrivals"));
}

TEST_CASE("bad input: program steps", "[scenario][errors]") {
  CHECK_THAT(error_of(kBase, {{"workload.classes.worker.program", "[{compute: 1ms, spawn: request}]"}}),
             Catch::StartsWith("workload.classes.worker.program.0: a step is a map with exactly one key"));
  CHECK_THAT(error_of(kBase, {{"workload.classes.worker.program", "[{compte: 1ms}]"}}),
             Catch::StartsWith("workload.classes.worker.program.0.compte: unknown step (did you mean `compute`?)"));
  CHECK_THAT(error_of(kBase, {{"workload.classes.worker.program", "[{spawn: reqest}]"}}),
             Catch::StartsWith("workload.classes.worker.program.0.spawn: no goroutine class named `reqest` (did you mean `request`?)"));
  CHECK_THAT(error_of(kBase, {{"workload.classes.worker.program", "[{repeat: {count: -2, steps: []}}]"}}),
             Catch::StartsWith("workload.classes.worker.program.0.repeat.count: must be >= 0 or `forever`"));
  CHECK_THAT(error_of(kBase, {{"workload.classes.worker.program", "[{compute: {dist: weibull, mean: 1ms}}]"}}),
             Catch::StartsWith("workload.classes.worker.program.0.compute.dist: unknown distribution `weibull`"));
  CHECK_THAT(error_of(kBase, {{"workload.classes.worker.program", "[{compute: {dist: exponential, mean: 1ms, median: 2ms}}]"}}),
             Catch::StartsWith("workload.classes.worker.program.0.compute.median: unknown key"));
  CHECK_THAT(error_of(kBase, {{"workload.classes.worker.program", "[{span: {name: tail, steps: []}}]"}}),
             Catch::Contains("span `tail` is defined twice"));
}

TEST_CASE("bad input: channels, selects and objects", "[scenario][errors]") {
  const std::string prog = "workload.classes.worker.program";
  CHECK_THAT(error_of(kBase, {{prog, "[{send: jobs}]"}}),
             Catch::StartsWith(prog + ".0.send: no channel named `jobs`; declare it under workload.channels"));
  CHECK_THAT(error_of(kBase, {{"workload.channels", "{jobz: 1}"}, {prog, "[{recv: jobs}]"}}),
             Catch::Contains("no channel named `jobs` (did you mean `jobz`?)"));
  CHECK_THAT(error_of(kBase, {{"workload.channels", "{jobs: -1}"}}), Catch::StartsWith("workload.channels.jobs: capacity must be"));
  CHECK_THAT(error_of(kBase, {{"workload.channels", "[jobs]"}}), Catch::StartsWith("workload.channels: expected a map of channel names"));
  CHECK_THAT(error_of(kBase, {{"workload.channels", "{c: 0}"}, {prog, "[{select: [{recv: c, send: c}]}]"}}),
             Catch::StartsWith(prog + ".0.select.0: a case has exactly one of recv: C or send: C"));
  CHECK_THAT(error_of(kBase, {{prog, "[{select: [{default: []}, {default: []}]}]"}}),
             Catch::StartsWith(prog + ".0.select.1: a select has at most one default case"));
  CHECK_THAT(error_of(kBase, {{prog, "[{make: {chan: r, capacity: -1}}]"}}),
             Catch::StartsWith(prog + ".0.make.capacity: must be >= 0"));
  CHECK_THAT(error_of(kBase, {{prog, "[{make: {pipe: r}}]"}}), Catch::StartsWith(prog + ".0.make: name what to make"));
  CHECK_THAT(error_of(kBase, {{"workload.channels", "{r: 0}"}, {prog, "[{make: {chan: r}}]"}}),
             Catch::Contains("`r` is a global channel"));
  // A class that uses a made channel must be spawned by a class that makes it.
  CHECK_THAT(error_of(kBase, {{prog, "[{make: {chan: r}}, {send: r}]"},
                              {"workload.classes.request.program", "[{recv: r}]"}}),
             Catch::StartsWith("workload.classes.request.program: uses channel `r`, which another class makes"));
  CHECK(error_of(kBase, {{prog, "[{make: {chan: r}}, {send: r}]"},
                         {"workload.classes.request.program", "[{make: {chan: r}}, {spawn: worker}, {recv: r}]"}}) == "(no error)");
  CHECK_THAT(error_of(kBase, {{prog, "[{stack: 2GB}]"}}), Catch::Contains("1 GB maximum stack"));
  CHECK_THAT(error_of(kBase, {{prog, "[{sleep: 5}]"}}), Catch::StartsWith(prog + ".0.sleep: \"5\" has no unit"));
}

TEST_CASE("bad input: malformed YAML and --set", "[scenario][errors]") {
  CHECK_THAT(error_of("run: {duration: 1s\nmachine: [\n"), Catch::StartsWith("<text>:") && Catch::Contains("YAML syntax error"));
  CHECK_THAT(error_of(kBase, {{"workload.classes.request.program.5.compute", "1ms"}}),
             Catch::Contains("addresses a list of 2 items; use an index from 0 to 1"));
  CHECK_THAT(error_of(kBase, {{"run.duration.value", "1s"}}), Catch::Contains("holds a single value, not a map"));
  CHECK_THROWS_AS(parse_override("novalue"), ScenarioError);
  CHECK(parse_override("a.b=[1, 2]").value == "[1, 2]");
  CHECK_THAT(error_of(kBase, {{"workload.classes.request.program.0.compute", ""}}), Catch::Contains("needs a value"));
}

TEST_CASE("distribution forms in scenarios", "[scenario]") {
  auto dist_of = [](const std::string& text) {
    const Scenario sc = load_scenario(kBase, "<text>", {{"workload.classes.worker.program", "[{compute: " + text + "}]"}});
    return sc.workload.classes[1].program.dists[0];
  };
  CHECK(dist_of("250us").mean() == Approx(250'000));
  CHECK(dist_of("{dist: exponential, mean: 1ms}").mean() == Approx(1e6));
  CHECK(dist_of("{dist: uniform, low: 10us, high: 30us}").mean() == Approx(20'000));
  CHECK(dist_of("{dist: lognormal, mean: 1ms, cv: 2}").mean() == Approx(1e6));
  CHECK(dist_of("{dist: erlang, k: 4, mean: 1ms}").variance() == Approx(1e12 / 4));
  CHECK(dist_of("{dist: gamma, shape: 2, scale: 5us}").mean() == Approx(10'000));
  CHECK(dist_of("{dist: pareto, scale: 10us, alpha: 2}").mean() == Approx(20'000));
  CHECK(dist_of("{dist: mixture, of: [{weight: 3, dist: 10us}, {weight: 1, dist: exponential, mean: 50us}]}").mean() ==
        Approx(0.75 * 10'000 + 0.25 * 50'000));
  CHECK(dist_of("{dist: empirical, points: [[0us, 0], [10us, 0.5], [30us, 1]]}").mean() == Approx(0.5 * 5000 + 0.5 * 20'000));
  CHECK(dist_of("{dist: empirical, samples: [10us, 20us, 60us]}").mean() == Approx(30'000));
  CHECK(dist_of("{dist: empirical, histogram: {edges: [0us, 10us, 30us], counts: [1, 1]}}").mean() == Approx(0.5 * 5000 + 0.5 * 20'000));
}

TEST_CASE("bad empirical distributions name the key and the fix", "[scenario]") {
  auto err = [](const std::string& text) {
    return error_of(kBase, {{"workload.classes.worker.program", "[{compute: " + text + "}]"}});
  };
  CHECK_THAT(err("{dist: empirical}"), Catch::Contains("workload.classes.worker.program.0.compute: an empirical distribution needs exactly one of points"));
  CHECK_THAT(err("{dist: empirical, samples: [1us], points: [[1us, 1]]}"), Catch::Contains("exactly one of"));
  CHECK_THAT(err("{dist: empirical, samples: []}"), Catch::Contains("compute.samples: expected a non-empty list of durations"));
  CHECK_THAT(err("{dist: empirical, samples: [10us, 5]}"), Catch::Contains("compute.samples.1") && Catch::Contains("has no unit"));
  CHECK_THAT(err("{dist: empirical, histogram: {edges: [0us, 10us], counts: [1, 2]}}"),
             Catch::Contains("compute.histogram: empirical: a histogram needs one count per bucket"));
  CHECK_THAT(err("{dist: empirical, histogram: {edges: [0us, 10us], count: [1]}}"), Catch::Contains("unknown key"));
  CHECK_THAT(err("{dist: empirical, histogram: {edges: [10us, 0us], counts: [1]}}"), Catch::Contains("edges must be non-decreasing"));
}

TEST_CASE("a trace of arrival times is replayed as recorded; bad traces name the line", "[scenario]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("gmpsim_trace_" + std::to_string(getpid()));
  fs::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  };
  const std::string good = write("good.txt", "# recorded hand-over times\n1000000\n2ms\n\n2000000  # two at once\n5ms\n");
  const std::string yaml = "runtime: {model: fifo}\nworkload: {classes: {req: {arrivals: {process: trace, file: \"" + good +
                           "\"}, program: [{compute: 100us}]}}}\nrun: {duration: 10ms}\n";
  const Scenario sc = load_scenario(yaml, "<text>");
  const Arrivals& a = sc.workload.classes[0].arrivals;
  REQUIRE(a.process == Arrivals::Process::kTrace);
  CHECK(a.open_loop());
  CHECK(*a.trace == std::vector<gmpsim::sim::Time>{1'000'000, 2'000'000, 2'000'000, 5'000'000});
  // A model replays it: four arrivals; the two at 2 ms each get one of the 4 CPUs, so every one takes 100 us.
  const RunResult r = run_scenario(sc);
  CHECK(r.goroutines_created == 4);
  CHECK(r.classes[0].latency.latency.max() == 100'000);

  auto error = [&](const std::string& text) {
    const std::string path = write("bad.txt", text);
    return error_of("runtime: {model: fifo}\nworkload: {classes: {req: {arrivals: {process: trace, file: \"" + path +
                    "\"}, program: [{compute: 1us}]}}}\n");
  };
  CHECK_THAT(error("1ms\n3ms\n2ms\n"), Catch::StartsWith("workload.classes.req.arrivals.file:") && Catch::Contains("bad.txt:3") &&
                                          Catch::Contains("ascending"));
  CHECK_THAT(error("1ms\nsoon\n"), Catch::Contains("bad.txt:2: \"soon\" is not a time"));
  CHECK_THAT(error("# nothing\n"), Catch::Contains("holds no arrival times"));
  CHECK_THAT(error_of("runtime: {model: fifo}\nworkload: {classes: {req: {arrivals: {process: trace, file: /no/such}, program: [{compute: 1us}]}}}\n"),
             Catch::StartsWith("workload.classes.req.arrivals.file: cannot read \"/no/such\""));
  CHECK_THAT(error_of("runtime: {model: fifo}\nworkload: {classes: {req: {arrivals: {process: trace}, program: [{compute: 1us}]}}}\n"),
             Catch::StartsWith("workload.classes.req.arrivals.file: missing"));
  fs::remove_all(dir);
}

TEST_CASE("the model catalog and the registry name the same models", "[scenario][registry]") {
  for (const ModelInfo& m : model_catalog()) {
    CHECK(create_model(m.name) != nullptr);
    CHECK_FALSE(m.versions.empty());
  }
  CHECK_THROWS_AS(create_model("no-such-model"), std::invalid_argument);
}

// ---- hazards: input that once crashed the loader, blew up its memory or was silently accepted ----

TEST_CASE("scenario: YAML hazards are bounded and reported with the key", "[scenario][hazards]") {
  // An alias that contains itself: every recursive walk would overflow the stack.
  const std::string self = "workload:\n  classes:\n    loop:\n      arrivals: {process: poisson, rate: 10/s}\n"
                           "      program: &p [{repeat: {count: 1, steps: *p}}]\n";
  CHECK_THAT(error_of(self), Catch::Contains("workload.classes.loop.program.0.repeat.steps: an alias refers to a node that contains it"));
  // The same through --set.
  CHECK_THAT(error_of(kBase, {{"workload.classes.request.program", "&p [{repeat: {count: 1, steps: *p}}]"}}),
             Catch::StartsWith("workload.classes.request.program.0.repeat.steps: an alias refers"));
  // A billion-laughs bomb: 1.4 KB of text that expands to 10^10 nodes.
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) bomb += std::string(j ? ", " : "") + "*a" + std::to_string(i - 1);
    bomb += "]\n";
  }
  CHECK_THAT(error_of(bomb), Catch::Contains("expands to more than 4000000 nodes"));
  // Complex keys, duplicate keys, deep nesting, huge scalars.
  CHECK_THAT(error_of("? [a, b]\n: 1\n"), Catch::Contains("a key that is a list or map"));
  CHECK_THAT(error_of(std::string(kBase) + "run: {duration: 5s}\n"), Catch::StartsWith("run: given twice in the same map"));
  CHECK_THAT(error_of("run: {duration: 1s, duration: 2s}\n"), Catch::StartsWith("run.duration: given twice"));
  CHECK_THAT(error_of(std::string(100, '[') + std::string(100, ']')), Catch::Contains("nested deeper than 64 levels"));
  CHECK_THAT(error_of(std::string(3000, '[') + std::string(3000, ']')), Catch::Contains("nested deeper than yaml-cpp's limit"));
  CHECK_THAT(error_of("description: " + std::string(2 << 20, 'x') + "\n"), Catch::StartsWith("description: a value of 2097152 characters"));
  // A list index too large for any integer type.
  CHECK_THAT(error_of(kBase, {{"workload.classes.request.program.99999999999999999999999.compute", "1ms"}}),
             Catch::Contains("addresses a list of 2 items"));
}

TEST_CASE("scenario: files that are not scenarios are refused without reading them whole", "[scenario][hazards]") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path();
  try {
    load_scenario_file(dir.string());
    FAIL("a directory loaded");
  } catch (const ScenarioError& e) {
    CHECK_THAT(e.what(), Catch::StartsWith("SCENARIO: \"" + dir.string() + "\" is a directory"));
  }
  try {
    load_scenario_file("/dev/zero");
    FAIL("/dev/zero loaded");
  } catch (const ScenarioError& e) {
    CHECK_THAT(e.what(), Catch::Contains("is larger than 64 MiB"));
  }
}

TEST_CASE("scenario: control characters from a scenario are escaped in messages", "[scenario][hazards]") {
  const std::string msg = error_of(kBase, {{"run.duration", "\"2\x1b[31mred\x07\""}});
  CHECK(msg.find('\x1b') == std::string::npos);
  CHECK(msg.find('\x07') == std::string::npos);
  CHECK_THAT(msg, Catch::Contains("\\x1b[31mred\\x07"));
}

TEST_CASE("scenario: thousands of classes load in linear time", "[scenario][hazards]") {
  std::string yaml = "workload:\n  classes:\n";
  for (int i = 0; i < 5000; ++i) yaml += "    c" + std::to_string(i) + ": {arrivals: {process: poisson, rate: 1/s}, program: [{compute: 1us}]}\n";
  const Scenario sc = load_scenario(yaml, "<text>");  // quadratic lookups took minutes here
  CHECK(sc.workload.classes.size() == 5000);
  CHECK(sc.find("workload.classes.c4999.arrivals.rate") != nullptr);
}

TEST_CASE("scenario: run.max_memory refuses what the simulator cannot hold, before the run", "[scenario][hazards]") {
  CHECK_THAT(error_of(kBase, {{"run.duration", "1000000s"}, {"run.sample_interval", "1us"}}),
             Catch::StartsWith("run.sample_interval: the time series of a 1000000s run sampled every 1us needs about"));
  CHECK(error_of(kBase, {{"run.duration", "1000000s"}, {"run.sample_interval", "1us"}, {"run.max_memory", "0B"}}) == "(no error)");
  CHECK_THAT(error_of("workload: {classes: {c: {arrivals: {process: closed, clients: 1000000000}, program: [{compute: 1us}]}}}\n"),
             Catch::StartsWith("workload.classes.c.arrivals.clients: 1000000000 clients need about"));
  // The go model's run queues are allocated when its run starts: refused then, before any allocation.
  const Scenario go = load_scenario(kBase, "<text>", {{"runtime.model", "go"}, {"runtime.gomaxprocs", "4096"}, {"runtime.runq_size", "1048576"}});
  CHECK_THROWS_WITH(run_scenario(go), Catch::StartsWith("runtime.runq_size: 4096 Ps with 1048576-slot run queues need"));
}
