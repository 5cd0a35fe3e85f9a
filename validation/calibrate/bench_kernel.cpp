// Kernel primitives a scheduler depends on: syscall entry, futex wake to running (futex(2)), nanosleep
// overshoot against the timer slack (prctl(2) PR_SET_TIMERSLACK), signal delivery (tgkill(2)), first-touch
// page faults, mmap/munmap, thread create+join, sched_yield; and one user-space lock operation for the
// run-queue lock.
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "validation/calibrate/benchmarks.h"

namespace gmpsim::calibrate {
namespace {

constexpr std::size_t kPage = 4096;
constexpr std::size_t kHugePage = 2 << 20;  // x86-64 PMD size

long minor_faults() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

pid_t gettid_raw() { return static_cast<pid_t>(syscall(SYS_gettid)); }

void cpu_relax() { __builtin_ia32_pause(); }

void sleep_ns(std::int64_t ns) {
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

// Runs `batches` batches of `per_batch` calls of op; one sample per batch: ns per call.
template <class Op>
std::vector<double> per_op_batches(int batches, int per_batch, Op op) {
  for (int i = 0; i < per_batch; ++i) op();  // warm caches and branch predictors
  std::vector<double> out;
  for (int b = 0; b < batches; ++b) {
    const std::int64_t t0 = now_ns();
    for (int i = 0; i < per_batch; ++i) op();
    out.push_back(static_cast<double>(now_ns() - t0) / per_batch);
  }
  return out;
}

long futex(std::atomic<std::uint32_t>* word, int op, std::uint32_t val) {
  return syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), op, val, nullptr, nullptr, 0);
}

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  }
  return cpus;
}

bool pin_self(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof(set), &set) == 0;
}

std::atomic<std::int64_t> g_signal_at{0};
std::atomic<int> g_signal_count{0};
void on_signal(int) {
  g_signal_at.store(now_ns());  // clock_gettime is async-signal-safe
  g_signal_count.fetch_add(1);
}

}  // namespace

std::string read_text_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string sysfs_choice(const std::string& text) {
  const auto open = text.find('['), close = text.find(']');
  if (open == std::string::npos || close == std::string::npos || close < open) return "";
  return text.substr(open + 1, close - open - 1);
}

BenchOutput bench_syscall(const BenchScale& s) {
  BenchOutput out;
  out.series["kernel.syscall_getppid"] = per_op_batches(s.quick ? 10 : 30, 1000, [] { syscall(SYS_getppid); });
  return out;
}

BenchOutput bench_sched_yield(const BenchScale& s) {
  BenchOutput out;
  out.series["kernel.sched_yield"] = per_op_batches(s.quick ? 10 : 30, 1000, [] { sched_yield(); });
  return out;
}

BenchOutput bench_lock(const BenchScale& s) {
  // Uncontended lock + one queue push/pop + unlock: the hold time of a run-queue lock (Go's sched.lock).
  std::mutex m;
  std::deque<int> q;
  int i = 0;
  BenchOutput out;
  out.series["runtime.lock_queue_op"] = per_op_batches(s.quick ? 10 : 30, 10000, [&] {
    std::lock_guard<std::mutex> g(m);
    q.push_back(++i);
    q.pop_front();
  });
  return out;
}

BenchOutput bench_cache_line(const BenchScale& s) {
  // Two threads pinned to two CPUs hand one cache line back and forth: each waits for the other's value,
  // then writes its own. The time per hand-off (one way) is the core-to-core latency: one coherence miss
  // that moves the line from the other CPU's cache. Batches of 100 000 hand-offs; the median of batches.
  BenchOutput out;
  const std::vector<int> cpus = allowed_cpus();
  if (cpus.size() < 2) {
    out.notes["kernel.cache_line_handoff"] = "unavailable: the process may run on only one CPU";
    return out;
  }
  struct alignas(64) Line {
    std::atomic<std::int64_t> v{0};
  };
  const int batches = s.quick ? 5 : 15;
  const std::int64_t n = 100'000;
  auto& series = out.series["kernel.cache_line_handoff"];
  for (int b = 0; b < batches; ++b) {
    Line line;
    std::thread peer([&] {
      pin_self(cpus[1]);
      for (std::int64_t i = 1; i < 2 * n; i += 2) {
        while (line.v.load(std::memory_order_acquire) != i) {
        }
        line.v.store(i + 1, std::memory_order_release);
      }
    });
    pin_self(cpus[0]);
    while (line.v.load(std::memory_order_acquire) != 0) {
    }
    const std::int64_t t0 = now_ns();
    for (std::int64_t i = 0; i < 2 * n; i += 2) {
      while (line.v.load(std::memory_order_acquire) != i) {
      }
      line.v.store(i + 1, std::memory_order_release);
    }
    while (line.v.load(std::memory_order_acquire) != 2 * n) {
    }
    series.push_back(static_cast<double>(now_ns() - t0) / static_cast<double>(2 * n));
    peer.join();
  }
  return out;
}

