// overprocs: the quota probe's open-loop service (validation/go/openloop) without a CPU limit, at a
// GOMAXPROCS above the CPU count (-procs 8 on 2 CPUs): more Ms run handlers at once than there are CPUs,
// so the kernel time-slices them and every handler's spin stretches, where GOMAXPROCS = CPUs would queue
// the requests in the runtime instead. Prints "<gomaxprocs> <completed> <throughput per s> <latency p50
// ns> <latency p99 ns> <work p50 ns>".
//
// -json: one gmpsim-real-run/1 object (validation/go/realrun): class request (latency: scheduled arrival
// to completion), span work (a handler's spin: its `compute` stretched by lost CPU), window = the arrival
// window; counters gomaxprocs, num_cpu, cpu_ns (the process's CPU over the loop), generator lateness.
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
	rate := flag.Float64("rate", 800, "requests per second (Poisson)")
	duration := flag.Duration("duration", 10*time.Second, "arrival window")
	work := flag.Duration("work", time.Millisecond, "CPU work per request")
	drain := flag.Duration("drain", 10*time.Second, "wait at most this long for requests in flight after the window")
	seed := flag.Int64("seed", 1, "arrival seed")
	procs := flag.Int("procs", 8, "GOMAXPROCS (0: Go's default)")
	flag.Parse()
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	c := openloop.Config{Rate: *rate, Duration: *duration, Work: *work, Drain: *drain, Seed: *seed}
	res := openloop.Run(c)
	if *realrun.JSON {
		r := realrun.New(res.Makespan)
		res.Report(r, c)
		r.Emit()
		return
	}
	fmt.Printf("%d %d %.1f %d %d %d\n", runtime.GOMAXPROCS(0), res.Completed, float64(res.Completed)/c.Duration.Seconds(),
		openloop.Quantile(res.Latency, 0.5).Nanoseconds(), openloop.Quantile(res.Latency, 0.99).Nanoseconds(),
		openloop.Quantile(res.Work, 0.5).Nanoseconds())
}
