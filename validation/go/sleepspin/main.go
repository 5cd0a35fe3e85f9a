// sleepspin: a 1 ms sleeper against CPU-bound tight loops. k goroutines spin in loops without function
// calls (no cooperative preemption points: only sysmon's SIGURG stops them); main sleeps d n times and
// times each sleep with time.Since. Prints "<requested ns> <lateness p50 ns> <p90 ns> <p99 ns>", lateness
// = actual - requested.
package main

import (
	"flag"
	"fmt"
	"runtime"
	"sort"
	"time"
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
	for i := range late {
		t0 := time.Now()
		time.Sleep(*d)
		late[i] = time.Since(t0) - *d
	}
	sort.Slice(late, func(i, j int) bool { return late[i] < late[j] })
	q := func(p float64) int64 { return late[int(p*float64(len(late)-1)+0.5)].Nanoseconds() }
	fmt.Printf("%d %d %d %d\n", d.Nanoseconds(), q(0.5), q(0.9), q(0.99))
}
