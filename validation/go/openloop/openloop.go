// Package openloop is the open-loop service the quota, neighbour and overprocs probes share: a generator
// goroutine starts a handler goroutine per request at Poisson arrival times, and each handler spins a
// fixed amount of CPU work. It is the go model's `runtime.arrivals: generator` (models/go/time.cpp
// generator_step): the generator sleeps until the next arrival with time.Sleep, starts every handler whose
// arrival time has come when it wakes, and a request's latency counts from its scheduled arrival time, so
// a late generator (no CPU for it: a throttled cgroup, a busy P) shows in the latency.
package openloop

import (
	"math/rand"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"gmpsim/validation/go/realrun"
)

var sink uint64

// Spin runs iters iterations of a xorshift loop without calls: CPU work, as the simulator's `compute`
// is (it stretches when the thread loses its CPU; a timer-based spin would hide that).
func Spin(iters int) {
	x := sink | 1
	for i := 0; i < iters; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	sink = x
}

// ItersFor: the Spin iterations for d of CPU, from the fastest of 200 runs of 20k iterations (~40 us each,
// short enough that most run without losing the CPU), as the pipeline and fanout probes calibrate.
func ItersFor(d time.Duration) int {
	best := 0.0
	for r := 0; r < 200; r++ {
		const iters = 20_000
		t0 := time.Now()
		Spin(iters)
		if v := float64(iters) / float64(time.Since(t0).Nanoseconds()); v > best {
			best = v
		}
	}
	return int(best * float64(d.Nanoseconds()))
}

type Config struct {
	Rate     float64       // arrivals per second (Poisson)
	Duration time.Duration // arrivals are drawn in [0, Duration)
	Work     time.Duration // CPU per request
	Drain    time.Duration // after Duration, wait at most this long for requests in flight
	Seed     int64
	Iters    int // Spin iterations for Work (0: ItersFor(Work) at the start of Run)
	Pre      func() // optional: run by each handler before its spin (span "pre": its wall time)
}

type Result struct {
	Created, Completed int64
	Latency            []time.Duration // scheduled arrival to completion, completed requests
	Work               []time.Duration // a handler's own wall time: start of its spin to its end
	Pre                []time.Duration // a handler's Config.Pre, when there is one
	Lateness           []time.Duration // generator: start of the handler minus its scheduled arrival
	Makespan           time.Duration   // start of the arrival window to the last completion (or the drain's end)
	CPU                time.Duration   // the process's user+system CPU over the run (getrusage)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Run calibrates the spin, then runs the open loop and waits for the requests in flight.
func Run(c Config) Result {
	iters := c.Iters
	if iters == 0 {
		iters = ItersFor(c.Work)
	}
	rng := rand.New(rand.NewSource(c.Seed))
	gap := func() time.Duration { return time.Duration(rng.ExpFloat64() / c.Rate * 1e9) }
	var (
		mu        sync.Mutex
		lat, work []time.Duration
		pre       []time.Duration
		completed int64
		wg        sync.WaitGroup
		res       Result
	)
	handler := func(arrival time.Time) {
		var tp time.Time
		if c.Pre != nil {
			tp = time.Now()
			c.Pre()
		}
		t0 := time.Now()
		Spin(iters)
		t1 := time.Now()
		mu.Lock()
		if c.Pre != nil {
			pre = append(pre, t0.Sub(tp))
		}
		lat = append(lat, t1.Sub(arrival))
		work = append(work, t1.Sub(t0))
		mu.Unlock()
		atomic.AddInt64(&completed, 1)
		wg.Done()
	}
	cpu0 := cpuTime()
	start := time.Now()
	end := start.Add(c.Duration)
	due := start.Add(gap())
	for due.Before(end) {
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		now := time.Now()
		for !due.After(now) && due.Before(end) {
			res.Lateness = append(res.Lateness, now.Sub(due))
			res.Created++
			wg.Add(1)
			go handler(due)
			due = due.Add(gap())
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Until(end) + c.Drain):
	}
	mu.Lock()
	defer mu.Unlock()
	res.Makespan = time.Since(start)
	res.CPU = cpuTime() - cpu0
	res.Completed = atomic.LoadInt64(&completed)
	res.Latency = append([]time.Duration(nil), lat...)
	res.Work = append([]time.Duration(nil), work...)
	res.Pre = append([]time.Duration(nil), pre...)
	return res
}

// Quantile of v at q (nearest rank; v is sorted in place); 0 when empty.
func Quantile(v []time.Duration, q float64) time.Duration {
	if len(v) == 0 {
		return 0
	}
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	i := int(q*float64(len(v))+0.999999) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(v) {
		i = len(v) - 1
	}
	return v[i]
}

// Report puts the result into r: class request (latency: scheduled arrival to completion), span work (a
// handler's spin, its `compute` stretched by lost CPU), the measured window (the arrival window, so that
// throughput = completed / window as the simulator's), and counters: GOMAXPROCS in effect, the load, the
// generator's lateness.
func (res Result) Report(r *realrun.Run, c Config) {
	r.MakespanNs = res.Makespan.Nanoseconds()
	r.WindowNs = c.Duration.Nanoseconds()
	r.Seed = c.Seed
	r.Class("request", res.Created, res.Completed, res.Latency)
	r.Span("work", res.Work)
	r.Counters["gomaxprocs"] = runtime.GOMAXPROCS(0)
	r.Counters["num_cpu"] = runtime.NumCPU()
	r.Counters["go_version"] = runtime.Version()
	r.Counters["rate_per_s"] = c.Rate
	r.Counters["work_ns"] = c.Work.Nanoseconds()
	r.Counters["cpu_ns"] = res.CPU.Nanoseconds()
	r.Counters["generator_arrivals"] = res.Created
	r.Counters["generator_lateness_p50_ns"] = Quantile(res.Lateness, 0.5).Nanoseconds()
	r.Counters["generator_lateness_p99_ns"] = Quantile(res.Lateness, 0.99).Nanoseconds()
	r.Counters["generator_lateness_max_ns"] = Quantile(res.Lateness, 1).Nanoseconds()
	if res.Completed < res.Created {
		r.Note("requests still in flight when the drain ended; they count as not completed")
	}
}
