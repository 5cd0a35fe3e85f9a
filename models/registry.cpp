#include "models/registry.h"

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
