// gcstack: the cost of stacks to the collector. -n goroutines park on a channel receive, then main calls
// runtime.GC() -k times in a row (after one unmeasured call that collects the spawning phase's garbage).
// Each call runs a whole cycle in the background mode with userForced set and waits for its mark and
// sweep to finish (mgc.go GC, gcStart, gcWaitOnMark, go1.26.8; the same in go1.19.8): every cycle scans
// every goroutine's stack (mgcmark.go markroot -> scanstack) and may shrink it (shrinkstack), so the
// concurrent mark grows with -n while the two stop-the-world pauses should not. Prints "<n> <gc_cycles>
// <gc_wall_ns_mean> <pause_cycle_ns_p50> <gc_cpu_fraction> <gc_first> <gc_last>", then (from the gctrace
// child) a "gctrace:" line.
//
// -json: one gmpsim-real-run/1 object (validation/go/realrun): makespan = the -k calls; class main (one,
// the calls), class parked (-n; released and waited for before the object is printed); span gc (each
// runtime.GC() call's wall time, the scenario's span around its `gc: true` step); counters gc_cycles,
// gc_wall_ns_mean and gc_wall_mean_s (mean runtime.GC() wall time: the cycle plus the sweep it waits for),
// pause_ns_max / pause_max_s (gctrace: the largest stop-the-world of either kind), pause_ns_p50 /
// pause_p50_s (gctrace: mark termination's median), cycle_wall_mean_s (gctrace: sweep termination's start
// to mark termination's end), gc_cpu_fraction and the rest of gcprobe's Report and PhaseCounters.
package main

import (
	"flag"
	"fmt"
	"runtime"
	"sync"
	"time"

	"gmpsim/validation/go/gcalloc/gcprobe"
	"gmpsim/validation/go/realrun"
)

func main() {
	n := flag.Int("n", 100_000, "parked goroutines")
	k := flag.Int("k", 20, "runtime.GC() calls measured")
	procs := flag.Int("procs", 2, "GOMAXPROCS (0: Go's default)")
	flag.Parse()
	if !gcprobe.Child() {
		gcprobe.RunTraced()
	}
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	park := make(chan struct{})
	started := make(chan struct{}, 1024)
	var exited sync.WaitGroup
	exited.Add(*n)
	for i := 0; i < *n; i++ {
		go func() {
			started <- struct{}{}
			<-park
			exited.Done()
		}()
		<-started
	}
	runtime.GC()
	before := gcprobe.Take()
	walls := make([]time.Duration, 0, *k)
	start := time.Now()
	for i := 0; i < *k; i++ {
		t0 := time.Now()
		runtime.GC()
		walls = append(walls, time.Since(t0))
	}
	makespan := time.Since(start)
	after := gcprobe.Take()
	var sum time.Duration
	for _, w := range walls {
		sum += w
	}
	mean := 0.0
	if len(walls) > 0 {
		mean = float64(sum.Nanoseconds()) / float64(len(walls))
	}
	close(park)
	exited.Wait()

	r := realrun.New(makespan)
	r.Class("main", 1, 1, []time.Duration{makespan})
	r.Class("parked", int64(*n), int64(*n), nil)
	r.Span("gc", walls)
	gcprobe.Report(r, before, after)
	r.Counters["goroutines_parked"] = *n
	r.Counters["gc_wall_ns_mean"] = mean
	r.Counters["gc_wall_mean_s"] = mean / 1e9
	if *realrun.JSON {
		r.Emit()
		return
	}
	fmt.Println(*n, r.Counters["gc_cycles"], fmt.Sprintf("%.0f", mean), r.Counters["pause_cycle_ns_p50"],
		fmt.Sprintf("%.4f", r.Counters["gc_cpu_fraction"]), r.Counters["gc_first"], r.Counters["gc_last"])
}
