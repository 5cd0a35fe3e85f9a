// gcalloc: an open-loop service whose requests allocate, beside a long-lived heap, at a GOGC set by
// -gogc (debug.SetGCPercent). A generator goroutine starts a handler goroutine per Poisson arrival
// (-rate per second for -duration, validation/go/openloop's generator); each handler allocates -alloc
// bytes as -obj objects ([]byte, kept reachable until it returns), then spins -work of CPU. The live heap
// (-live) is pointer-free 1 KiB []byte objects, or with -live-ptr 1 KiB objects of pointers; it is built
// and collected once before the loop. The service, the counters and the gctrace child:
// validation/go/gcalloc/gcprobe. Prints "<completed> <throughput per s> <latency p50 ns> <latency p99 ns>
// <gc_cycles> <gc_cpu_fraction> <heap_goal_bytes> <heap_alloc_peak_bytes> <rss_peak_bytes> <gc_first>
// <gc_last>", then (from the gctrace child) a "gctrace:" line of the cycles' pauses and wall times.
//
// -json: one gmpsim-real-run/1 object (validation/go/realrun): class request (latency: scheduled arrival
// to completion), span alloc (a handler's allocations, with the mark assists and sweeping they pay), span
// work (its spin), window = the arrival window; counters: gc_cycles, gc_cpu_fraction (MemStats), heap_goal_bytes
// (MemStats.NextGC at the end), pause_ns_max / pause_max_s and pause_ns_p50 / pause_p50_s (gctrace:
// the largest stop-the-world of either kind; mark termination's median), cycle_wall_mean_s, the
// sampled peaks (heap_alloc_peak_bytes, runtime_mem_peak_bytes, rss_peak_bytes) and the rest listed in
// gcprobe's Report, Peak.Report and PhaseCounters.
package main

import "gmpsim/validation/go/gcalloc/gcprobe"

func main() { gcprobe.Main("100", "off", "64MiB") }
