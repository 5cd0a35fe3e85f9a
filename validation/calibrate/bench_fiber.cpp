// Boost.Fiber 1.74 (Debian's libboost-fiber-dev), the embedded fiber runtime the costs are fitted from.
// Pitfalls of Boost.Fiber 1.74 that shape this file (sources at boost-1.74.0):
//  - work_stealing keeps one static pool per process (boostorg/fiber#217): the steal benchmark is the only
//    work_stealing user and runs in its own process; every other benchmark uses the default round_robin;
//  - suspend=true idle threads are never woken by remote work (boostorg/fiber#327): work_stealing runs with
//    suspend=false;
//  - a thread's pinned dispatcher at its queue head makes a busy fiber's children unstealable
//    (context_spinlock_queue::steal returns nothing when its head is a pinned context, and never looks
//    further: boost/fiber/detail/context_spinlock_queue.hpp): the stolen fiber waits behind a fiber that
//    has already been dispatched;
//  - the default 128 KiB fixedsize_stack costs first-touch faults on every fresh stack: the spawn
//    benchmarks use pooled_fixedsize_stack, whose stacks stay mapped, so that warm rounds are fault-free and
//    the cold spawn storm shows the faults separately (counted with getrusage);
//  - teardown races (boostorg/fiber#260): steal ends its process with _exit after the results are printed
//    (measure.cpp).
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <boost/fiber/all.hpp>
#include <cstdio>
#include <string>
#include <thread>

#include "validation/calibrate/benchmarks.h"

