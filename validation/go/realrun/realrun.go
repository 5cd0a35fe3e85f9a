// Package realrun writes a probe's result as one "gmpsim-real-run/1" RUN object (the format the
// Boost.Fiber runner emits and `gmpsim validate` reads): makespan, per-class created/completed counts and
// latency samples, span samples, counters. Every probe prints it instead of its plain line under -json.
//
// Class and span names are those of the matching scenario in validation/go/scenarios/, so the validator
// compares like with like (a class's latency: spawn or arrival to exit; a span's: entering the enclosed
// steps to leaving them).
package realrun

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CPUTime: the process's user+system CPU so far (getrusage).
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// MaxSamples caps every latency list: longer ones are thinned by a deterministic uniform subsample.
const MaxSamples = 200_000

// JSON is the -json flag every probe registers through this package.
var JSON = flag.Bool("json", false, "print one gmpsim-real-run/1 RUN object instead of the plain line")

var processStart = time.Now()

// TraceFile is the -trace flag: record a Go execution trace of the measured phase (for `gmpsim
// import-trace`, which turns it into a scenario).
var TraceFile = flag.String("trace", "", "write a Go execution trace (runtime/trace) of the measured phase to FILE")

// StartTrace starts the -trace recording, when asked for, and returns the function that stops it. It logs
// what the trace does not otherwise record (category gmpsim): the machine's CPUs (num_cpu=N) and, at the
// stop, the process's CPU time while tracing (cpu_ns=N).
func StartTrace() func() {
	if *TraceFile == "" {
		return func() {}
	}
	f, err := os.Create(*TraceFile)
	if err != nil {
		panic(err)
	}
	if err := trace.Start(f); err != nil {
		panic(err)
	}
	trace.Log(context.Background(), "gmpsim", fmt.Sprintf("num_cpu=%d", runtime.NumCPU()))
	cpu0 := CPUTime()
	return func() {
		// The process's CPU time while tracing: the trace records time on a P, which includes time the
		// threads were descheduled; the importer scales its bursts to this.
		trace.Log(context.Background(), "gmpsim", fmt.Sprintf("cpu_ns=%d", (CPUTime()-cpu0).Nanoseconds()))
		trace.Stop()
		f.Close()
	}
}

type Class struct {
	Created   int64   `json:"created"`
	Completed int64   `json:"completed"`
	LatencyNs []int64 `json:"latency_ns"`
}

type Span struct {
	LatencyNs []int64 `json:"latency_ns"`
}

type Run struct {
	Seed       int64             `json:"seed"`
	MakespanNs int64             `json:"makespan_ns"`
	WindowNs   int64             `json:"window_ns"`
	WallNs     int64             `json:"wall_ns"`
	Classes    map[string]*Class `json:"classes"`
	Spans      map[string]*Span  `json:"spans"`
	Counters   map[string]any    `json:"counters"`
	Notes      []string          `json:"notes"`
}

// New starts a result whose measured phase lasted makespan.
func New(makespan time.Duration) *Run {
	return &Run{MakespanNs: makespan.Nanoseconds(), WindowNs: makespan.Nanoseconds(),
		Classes: map[string]*Class{}, Spans: map[string]*Span{}, Counters: map[string]any{}, Notes: []string{}}
}

// Class adds a class with its counts and latency samples (nil: none measured).
func (r *Run) Class(name string, created, completed int64, lat []time.Duration) {
	r.Classes[name] = &Class{Created: created, Completed: completed, LatencyNs: ns(lat)}
}

func (r *Run) Span(name string, lat []time.Duration) { r.Spans[name] = &Span{LatencyNs: ns(lat)} }

func (r *Run) Note(s string) { r.Notes = append(r.Notes, s) }

// Emit adds the thread counters (now, and ever created) and the process's wall time, and prints the object.
func (r *Run) Emit() {
	if _, ok := r.Counters["threads"]; !ok {
		r.Counters["threads"] = Threads()
	}
	r.Counters["threads_created"] = pprof.Lookup("threadcreate").Count()
	r.WallNs = time.Since(processStart).Nanoseconds()
	w := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(w)
	if err := enc.Encode(r); err != nil {
		panic(err)
	}
	w.Flush()
}

// Threads: the Threads: line of /proc/self/status (0 where unreadable).
func Threads() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "Threads:") {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "Threads:")))
			return n
		}
	}
	return 0
}

func ns(lat []time.Duration) []int64 {
	out := []int64{}
	if len(lat) == 0 {
		return out
	}
	n := len(lat)
	k := n
	if k > MaxSamples {
		k = MaxSamples
	}
	for i := 0; i < k; i++ {
		out = append(out, lat[int(int64(i)*int64(n)/int64(k))].Nanoseconds())
	}
	return out
}
