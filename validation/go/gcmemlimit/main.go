// gcmemlimit: gcalloc's open-loop service (validation/go/gcalloc/gcprobe) with the collector steered by the
// memory limit alone: -gogc off (debug.SetGCPercent(-1)) and -memlimit (debug.SetMemoryLimit) below what
// the heap would reach without collection. A cycle starts when the runtime's memory (all of it but the
// released pages, /memory/classes/total minus heap/released) nears the limit (mgcpacer.go
// memoryLimitHeapGoal, go1.19.8 and go1.26.8); past ~50 % GC CPU the limiter stops assists and the heap
// overshoots (mgclimit.go). Flags and plain line: as gcalloc's. Defaults: -live 32MiB -memlimit 48MiB.
//
// -json: one gmpsim-real-run/1 object, as gcalloc's, whose counters add what the limit is about:
// heap_alloc_peak_bytes (the sampled peak of /memory/classes/heap/objects, HeapAlloc; the model's
// gc.heap_peak_bytes), heap_sys_peak_bytes (HeapSys less released), runtime_mem_peak_bytes (what the
// limit counts; the model's memory.peak_bytes), rss_peak_bytes (VmHWM), memory_limit_bytes.
package main

import "gmpsim/validation/go/gcalloc/gcprobe"

func main() { gcprobe.Main("off", "48MiB", "32MiB") }
