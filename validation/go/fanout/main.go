// fanout: m requests one after another; each makes a results channel (cap k), starts k workers that each
// spin `work` of CPU and send a result, and receives the k results. The spin is calibrated as in
// pipeline/. Prints "<m> <wall seconds> <us per request> <wall us per spin>" (the last as in pipeline/).
//
// -json: one gmpsim-real-run/1 object (validation/go/realrun): class worker with each worker's latency
// (the `go` statement to just before its send, as the scenario's worker: spawn to exit), class request
// (latency = the run), counters us_per_request, spin_wall_us.
package main

import (
	"flag"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"gmpsim/validation/go/realrun"
)

var sink uint64

func spin(iters int) uint64 {
	x := uint64(iters) | 1
	for i := 0; i < iters; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

func itersPerNs() float64 {
	best := 0.0
	for r := 0; r < 200; r++ {
		const iters = 20_000
		t0 := time.Now()
		sink += spin(iters)
		if v := float64(iters) / float64(time.Since(t0).Nanoseconds()); v > best {
			best = v
		}
	}
	return best
}

func main() {
	m := flag.Int("m", 5_000, "requests")
	k := flag.Int("k", 8, "workers per request")
	work := flag.Duration("work", 20*time.Microsecond, "CPU work per worker")
	procs := flag.Int("procs", 4, "GOMAXPROCS")
	flag.Parse()
	runtime.GOMAXPROCS(*procs)
	iters := int(itersPerNs() * float64(work.Nanoseconds()))
	var spinWall int64 // ns, all workers
	done := make(chan struct{})
	var lat []time.Duration
	if *realrun.JSON {
		lat = make([]time.Duration, *m**k)
	}
	stop := realrun.StartTrace()
	cpu0 := realrun.CPUTime()
	start := time.Now()
	go func() { // the request goroutine
		var total uint64
		for r := 0; r < *m; r++ {
			results := make(chan uint64, *k)
			for w := 0; w < *k; w++ {
				var spawned time.Time
				if lat != nil {
					spawned = time.Now()
				}
				slot := r**k + w
				go func() {
					t0 := time.Now()
					v := spin(iters)
					atomic.AddInt64(&spinWall, int64(time.Since(t0)))
					if lat != nil { // before the send: main reads lat once all results are in
						lat[slot] = time.Since(spawned)
					}
					results <- v
				}()
			}
			for w := 0; w < *k; w++ {
				total += <-results
			}
		}
		sink += total
		close(done)
	}()
	<-done
	elapsed := time.Since(start)
	cpu := realrun.CPUTime() - cpu0
	stop()
	wall := elapsed.Seconds()
	if *realrun.JSON {
		rr := realrun.New(elapsed)
		rr.Class("request", 1, 1, []time.Duration{elapsed})
		rr.Class("worker", int64(*m**k), int64(*m**k), lat)
		rr.Counters["us_per_request"] = wall * 1e6 / float64(*m)
		rr.Counters["spin_wall_us"] = float64(spinWall) / 1e3 / float64(*m**k)
		rr.Counters["gomaxprocs"] = *procs
		rr.Counters["cpu_ns"] = cpu.Nanoseconds() // the process's user+system CPU over the run
		rr.Emit()
		return
	}
	fmt.Printf("%d %.6f %.2f %.2f\n", *m, wall, wall*1e6/float64(*m), float64(spinWall)/1e3/float64(*m**k))
}
