package gcprobe

import (
	"flag"
	"fmt"
	"math"
	"math/rand"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"gmpsim/validation/go/openloop"
	"gmpsim/validation/go/realrun"
)

// The allocating open-loop service of gcalloc and gcmemlimit: validation/go/openloop's generator (a
// goroutine sleeps until each Poisson arrival and starts a handler goroutine per request; latency counts
// from the scheduled arrival), where each handler first allocates -alloc bytes as -obj-byte []byte
// objects, kept reachable until it returns, then spins -work of CPU. A long-lived heap of -live bytes is
// built before the loop: pointer-free 1 KiB []byte objects in a global slice (the collector marks them
// but does not scan them: only the slice's headers hold pointers, 24 of every 1048 bytes), or with
// -live-ptr 1 KiB objects made of 128 pointers to other such objects (all of it scanned).
//
// The scenario's program is [{span: alloc: [{alloc: {size: OBJ, count: ALLOC/OBJ, lives: exit}}]},
// {span: work: [{compute: WORK}]}]: span alloc is a handler's allocation loop, which is where a goroutine
// pays mark assists (mgcmark.go gcAssistAlloc, called from mallocgc) and proportional sweeping
// (mgcsweep.go deductSweepCredit); span work is its spin.

type Flags struct {
	Rate             *float64
	Duration, Work   *time.Duration
	Drain            *time.Duration
	Seed             *int64
	Procs            *int
	Alloc, Obj, Live *string
	LivePtr          *bool
	GOGC, MemLimit   *string
	Sample           *time.Duration
}

// Register adds the service's flags with these defaults.
func Register(gogc, memlimit, live string) *Flags {
	return &Flags{
		Rate:     flag.Float64("rate", 1000, "requests per second (Poisson)"),
		Duration: flag.Duration("duration", 10*time.Second, "arrival window"),
		Work:     flag.Duration("work", 200*time.Microsecond, "CPU work per request, after its allocations"),
		Drain:    flag.Duration("drain", 10*time.Second, "wait at most this long for requests in flight after the window"),
		Seed:     flag.Int64("seed", 1, "arrival seed"),
		Procs:    flag.Int("procs", 2, "GOMAXPROCS (0: Go's default)"),
		Alloc:    flag.String("alloc", "64KiB", "bytes allocated per request, reachable until the handler returns"),
		Obj:      flag.String("obj", "1KiB", "size of each allocated object"),
		Live:     flag.String("live", live, "long-lived heap built before the loop"),
		LivePtr:  flag.Bool("live-ptr", false, "long-lived heap of pointers (1 KiB objects of 128 pointers) instead of pointer-free []byte"),
		GOGC:     flag.String("gogc", gogc, "debug.SetGCPercent: a percentage or off"),
		MemLimit: flag.String("memlimit", memlimit, "debug.SetMemoryLimit: a size (48MiB) or off"),
		Sample:   flag.Duration("sample", 5*time.Millisecond, "period of the heap-peak sampler (runtime/metrics)"),
	}
}

