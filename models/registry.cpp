#include "models/registry.h"

#include "models/fiber/fiber.h"
#include "models/fifo/fifo.h"
#include "models/go/proc.h"

namespace gmpsim::models {

const std::vector<ModelInfo>& model_registry() {
  static const std::vector<ModelInfo> models = {
      {"fifo",
       "One global FIFO run queue served by every CPU of the machine, zero scheduling cost: the reference "
       "the Go model is compared against (M/G/c with FCFS).",
       "textbook M/G/c FCFS queue; models/fifo/README.md",
       {{"v1", "The only profile: the model has no version-dependent behaviour.", {}}},
       [] { return std::make_unique<FifoModel>(); }},
      {"go",
       "Go's G/M/P scheduler as proc.go has it: per-P run queues with runnext, the global queue, work "
       "stealing, spinning Ms, threads on CPUs (part 1 of the model: no blocking, sysmon or GC yet).",
       "golang/go src/runtime/proc.go at go1.26.8 (installed toolchain); go-scheduler-spec.md; models/go/README.md",
       {{"go1.19", "go1.19.8: no needspinning, so no global-queue recheck after a spinning M drops its P "
                   "(go-scheduler-spec.md §0.1).",
         {{"runtime.recheck_after_spinning", "false"}, {"runtime.gosched_wakep", "false"}, {"runtime.mem.g_struct", "416B"},
          {"runtime.mem.sudog", "96B"}, {"runtime.mem.m", "42KiB"}}},
        {"go1.26", "go1.26.8, the installed toolchain.", {}}},
       [] { return std::make_unique<go::GoModel>(); }},
      {"boost-fiber-ws",
       "Boost.Fiber's work_stealing scheduler: N worker threads on the CPUs, a FIFO ready queue each, an idle "
       "thread steals one fiber from a random victim's queue head (never the pinned dispatcher), idle threads spin "
       "or suspend, no preemption; channels with Boost's capacity rule, fibers::mutex, sleep_for; no select.",
       "boostorg/fiber boost-1.74.0 src/algo/work_stealing.cpp, src/scheduler.cpp; kernel-and-calibration.md §1; "
       "models/fiber/README.md",
       {{"1.74", "Boost 1.74.0 (Debian bookworm's libboost-fiber1.74-dev): suspended idle threads are not woken by "
                 "work queued on other threads (boostorg/fiber#327).",
         {}}},
       [] { return std::make_unique<fiber::FiberModel>(); }},
  };
  return models;
}

const ModelInfo* find_model(std::string_view name) {
  for (const ModelInfo& m : model_registry()) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

}  // namespace gmpsim::models