namespace gmpsim::calibrate {
namespace {

namespace fibers = boost::fibers;

long minor_faults() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

// The stack of every fiber the spawn benchmarks create: Boost's default size (stack_traits::default_size,
// 128 KiB), pooled so that stacks are reused instead of returned to malloc.
fibers::pooled_fixedsize_stack& stack_pool() {
  static fibers::pooled_fixedsize_stack pool;
  return pool;
}

}  // namespace

BenchOutput bench_fiber_yield(const BenchScale& s) {
  // K fibers on one thread each yield Y times; with round_robin each yield is one switch to the next fiber.
  BenchOutput out;
  for (const int k : {2, 16}) {
    const int yields = s.quick ? 2000 : 10000;
    auto& series = out.series["fiber.yield" + std::to_string(k)];
    for (int b = -1, batches = s.quick ? 5 : 20; b < batches; ++b) {  // b = -1 warms up
      std::vector<fibers::fiber> fs;
      const std::int64_t t0 = now_ns();
      for (int i = 0; i < k; ++i) {
        fs.emplace_back([yields] {
          for (int j = 0; j < yields; ++j) boost::this_fiber::yield();
        });
      }
      for (auto& f : fs) f.join();
      if (b >= 0) series.push_back(static_cast<double>(now_ns() - t0) / (static_cast<double>(k) * yields));
    }
  }
  return out;
}

BenchOutput bench_fiber_spawn(const BenchScale& s) {
  BenchOutput out;
  std::atomic<int> ran{0};
  auto body = [&ran] { ran.fetch_add(1, std::memory_order_relaxed); };
  // Spawn N (launch::post: queued, not run), then join them all: spawn cost, then switch + exit cost.
  const int n = s.quick ? 500 : 1000;
  auto& spawn = out.series["fiber.spawn"];
  auto& run_exit = out.series["fiber.run_exit"];
  for (int b = -2, batches = s.quick ? 5 : 20; b < batches; ++b) {  // two warm-up rounds fill the pool
    std::vector<fibers::fiber> fs;
    fs.reserve(n);
    const std::int64_t t0 = now_ns();
    for (int i = 0; i < n; ++i) fs.emplace_back(std::allocator_arg, stack_pool(), body);
    const std::int64_t t1 = now_ns();
    for (auto& f : fs) f.join();
    const std::int64_t t2 = now_ns();
    if (b >= 0) {
      spawn.push_back(static_cast<double>(t1 - t0) / n);
      run_exit.push_back(static_cast<double>(t2 - t1) / n);
    }
  }
  // Create one fiber and join it at once: spawn, park (join), switch, exit, ready (the joiner), switch back.
  auto& create_join = out.series["fiber.create_join"];
  const int m = s.quick ? 500 : 2000;
  for (int b = -1, batches = s.quick ? 5 : 20; b < batches; ++b) {
    const std::int64_t t0 = now_ns();
    for (int i = 0; i < m; ++i) fibers::fiber(std::allocator_arg, stack_pool(), body).join();
    if (b >= 0) create_join.push_back(static_cast<double>(now_ns() - t0) / m);
  }
  return out;
}

namespace {

// Round trips between the calling fiber and an echo fiber over a pair of channels; ns per round trip.
template <class Channel>
std::vector<double> channel_round_trips(Channel& ping, Channel& pong, int batches, int per_batch) {
  std::vector<double> out;
  int v = 0;
  for (int b = -1; b < batches; ++b) {
    const std::int64_t t0 = now_ns();
    for (int i = 0; i < per_batch; ++i) {
      ping.push(i);
      pong.pop(v);
    }
    if (b >= 0) out.push_back(static_cast<double>(now_ns() - t0) / per_batch);
  }
  return out;
}

}  // namespace

BenchOutput bench_fiber_channel(const BenchScale& s) {
  BenchOutput out;
  const int batches = s.quick ? 5 : 20, per_batch = s.quick ? 1000 : 5000;
  {
    // Unbuffered: each direction parks the receiver and readies it (2 x park, ready, switch per trip).
    fibers::unbuffered_channel<int> ping, pong;
    fibers::fiber echo([&] {
      int v;
      while (ping.pop(v) == fibers::channel_op_status::success) pong.push(v);
    });
    out.series["fiber.chan_rtt"] = channel_round_trips(ping, pong, batches, per_batch);
    ping.close();
    echo.join();
  }
  {
    // buffered_channel(2) holds one item (capacity - 1: is_full_ in boost/fiber/buffered_channel.hpp): Go's
    // make(chan T, 1). Recorded, not fitted.
    fibers::buffered_channel<int> ping(2), pong(2);
    fibers::fiber echo([&] {
      int v;
      while (ping.pop(v) == fibers::channel_op_status::success) pong.push(v);
    });
    out.series["fiber.chan_rtt_buffered"] = channel_round_trips(ping, pong, batches, per_batch);
    ping.close();
    echo.join();
  }
  {
    // K waiters on a condition variable. notify_all readies each (ready); the notifier then yields once and
    // every waiter runs, re-checks and parks again (switch + park), after which the notifier runs again.
    const int k = 64;
    fibers::mutex m;
    fibers::condition_variable cv;
    int generation = 0;
    bool stop = false;
    std::atomic<int> arrivals{0};
    std::vector<fibers::fiber> waiters;
    for (int i = 0; i < k; ++i) {
      waiters.emplace_back([&] {
        std::unique_lock<fibers::mutex> lk(m);
        int seen = 0;
        while (true) {
          cv.wait(lk, [&] { return generation != seen || stop; });
          if (stop) break;
          seen = generation;
          arrivals.fetch_add(1, std::memory_order_relaxed);
        }
      });
    }
    boost::this_fiber::yield();  // every waiter runs once and parks
    auto& notify = out.series["fiber.notify"];
    auto& wait_round = out.series["fiber.wait_round"];
    for (int r = -1, rounds = s.quick ? 50 : 300; r < rounds; ++r) {
      {
        std::lock_guard<fibers::mutex> lk(m);
        ++generation;
      }
      const std::int64_t t0 = now_ns();
      cv.notify_all();
      const std::int64_t t1 = now_ns();
      boost::this_fiber::yield();
      const std::int64_t t2 = now_ns();
      if (r >= 0) {
        notify.push_back(static_cast<double>(t1 - t0) / k);
        wait_round.push_back(static_cast<double>(t2 - t1) / k);
      }
    }
    {
      std::lock_guard<fibers::mutex> lk(m);
      stop = true;
    }
    cv.notify_all();
    for (auto& f : waiters) f.join();
    if (arrivals.load() != k * (s.quick ? 51 : 301)) out.notes["fiber.wait_round"] = "a waiter missed a round";
  }
  return out;
}

namespace {
// round_robin whose idle dispatcher never sleeps: suspend_until returns at once, so the dispatcher loops
// and sees remote-ready fibers without a futex wake (what work_stealing's suspend=false does).
class SpinningRoundRobin final : public fibers::algo::round_robin {
 public:
  void suspend_until(std::chrono::steady_clock::time_point const&) noexcept override {}
  void notify() noexcept override {}
};
}  // namespace

BenchOutput bench_fiber_channel_threads(const BenchScale& s) {
  // The echo fiber lives on a second thread, so every message is a remote wake (schedule_from_remote).
  // Twice: with both threads' dispatchers spinning when idle (the remote wake alone: the model's
  // fiber.cost.remote_wake), and with round_robin's sleeping idle thread, whose condition variable (a
  // futex) must wake it each time (the wake-up latency, which the model takes from the kernel layer).
  BenchOutput out;
  for (const bool spin : {true, false}) {
    fibers::unbuffered_channel<int> ping, pong;
    std::thread peer([&] {
      if (spin) fibers::use_scheduling_algorithm<SpinningRoundRobin>();
      fibers::fiber([&] {
        int v;
        while (ping.pop(v) == fibers::channel_op_status::success) pong.push(v);
      }).join();
    });
    // The main thread spins too in the first round; a scheduler is installed once per thread, so the
    // sleeping round runs on a fresh thread of its own.
    std::vector<double> rtt;
    if (spin) {
      std::thread main_side([&] {
        fibers::use_scheduling_algorithm<SpinningRoundRobin>();
        rtt = channel_round_trips(ping, pong, s.quick ? 5 : 20, s.quick ? 100 : 300);
        ping.close();
      });
      main_side.join();
    } else {
      rtt = channel_round_trips(ping, pong, s.quick ? 5 : 20, s.quick ? 100 : 300);
      ping.close();
    }
    peer.join();
    out.series[spin ? "fiber.chan_rtt_threads_spin" : "fiber.chan_rtt_threads"] = std::move(rtt);
  }
  return out;
}

BenchOutput bench_fiber_steal(const BenchScale& s) {
  // work_stealing(2, suspend=false): the second thread idles spinning in pick_next, stealing. Each trial the
  // main thread posts fiber A (busy for `hold`) and fiber B, then joins both. Once A is dispatched, B is the
  // head of the main thread's queue and stealable; steal latency = B's start on the thief - A's start. A
  // trial where the thief did not take B (or took A) is counted, not timed.
  BenchOutput out;
  static constexpr int threads = 2;  // the pool size: ≤ CPUs, idle threads spin with suspend=false; 2 = this host's cores
  // The thief's main fiber blocks for good (as in libs/fiber/examples/work_stealing.cpp), so its queue is empty and its dispatcher
  // steals; a yielding main fiber would keep the queue non-empty and never steal.
  static fibers::mutex park_mutex;
  static fibers::condition_variable park_forever;
  static std::atomic<long> thief_tid{0};
  std::thread thief([] {
    thief_tid.store(static_cast<long>(syscall(SYS_gettid)));
    fibers::use_scheduling_algorithm<fibers::algo::work_stealing>(threads, false);
    std::unique_lock<fibers::mutex> lk(park_mutex);
    park_forever.wait(lk, [] { return false; });
  });
  fibers::use_scheduling_algorithm<fibers::algo::work_stealing>(threads, false);
  const auto main_thread = std::this_thread::get_id();
  // A holds its thread until B has started, at most `hold`: 20 ms, five 4 ms ticks, so that on a loaded
  // host a thief that lost its CPU gets it back within the trial (the latency then includes that wait).
  const std::int64_t hold = 20'000'000;
  auto& latency = out.series["fiber.steal_latency"];
  // Most trials end with the thief taking A instead (missed, fast): enough trials for ~1 % hits to give a
  // stable median.
  int not_stolen = 0, disturbed = 0, trials = s.quick ? 200 : 1500;
  while (thief_tid.load() == 0) std::this_thread::yield();
  // The thief's time waiting for a CPU (schedstat's second field, ns): a trial in which it grew measured the
  // kernel's scheduling of a busy host, not a steal, and is counted, not timed.
  const std::string schedstat = "/proc/self/task/" + std::to_string(thief_tid.load()) + "/schedstat";
  auto thief_waited_ns = [&schedstat]() -> long long {
    long long run = 0, wait = -1;
    if (FILE* f = std::fopen(schedstat.c_str(), "r")) {
      if (std::fscanf(f, "%lld %lld", &run, &wait) != 2) wait = -1;
      std::fclose(f);
    }
    return wait;
  };
  for (int t = 0; t < trials; ++t) {
    const long long waited0 = thief_waited_ns();
    std::int64_t a_start = 0, b_start = 0;
    std::atomic<bool> b_started{false};
    std::thread::id a_thread, b_thread;
    fibers::fiber a([&] {
      a_start = now_ns();
      a_thread = std::this_thread::get_id();
      while (!b_started.load() && now_ns() - a_start < hold) {
      }
    });
    fibers::fiber b([&] {
      b_start = now_ns();
      b_thread = std::this_thread::get_id();
      b_started.store(true);
    });
    a.join();
    b.join();
    const long long waited1 = thief_waited_ns();
    // B starting before A means the thief took B before the main thread dispatched A: not the steal of a
    // fiber queued behind a running one.
    if (a_thread != main_thread || b_thread == main_thread || b_start < a_start) {
      ++not_stolen;
    } else if (waited0 < 0 || waited1 != waited0) {
      ++disturbed;
    } else {
      latency.push_back(static_cast<double>(b_start - a_start));
    }
  }
  out.series["fiber.steal_missed_fraction"] = {static_cast<double>(not_stolen) / trials};
  out.series["fiber.steal_disturbed_fraction"] = {static_cast<double>(disturbed) / trials};
  thief.detach();  // the process ends with _exit: no pool teardown (boostorg/fiber#260)
  return out;
}

BenchOutput bench_fiber_storm(const BenchScale& s) {
  // A spawn storm: N fibers created at once, then all run. Cold: fresh process, every stack is new memory
  // (first-touch faults, counted); warm: the same storm again on the pooled stacks.
  BenchOutput out;
  const int n = s.quick ? 2000 : 10000;
  std::atomic<int> ran{0};
  for (const char* phase : {"cold", "warm", "warm"}) {
    std::vector<fibers::fiber> fs;
    fs.reserve(n);
    const long f0 = minor_faults();
    const std::int64_t t0 = now_ns();
    for (int i = 0; i < n; ++i) fs.emplace_back(std::allocator_arg, stack_pool(), [&ran] { ran.fetch_add(1); });
    const long f1 = minor_faults();  // the creating thread's share: the pool's new blocks, context records
    for (auto& f : fs) f.join();
    const double per_fiber = static_cast<double>(now_ns() - t0) / n;
    const double faults = static_cast<double>(minor_faults() - f0) / n;
    out.series[std::string("fiber.storm_") + phase].push_back(per_fiber);
    out.series[std::string("fiber.storm_") + phase + "_faults_per_fiber"].push_back(faults);
    out.series[std::string("fiber.storm_") + phase + "_create_faults_per_fiber"].push_back(static_cast<double>(f1 - f0) / n);
  }
  return out;
}

}  // namespace gmpsim::calibrate