// ParseSize: "64KiB", "48MiB", "1GiB", "512B", "4096" -> bytes.
func ParseSize(s string) (int64, error) {
	units := []struct {
		suf string
		mul int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}}
	for _, u := range units {
		if strings.HasSuffix(s, u.suf) {
			v, err := strconv.ParseFloat(strings.TrimSuffix(s, u.suf), 64)
			return int64(v * float64(u.mul)), err
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

func mustSize(name, s string) int64 {
	v, err := ParseSize(s)
	if err != nil || v < 0 {
		panic(fmt.Sprintf("-%s %q: a size such as 64KiB", name, s))
	}
	return v
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type pnode struct{ p [128]*pnode }

var (
	liveBytes [][]byte
	livePtrs  []*pnode
)

func buildLive(n int64, ptrs bool, seed int64) {
	k := int(n / 1024)
	if !ptrs {
		liveBytes = make([][]byte, k)
		for i := range liveBytes {
			b := make([]byte, 1024)
			b[0] = 1 // resident, as written data is (fresh spans from the OS are not zeroed, so not touched)
			liveBytes[i] = b
		}
		return
	}
	livePtrs = make([]*pnode, k)
	for i := range livePtrs {
		livePtrs[i] = new(pnode)
	}
	rng := rand.New(rand.NewSource(seed))
	for _, nd := range livePtrs {
		for j := range nd.p {
			nd.p[j] = livePtrs[rng.Intn(k)]
		}
	}
}

type Result struct {
	Created, Completed   int64
	Latency, Work, Alloc []time.Duration
	Lateness             []time.Duration
	Makespan, CPU        time.Duration
}

// Run sets GOMAXPROCS, GOGC and the memory limit, builds the live heap, collects once (so the live heap is
// marked and the goal follows it, as the model's workload.heap.live present from the start), calibrates
// the spin, and runs the open loop between two snapshots. It returns the result object, ready to emit.
func Run(f *Flags) (*realrun.Run, Result) {
	if *f.Procs > 0 {
		runtime.GOMAXPROCS(*f.Procs)
	}
	gogc := 100
	if *f.GOGC == "off" {
		gogc = -1
	} else if v, err := strconv.Atoi(*f.GOGC); err == nil {
		gogc = v
	} else {
		panic("-gogc: a percentage or off")
	}
	debug.SetGCPercent(gogc)
	limit := int64(math.MaxInt64)
	if *f.MemLimit != "off" {
		limit = mustSize("memlimit", *f.MemLimit)
	}
	debug.SetMemoryLimit(limit)
	alloc, obj, live := mustSize("alloc", *f.Alloc), mustSize("obj", *f.Obj), mustSize("live", *f.Live)
	count := int(alloc / obj)
	buildLive(live, *f.LivePtr, *f.Seed)
	runtime.GC()
	iters := openloop.ItersFor(*f.Work)

	rng := rand.New(rand.NewSource(*f.Seed))
	gap := func() time.Duration { return time.Duration(rng.ExpFloat64() / *f.Rate * 1e9) }
	var (
		mu                  sync.Mutex
		lat, work, allocLat []time.Duration
		completed           int64
		wg                  sync.WaitGroup
		res                 Result
	)
	handler := func(arrival time.Time) {
		t0 := time.Now()
		keep := make([][]byte, count)
		for i := range keep {
			b := make([]byte, obj)
			b[0] = 1
			keep[i] = b
		}
		t1 := time.Now()
		openloop.Spin(iters)
		runtime.KeepAlive(keep)
		t2 := time.Now()
		mu.Lock()
		lat = append(lat, t2.Sub(arrival))
		allocLat = append(allocLat, t1.Sub(t0))
		work = append(work, t2.Sub(t1))
		mu.Unlock()
		atomic.AddInt64(&completed, 1)
		wg.Done()
	}
	before := Take()
	peak := StartPeak(*f.Sample)
	cpu0 := cpuTime()
	start := time.Now()
	end := start.Add(*f.Duration)
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
	case <-time.After(time.Until(end) + *f.Drain):
	}
	mu.Lock()
	res.Makespan = time.Since(start)
	res.CPU = cpuTime() - cpu0
	res.Completed = atomic.LoadInt64(&completed)
	res.Latency = append([]time.Duration(nil), lat...)
	res.Work = append([]time.Duration(nil), work...)
	res.Alloc = append([]time.Duration(nil), allocLat...)
	mu.Unlock()
	peak.Stop()
	after := Take()
	runtime.KeepAlive(liveBytes)
	runtime.KeepAlive(livePtrs)

	r := realrun.New(res.Makespan)
	r.WindowNs = f.Duration.Nanoseconds()
	r.Seed = *f.Seed
	r.Class("request", res.Created, res.Completed, res.Latency)
	r.Span("work", res.Work)
	r.Span("alloc", res.Alloc)
	Report(r, before, after)
	peak.Report(r)
	c := r.Counters
	c["num_cpu"] = runtime.NumCPU()
	c["rate_per_s"] = *f.Rate
	c["work_ns"] = f.Work.Nanoseconds()
	c["alloc_bytes_per_request"] = alloc
	c["obj_bytes"] = obj
	c["live_bytes"] = live
	c["live_ptr"] = *f.LivePtr
	c["gogc"] = gogc
	c["memory_limit_bytes"] = limit
	c["cpu_ns"] = res.CPU.Nanoseconds()
	c["generator_arrivals"] = res.Created
	c["generator_lateness_p50_ns"] = openloop.Quantile(res.Lateness, 0.5).Nanoseconds()
	c["generator_lateness_p99_ns"] = openloop.Quantile(res.Lateness, 0.99).Nanoseconds()
	c["generator_lateness_max_ns"] = openloop.Quantile(res.Lateness, 1).Nanoseconds()
	c["latency_p50_ns"] = openloop.Quantile(append([]time.Duration(nil), res.Latency...), 0.5).Nanoseconds()
	c["latency_p99_ns"] = openloop.Quantile(append([]time.Duration(nil), res.Latency...), 0.99).Nanoseconds()
	c["throughput_per_s"] = float64(res.Completed) / f.Duration.Seconds()
	if res.Completed < res.Created {
		r.Note("requests still in flight when the drain ended; they count as not completed")
	}
	return r, res
}

// Plain prints the service's plain line: "<completed> <throughput per s> <latency p50 ns> <latency p99 ns>
// <gc_cycles> <gc_cpu_fraction> <heap_goal_bytes> <heap_alloc_peak_bytes> <rss_peak_bytes> <gc_first>
// <gc_last>".
func Plain(r *realrun.Run) {
	c := r.Counters
	fmt.Println(r.Classes["request"].Completed, fmt.Sprintf("%.1f", c["throughput_per_s"]), c["latency_p50_ns"], c["latency_p99_ns"],
		c["gc_cycles"], fmt.Sprintf("%.4f", c["gc_cpu_fraction"]), c["heap_goal_bytes"], fmt.Sprintf("%.0f", c["heap_alloc_peak_bytes"]),
		c["rss_peak_bytes"], c["gc_first"], c["gc_last"])
}

// Main is a service probe's whole main: its flags with these defaults (GOGC, GOMEMLIMIT, live heap), the
// gctrace child unless this is it, the run, and its report.
func Main(gogc, memlimit, live string) {
	f := Register(gogc, memlimit, live)
	flag.Parse()
	if !Child() {
		RunTraced()
	}
	r, _ := Run(f)
	if *realrun.JSON {
		r.Emit()
		return
	}
	Plain(r)
}