BenchOutput bench_futex(const BenchScale& s) {
  // Ping-pong between two threads on two futex words. Each side timestamps its wake before FUTEX_WAKE and
  // the woken side timestamps when it runs: one sample per direction and round. A sample counts only when
  // FUTEX_WAKE reported a sleeping waiter (otherwise the other side had not gone to sleep yet).
  const int n = s.quick ? 300 : 2000;
  std::atomic<std::uint32_t> ab{0}, ba{0};
  std::vector<std::int64_t> sent_ab(n), recv_ab(n), sent_ba(n), recv_ba(n);
  std::vector<char> woke_ab(n), woke_ba(n);
  std::thread peer([&] {
    for (int i = 0; i < n; ++i) {
      while (ab.load() == 0) futex(&ab, FUTEX_WAIT_PRIVATE, 0);
      recv_ab[i] = now_ns();
      ab.store(0);
      sent_ba[i] = now_ns();
      ba.store(1);
      woke_ba[i] = futex(&ba, FUTEX_WAKE_PRIVATE, 1) == 1;
    }
  });
  for (int i = 0; i < n; ++i) {
    sent_ab[i] = now_ns();
    ab.store(1);
    woke_ab[i] = futex(&ab, FUTEX_WAKE_PRIVATE, 1) == 1;
    while (ba.load() == 0) futex(&ba, FUTEX_WAIT_PRIVATE, 0);
    recv_ba[i] = now_ns();
    ba.store(0);
  }
  peer.join();
  // Then one-way wakes of a thread that has waited a given time on a CPU of its own: after a short wait
  // its idle CPU still polls (a VM's halt polling) and the wake is fast; after a long one the CPU has
  // halted and the wake includes the idle exit (an IPI into a halted vCPU). The waits run from 25 µs to
  // 1 ms, timed by the waker spinning on its own CPU (a sleep would overshoot by the timer slack). The
  // two threads are pinned to different CPUs: unpinned, the kernel puts the sleeper on the waker's CPU.
  struct Idle {
    const char* label;
    std::int64_t ns;
  };
  const Idle idles[] = {{"25us", 25'000}, {"50us", 50'000}, {"100us", 100'000}, {"200us", 200'000}, {"400us", 400'000},
                        {"1ms", 1'000'000}};
  const std::vector<int> cpus = allowed_cpus();
  const int per = cpus.size() < 2 ? 0 : s.quick ? 15 : 100;
  const int m = per * static_cast<int>(std::size(idles));
  std::vector<std::int64_t> sent_idle(m), recv_idle(m), returned_idle(m), nowaiter(m);
  std::vector<char> woke_idle(m);
  std::atomic<std::uint32_t> word{0};
  std::thread sleeper([&] {
    if (m > 0) pin_self(cpus[1]);
    for (int i = 0; i < m; ++i) {
      while (word.load() == 0) futex(&word, FUTEX_WAIT_PRIVATE, 0);
      recv_idle[i] = now_ns();
      word.store(0);
    }
  });
  if (m > 0) pin_self(cpus[0]);
  for (int i = 0; i < m; ++i) {
    while (word.load() != 0) cpu_relax();  // the previous wake has been consumed: the sleeper blocks next
    const std::int64_t until = now_ns() + idles[i % std::size(idles)].ns;
    while (now_ns() < until) cpu_relax();
    sent_idle[i] = now_ns();
    word.store(1);
    woke_idle[i] = futex(&word, FUTEX_WAKE_PRIVATE, 1) == 1;
    returned_idle[i] = now_ns();  // the waker's side: the system call, and the IPI to the sleeper's idle CPU
    std::atomic<std::uint32_t> nobody{0};
    const std::int64_t t0 = now_ns();
    futex(&nobody, FUTEX_WAKE_PRIVATE, 1);  // the same call with no waiter: the system call alone
    nowaiter[i] = now_ns() - t0;
  }
  sleeper.join();
  BenchOutput out;
  if (m == 0) out.notes["kernel.futex_wake_idle"] = "unavailable: the process may run on only one CPU";
  for (int i = 0; i < m; ++i) {
    if (!woke_idle[i]) continue;
    const Idle& d = idles[i % std::size(idles)];
    const double t = static_cast<double>(recv_idle[i] - sent_idle[i]);
    if (d.ns <= 200'000) {  // the sleeper's vCPU still scheduled by the host: the IPI's cost, not the host's
      out.series["kernel.futex_wake_syscall_idle"].push_back(static_cast<double>(returned_idle[i] - sent_idle[i]));
      out.series["kernel.futex_wake_nowaiter"].push_back(static_cast<double>(nowaiter[i]));
    }
    out.series[std::string("kernel.futex_wake_idle.") + d.label].push_back(t);
    if (d.ns == 1'000'000) out.series["kernel.futex_wake_idle"].push_back(t);
  }
  auto& one_way = out.series["kernel.futex_wake"];
  auto& rtt = out.series["kernel.futex_rtt"];
  for (int i = 1; i < n; ++i) {  // round 0 starts the peer thread
    if (woke_ab[i]) one_way.push_back(static_cast<double>(recv_ab[i] - sent_ab[i]));
    if (woke_ba[i]) one_way.push_back(static_cast<double>(recv_ba[i] - sent_ba[i]));
    rtt.push_back(static_cast<double>(recv_ba[i] - sent_ab[i]));
  }
  // Last, the same ping-pong with both threads pinned to one CPU: nothing runs in parallel, so a round trip
  // is CPU time only, two FUTEX_WAKEs, two FUTEX_WAITs and two switches (kernel.context_switch).
  if (!cpus.empty()) {
    const int k = s.quick ? 300 : 3000;
    std::atomic<std::uint32_t> x{0}, y{0};
    auto& one_cpu = out.series["kernel.futex_rtt_1cpu"];
    one_cpu.reserve(static_cast<std::size_t>(k));
    pin_self(cpus[0]);
    std::thread other([&] {
      pin_self(cpus[0]);
      for (int i = 0; i < k; ++i) {
        while (x.load() == 0) futex(&x, FUTEX_WAIT_PRIVATE, 0);
        x.store(0);
        y.store(1);
        futex(&y, FUTEX_WAKE_PRIVATE, 1);
      }
    });
    for (int i = 0; i < k; ++i) {
      const std::int64_t t0 = now_ns();
      x.store(1);
      futex(&x, FUTEX_WAKE_PRIVATE, 1);
      while (y.load() == 0) futex(&y, FUTEX_WAIT_PRIVATE, 0);
      y.store(0);
      one_cpu.push_back(static_cast<double>(now_ns() - t0));
    }
    other.join();
    cpu_set_t all;
    CPU_ZERO(&all);
    for (int c : cpus) CPU_SET(c, &all);
    sched_setaffinity(0, sizeof(all), &all);
  }
  return out;
}

// kernel.wake_pack_hot / kernel.wake_pack: where the kernel puts a thread woken by a thread running on the
// wakee's previous CPU while another CPU idles. Per trial both threads are pinned to one CPU, where the
// sleeper runs last and blocks; the pins are lifted (a blocked thread keeps its previous CPU); the waker
// spins `asleep` on that CPU (100 us: the sleeper is cache hot, under sysctl_sched_migration_cost's 500 us;
// 3 ms: cold), wakes it, and spins 2 ms more there. The sleeper records the CPU it runs on: 1 when that is
// the waker's (it was queued behind the waker), 0 when another. Mainline Linux's select_idle_sibling takes
// the idle CPU (0); a kernel that packs wake-ups onto busy vCPUs keeps the wakee behind its waker.
BenchOutput bench_wake_pack(const BenchScale& s) {
  BenchOutput out;
  const std::vector<int> cpus = allowed_cpus();
  if (cpus.size() < 2) {
    out.notes["kernel.wake_pack"] = out.notes["kernel.wake_pack_hot"] = "unavailable: the process may run on only one CPU";
    return out;
  }
  cpu_set_t all, one;
  CPU_ZERO(&all);
  for (int c : cpus) CPU_SET(c, &all);
  CPU_ZERO(&one);
  CPU_SET(cpus[0], &one);
  const int per = s.quick ? 20 : 100;
  std::atomic<std::uint32_t> word{0};
  std::atomic<int> ran_on{-1};
  std::atomic<std::int64_t> ran_at{0};
  std::atomic<bool> stop{false};
  std::thread sleeper([&] {
    for (;;) {
      while (word.load() == 0) futex(&word, FUTEX_WAIT_PRIVATE, 0);
      word.store(0);
      if (stop.load()) return;
      ran_at.store(now_ns());
      ran_on.store(sched_getcpu());
    }
  });
  auto spin = [](std::int64_t ns) {
    const std::int64_t until = now_ns() + ns;
    while (now_ns() < until) cpu_relax();
  };
  // Wakes the sleeper; false if it was not asleep in FUTEX_WAIT.
  auto wake = [&]() {
    ran_on.store(-1);
    word.store(1);
    return futex(&word, FUTEX_WAKE_PRIVATE, 1) == 1;
  };
  for (int i = 0; i < 2 * per; ++i) {
    const bool hot = i % 2 == 0;
    sched_setaffinity(0, sizeof(one), &one);
    pthread_setaffinity_np(sleeper.native_handle(), sizeof(one), &one);
    // Run the sleeper once on this CPU (the pin places it there at its wake-up), then let it block again.
    while (!wake()) sched_yield();
    while (ran_on.load() < 0) sched_yield();
    spin(20'000);  // it is back in FUTEX_WAIT well within this
    pthread_setaffinity_np(sleeper.native_handle(), sizeof(all), &all);
    sched_setaffinity(0, sizeof(all), &all);
    const std::int64_t blocked = now_ns();
    spin(hot ? 100'000 : 3'000'000);
    const int here = sched_getcpu();
    const std::int64_t woke_at = now_ns();
    const bool woke = wake();
    spin(2'000'000);
    const bool stayed_here = sched_getcpu() == here;
    while (ran_on.load() < 0) sched_yield();
    if (!woke || here != cpus[0] || !stayed_here || woke_at - blocked > 20'000'000) continue;  // disturbed
    // Queued behind the waker: it ran here, or only after waiting (a balance moved it later). Placed on the
    // idle CPU: it ran there at once.
    const bool packed = ran_on.load() == here || ran_at.load() - woke_at > 500'000;
    out.series[hot ? "kernel.wake_pack_hot" : "kernel.wake_pack"].push_back(packed ? 1.0 : 0.0);
  }
  stop.store(true);
  word.store(1);
  futex(&word, FUTEX_WAKE_PRIVATE, 1);
  sleeper.join();
  return out;
}

BenchOutput bench_nanosleep(const BenchScale& s) {
  // Overshoot = elapsed - requested, first with the thread's own timer slack (what every program gets),
  // then with 1 ns slack for the short sleeps: what remains is the timer-interrupt-to-running latency.
  struct Request {
    const char* label;
    std::int64_t ns;
    int count, quick_count;
  };
  const Request requests[] = {{"1us", 1'000, 200, 30},        {"10us", 10'000, 200, 30},
                              {"50us", 50'000, 200, 30},      {"100us", 100'000, 200, 30},
                              {"1ms", 1'000'000, 60, 10},     {"2ms", 2'000'000, 40, 5}};
  BenchOutput out;
  const long slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
  out.series["kernel.timer_slack"] = {static_cast<double>(slack)};
  auto measure = [&](const char* prefix, bool short_only) {
    for (const Request& r : requests) {
      if (short_only && r.ns > 100'000) continue;
      auto& series = out.series[std::string(prefix) + r.label];
      for (int i = 0, n = s.quick ? r.quick_count : r.count; i < n; ++i) {
        const std::int64_t t0 = now_ns();
        sleep_ns(r.ns);
        series.push_back(static_cast<double>(now_ns() - t0 - r.ns));
      }
    }
  };
  measure("kernel.nanosleep_overshoot.", false);
  if (prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0) == 0) {
    measure("kernel.nanosleep_overshoot_slack1ns.", true);
    prctl(PR_SET_TIMERSLACK, slack, 0, 0, 0);
  } else {
    out.notes["kernel.nanosleep_overshoot_slack1ns"] = "unavailable: prctl(PR_SET_TIMERSLACK) failed";
  }
  return out;
}

BenchOutput bench_signal(const BenchScale& s) {
  BenchOutput out;
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGUSR1, &sa, nullptr);
  const pid_t pid = getpid();

  // To self: tgkill, the handler runs on the way back to user mode, sigreturn.
  auto& self = out.series["kernel.signal_self"];
  for (int i = 0, n = s.quick ? 200 : 2000; i < n; ++i) {
    const std::int64_t t0 = now_ns();
    syscall(SYS_tgkill, pid, gettid_raw(), SIGUSR1);
    self.push_back(static_cast<double>(now_ns() - t0));
  }

  // Sends one signal to `tid` and waits for its handler; returns send-to-handler ns, or -1 after 1 s.
  auto send_and_wait = [&](pid_t tid) -> double {
    const int before = g_signal_count.load();
    const std::int64_t t0 = now_ns();
    syscall(SYS_tgkill, pid, tid, SIGUSR1);
    while (g_signal_count.load() == before) {
      if (now_ns() - t0 > 1'000'000'000) return -1;
      cpu_relax();
    }
    return static_cast<double>(g_signal_at.load() - t0);
  };

  // To a thread spinning on another CPU: the kernel must interrupt that CPU (an IPI, slow into a vCPU).
  const std::vector<int> cpus = allowed_cpus();
  if (cpus.size() < 2) {
    out.notes["kernel.signal_spinning"] = "unavailable: the process may run on only one CPU";
  } else {
    std::atomic<bool> stop{false};
    std::atomic<pid_t> target_tid{0};
    std::thread target([&] {
      pin_self(cpus[1]);
      target_tid.store(gettid_raw());
      while (!stop.load(std::memory_order_relaxed)) cpu_relax();
    });
    while (target_tid.load() == 0) cpu_relax();
    pin_self(cpus[0]);
    sleep_ns(1'000'000);  // let the target settle on its CPU
    auto& spinning = out.series["kernel.signal_spinning"];
    for (int i = 0, n = s.quick ? 30 : 300; i < n; ++i) {
      const double v = send_and_wait(target_tid.load());
      if (v < 0) {
        out.notes["kernel.signal_spinning"] = "a signal was not handled within 1 s";
        break;
      }
      spinning.push_back(v);
    }
    stop.store(true);
    target.join();
    cpu_set_t all;
    CPU_ZERO(&all);
    for (int c : cpus) CPU_SET(c, &all);
    sched_setaffinity(0, sizeof(all), &all);
  }

  // To a thread blocked in a system call (pause): woken like a futex waiter, then the handler runs.
  {
    std::atomic<bool> stop{false};
    std::atomic<pid_t> target_tid{0};
    std::thread target([&] {
      target_tid.store(gettid_raw());
      while (!stop.load()) pause();
    });
    while (target_tid.load() == 0) cpu_relax();
    auto& blocked = out.series["kernel.signal_blocked"];
    for (int i = 0, n = s.quick ? 50 : 300; i < n; ++i) {
      sleep_ns(200'000);  // time for the target to be back in pause()
      const double v = send_and_wait(target_tid.load());
      if (v < 0) {
        out.notes["kernel.signal_blocked"] = "a signal was not handled within 1 s";
        break;
      }
      blocked.push_back(v);
    }
    stop.store(true);
    syscall(SYS_tgkill, pid, target_tid.load(), SIGUSR1);
    target.join();
  }
  return out;
}

BenchOutput bench_page_fault(const BenchScale& s) {
  // First touch of fresh anonymous memory, 4 KiB pages (huge pages refused with MADV_NOHUGEPAGE so that
  // THP=always does not change the answer). One sample per 1 MiB: ns per page. Needs a fresh process: a
  // reused range would not fault.
  const std::size_t bytes = (s.quick ? 8u : 32u) << 20, chunk = 1 << 20;
  char* p = static_cast<char*>(mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  BenchOutput out;
  if (p == MAP_FAILED) {
    out.notes["kernel.page_fault_4k"] = "unavailable: mmap failed";
    return out;
  }
  madvise(p, bytes, MADV_NOHUGEPAGE);
  auto& series = out.series["kernel.page_fault_4k"];
  const long f0 = minor_faults();
  for (std::size_t c = 0; c < bytes; c += chunk) {
    const std::int64_t t0 = now_ns();
    for (std::size_t off = c; off < c + chunk; off += kPage) p[off] = 1;
    series.push_back(static_cast<double>(now_ns() - t0) / (chunk / kPage));
  }
  out.series["kernel.page_fault_4k_faults_per_page"] = {static_cast<double>(minor_faults() - f0) / (bytes / kPage)};
  munmap(p, bytes);
  return out;
}

BenchOutput bench_page_copy(const BenchScale& s) {
  // read(2) of pages in the page cache (filemap_read -> copy_page_to_iter): 64 KiB and 4 KiB preads at the
  // same random offsets of a cached file, one sample per batch, (t64 - t4) / 15 per extra page, so the
  // call's fixed cost (entry, lookup of the first page) cancels. The file is unlinked at once, written and
  // read through first, so every page is cached.
  BenchOutput out;
  char path[] = "/tmp/gmpsim-calibrate-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) {
    out.notes["kernel.page_copy_4k"] = "unavailable: no temporary file in /tmp";
    return out;
  }
  unlink(path);
  constexpr std::size_t kBig = 64 << 10, kFile = 16 << 20;
  std::vector<char> buf(kBig, 1);
  for (std::size_t off = 0; off < kFile; off += kBig) {
    if (pwrite(fd, buf.data(), kBig, static_cast<off_t>(off)) != static_cast<ssize_t>(kBig)) {
      out.notes["kernel.page_copy_4k"] = "unavailable: writing the temporary file failed";
      close(fd);
      return out;
    }
  }
  for (std::size_t off = 0; off < kFile; off += kBig) (void)!pread(fd, buf.data(), kBig, static_cast<off_t>(off));
  auto& series = out.series["kernel.page_copy_4k"];
  const int rounds = s.quick ? 32 : 128, batch = 64;
  std::uint64_t x = 0x9e3779b97f4a7c15ull;
  std::vector<off_t> offs(batch);
  for (int r = 0; r < rounds; ++r) {
    for (off_t& o : offs) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      o = static_cast<off_t>((x % (kFile / kBig)) * kBig);
    }
    std::int64_t t0 = now_ns();
    for (const off_t o : offs) (void)!pread(fd, buf.data(), kPage, o);
    const std::int64_t small = now_ns() - t0;
    t0 = now_ns();
    for (const off_t o : offs) (void)!pread(fd, buf.data(), kBig, o);
    const std::int64_t big = now_ns() - t0;
    series.push_back(std::max(0.0, static_cast<double>(big - small) / batch / (kBig / kPage - 1)));
  }
  close(fd);
  return out;
}

BenchOutput bench_page_fault_huge(const BenchScale& s) {
  // First touch of a 2 MiB transparent huge page. Counted only when the touch took exactly one fault (a
  // huge page); a fallback to 4 KiB pages is reported instead of mixed in.
  BenchOutput out;
  const std::string mode = sysfs_choice(read_text_file("/sys/kernel/mm/transparent_hugepage/enabled"));
  if (mode.empty() || mode == "never") {
    out.notes["kernel.page_fault_2m"] = "unavailable: transparent huge pages are " + (mode.empty() ? "not supported" : mode);
    return out;
  }
  const std::size_t count = s.quick ? 4 : 16, bytes = (count + 1) * kHugePage;
  char* raw = static_cast<char*>(mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (raw == MAP_FAILED) {
    out.notes["kernel.page_fault_2m"] = "unavailable: mmap failed";
    return out;
  }
  char* p = reinterpret_cast<char*>((reinterpret_cast<std::uintptr_t>(raw) + kHugePage - 1) & ~(kHugePage - 1));
  madvise(p, count * kHugePage, MADV_HUGEPAGE);
  auto& series = out.series["kernel.page_fault_2m"];
  int fallbacks = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const long f0 = minor_faults();
    const std::int64_t t0 = now_ns();
    p[i * kHugePage] = 1;
    const std::int64_t t1 = now_ns();
    if (minor_faults() - f0 == 1) series.push_back(static_cast<double>(t1 - t0));
    else ++fallbacks;
  }
  if (series.empty()) {
    out.notes["kernel.page_fault_2m"] = "unavailable: THP is " + mode + " but every touch got 4 KiB pages (memory fragmented?)";
  } else if (fallbacks > 0) {
    out.notes["kernel.page_fault_2m"] = std::to_string(fallbacks) + " of " + std::to_string(count) +
                                        " touches fell back to 4 KiB pages and were left out";
  }
  munmap(raw, bytes);
  return out;
}

BenchOutput bench_mmap(const BenchScale& s) {
  // mmap + munmap of 1 MiB never touched: the VMA bookkeeping alone (a fiber stack allocator's cost).
  BenchOutput out;
  auto& series = out.series["kernel.mmap_munmap"];
  for (int i = 0, n = s.quick ? 200 : 2000; i < n; ++i) {
    const std::int64_t t0 = now_ns();
    void* p = mmap(nullptr, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) munmap(p, 1 << 20);
    series.push_back(static_cast<double>(now_ns() - t0));
  }
  return out;
}

BenchOutput bench_tick(const BenchScale& s) {
  // The scheduling-clock tick's handler as a running thread meets it: pinned to one CPU, the thread spins on
  // the vDSO clock (~30 ns a read) and records every gap longer than 700 ns and shorter than 200 us (longer
  // ones are preemptions by other threads, not interrupts). On a busy CPU the tick fires every 1/HZ
  // (Documentation/timers/no_hz.rst), so the gaps per second show HZ and their median the handler's time
  // (with a VM's exit and entry for the timer interrupt); other interrupts add a few gaps of their own.
  BenchOutput out;
  const std::vector<int> cpus = allowed_cpus();
  if (cpus.empty() || !pin_self(cpus.front())) {
    out.notes["kernel.tick_gap"] = "unavailable: could not pin the thread to one CPU";
    return out;
  }
  const std::int64_t span = s.quick ? 200'000'000 : 1'000'000'000;
  auto& gaps = out.series["kernel.tick_gap"];
  gaps.reserve(20000);
  const std::int64_t start = now_ns();
  std::int64_t prev = start;
  while (prev - start < span) {
    const std::int64_t t = now_ns();
    const std::int64_t gap = t - prev;
    if (gap > 700 && gap < 200'000 && gaps.size() < 100000) gaps.push_back(static_cast<double>(gap));
    prev = t;
  }
  out.series["kernel.tick_gaps_per_s"] = {static_cast<double>(gaps.size()) * 1e9 / static_cast<double>(prev - start)};
  return out;
}

BenchOutput bench_thread(const BenchScale& s) {
  BenchOutput out;
  auto& series = out.series["kernel.thread_create_join"];
  for (int i = 0, n = s.quick ? 50 : 300; i < n; ++i) {
    const std::int64_t t0 = now_ns();
    pthread_t t;
    if (pthread_create(&t, nullptr, [](void*) -> void* { return nullptr; }, nullptr) == 0) pthread_join(t, nullptr);
    series.push_back(static_cast<double>(now_ns() - t0));
  }
  return out;
}

}  // namespace gmpsim::calibrate
