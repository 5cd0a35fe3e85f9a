// pipeline: producer -> chan (cap 16) -> stage (spins `work` of CPU per item) -> chan (cap 16) -> consumer,
// n items. The work is a spin loop of a fixed iteration count, calibrated at start as the fastest of 200
// runs of about 40 us each (short enough that most see no preemption by the VM's other load): CPU work, as
// the simulator's `compute` is, not a timer. Prints "<n> <wall seconds> <items per second> <ns per item>
// <wall ns per spin>": the last is the spin's own wall time, above `work` when the threads lose their CPUs
// (to each other at GOMAXPROCS > CPUs, or to the VM's other load).
//
// -json: one gmpsim-real-run/1 object (validation/go/realrun): classes producer, stage, consumer (latency
// = start of the run to each one's end), counters ns_per_item, spin_wall_ns_per_item.
package main

import (
	"flag"
	"fmt"
	"runtime"
	"time"

	"gmpsim/validation/go/openloop"
	"gmpsim/validation/go/realrun"
)

func main() {
	n := flag.Int("n", 20_000, "items")
	work := flag.Duration("work", 10*time.Microsecond, "CPU work per item in the stage")
	procs := flag.Int("procs", 2, "GOMAXPROCS")
	flag.Parse()
	runtime.GOMAXPROCS(*procs)
	iters := openloop.ItersFor(*work) // the calibrated xorshift spin shared with the open-loop probes
	in, out := make(chan int, 16), make(chan int, 16)
	done := make(chan struct{})
	var ends [3]time.Time // producer, stage, consumer
	start := time.Now()
	go func() { // producer
		for i := 0; i < *n; i++ {
			in <- i
		}
		ends[0] = time.Now()
		close(in)
	}()
	var spinWall time.Duration
	go func() { // stage
		for v := range in {
			t0 := time.Now()
			openloop.Spin(iters)
			spinWall += time.Since(t0)
			out <- v
		}
		ends[1] = time.Now()
		close(out)
	}()
	go func() { // consumer
		for range out {
		}
		ends[2] = time.Now()
		close(done)
	}()
	<-done
	elapsed := time.Since(start)
	wall := elapsed.Seconds()
	if *realrun.JSON {
		r := realrun.New(elapsed)
		for i, name := range []string{"producer", "stage", "consumer"} {
			r.Class(name, 1, 1, []time.Duration{ends[i].Sub(start)})
		}
		r.Counters["ns_per_item"] = wall * 1e9 / float64(*n)
		r.Counters["spin_wall_ns_per_item"] = float64(spinWall.Nanoseconds()) / float64(*n)
		r.Counters["gomaxprocs"] = *procs
		r.Emit()
		return
	}
	fmt.Printf("%d %.6f %.1f %.1f %.1f\n", *n, wall, float64(*n)/wall, wall*1e9/float64(*n), float64(spinWall.Nanoseconds())/float64(*n))
}
