#include "models/scenario/catalog.h"

namespace gmpsim::models {

std::span<const ModelInfo> model_catalog() {
  static const std::vector<ModelInfo> models = {
      {"fifo",
       "One global FIFO run queue served by every CPU of the machine, zero scheduling cost: the reference "
       "the other models are compared against (M/G/c with FCFS).",
       "textbook M/G/c FCFS queue; models/fifo/README.md",
       {{"v1", "The only profile: the model has no version-dependent behaviour.", {}}}},
      {"go",
       "Go's G/M/P scheduler as proc.go has it: per-P run queues with runnext, the global queue, work "
       "stealing, spinning Ms, Ms as threads on CPUs, blocking (channels, select, mutexes, WaitGroups, timers, "
       "the netpoller), sysmon with retake and preemption, syscalls and LockOSThread; the garbage collector's pacer, "
       "stop-the-world phases, mark workers and assists.",
       "golang/go src/runtime/proc.go at go1.26.8 (installed toolchain) and go1.19.8; models/go/README.md",
       {{"go1.19", "go1.19.8: no needspinning, so no global-queue recheck after a spinning M drops its P "
                   "(proc.go findRunnable); Gosched does not wakep; no GOMAXPROCS updates from sysmon and a default GOMAXPROCS "
                   "that ignores the cgroup CPU limit; the PI-controlled pacer, a fixed 1 MiB memory-limit headroom, "
                   "uncapped idle mark workers, a slower stack root per goroutine and cheaper heap marking (measured: "
                   "validation/go gcstack, gcalloc); the older "
                   "schedtrace line and runtime struct sizes.",
         {{"runtime.recheck_after_spinning", "false"}, {"runtime.gosched_wakep", "false"}, {"runtime.updatemaxprocs", "false"},
          {"runtime.containermaxprocs", "false"},
          {"runtime.schedtrace_format", "go1.19"}, {"runtime.mem.g_struct", "416B"}, {"runtime.mem.sudog", "96B"},
          {"runtime.mem.m", "42KiB"}, {"runtime.gc_cons_mark", "pi_controller"},
          {"runtime.gc_limit_headroom_percent", "0"}, {"runtime.gc_idle_worker_cap", "false"},
          {"runtime.gc_assign_workers", "false"}, {"runtime.cost.gc_scan_g", "900ns"},
          {"runtime.cost.gc_scan_kib", "2650ns"}, {"runtime.cost.gc_mark_object", "6ns"},
          {"runtime.cost.gc_mark_roots", "108us"}}},
        {"go1.26", "go1.26.8, the installed toolchain.", {}}}},
      {"boost-fiber-ws",
       "Boost.Fiber's work_stealing scheduler: N worker threads on the CPUs, a FIFO ready queue each, an idle "
       "thread steals one fiber from a random victim's queue head (never the pinned dispatcher), idle threads spin "
       "or suspend, no preemption; channels with Boost's capacity rule, fibers::mutex, sleep_for; no select.",
       "boostorg/fiber boost-1.74.0 src/algo/work_stealing.cpp, src/scheduler.cpp, src/context.cpp; "
       "models/fiber/README.md",
       {{"1.74", "Boost 1.74.0 (Debian bookworm's libboost-fiber1.74-dev): suspended idle threads are not woken by "
                 "work queued on other threads (boostorg/fiber#327).",
         {}}}},
  };
  return models;
}

const ModelInfo* find_model(std::string_view name) {
  for (const ModelInfo& m : model_catalog()) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

}  // namespace gmpsim::models
