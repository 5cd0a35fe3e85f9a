// sleepspin: a 1 ms sleeper against CPU-bound tight loops. k goroutines spin in loops without function
// calls (no cooperative preemption points: only sysmon's SIGURG stops them); main sleeps d n times and
// times each sleep with time.Since. Prints "<requested ns> <lateness p50 ns> <p90 ns> <p99 ns>", lateness
// = actual - requested.
//
// -json: one gmpsim-real-run/1 object (validation/go/realrun): span `sleep` with every actual sleep
// (requested + lateness; the scenario's span of the same name around its sleep step), class sleeper
// (latency = the run), class spinner (created k, completed 0: they spin until the process ends).
package main

import (
	"flag"
	"fmt"
	"runtime"
	"sort"
	"time"

	"gmpsim/validation/go/realrun"
)

var counters [64 * 8]uint64 // one cache line per spinner

func spinner(i int) {
	c := &counters[i*8]
	for { // no calls: a tight loop the compiler keeps (a store to a global each iteration)
		*c++
	}
}

func main() {
	n := flag.Int("n", 100, "sleeps")
	d := flag.Duration("d", time.Millisecond, "requested sleep")
	procs := flag.Int("procs", 1, "GOMAXPROCS")
	k := flag.Int("k", -1, "spinning goroutines (default GOMAXPROCS)")
	flag.Parse()
	runtime.GOMAXPROCS(*procs)
	if *k < 0 {
		*k = *procs
	}
	for i := 0; i < *k; i++ {
		go spinner(i)
	}
	late := make([]time.Duration, *n)
	start := time.Now()
	for i := range late {
		t0 := time.Now()
		time.Sleep(*d)
		late[i] = time.Since(t0) - *d
	}
	if *realrun.JSON {
		elapsed := time.Since(start)
		actual := make([]time.Duration, len(late))
		for i, l := range late {
			actual[i] = l + *d
		}
		r := realrun.New(elapsed)
		r.Class("sleeper", 1, 0, nil)
		r.Class("spinner", int64(*k), 0, nil)
		r.Span("sleep", actual)
		r.Counters["gomaxprocs"] = *procs
		r.Emit()
		return
	}
	sort.Slice(late, func(i, j int) bool { return late[i] < late[j] })
	q := func(p float64) int64 { return late[int(p*float64(len(late)-1)+0.5)].Nanoseconds() }
	fmt.Printf("%d %d %d %d\n", d.Nanoseconds(), q(0.5), q(0.9), q(0.99))
}
