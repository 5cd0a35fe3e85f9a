// Package gcprobe is what the garbage-collector probes (gcstack, gcalloc, gcmemlimit) share: a snapshot of
// the collector's statistics before and after the measured phase and their differences as counters, a
// sampler of the heap's peak, the per-phase times of every cycle from GODEBUG=gctrace=1, and the
// allocating open-loop service of gcalloc and gcmemlimit.
//
// Sources, and what exists in which toolchain (runtime/metrics/description.go):
//   - runtime.MemStats (runtime/mstats.go): NumGC, NextGC (the heap goal), GCCPUFraction, PauseNs, a ring of
//     the last 256 cycles' stop-the-world time (both pauses of a cycle summed: mgc.go gcMarkTermination
//     adds work.pauseNS into memstats.pause_ns; go1.19.8 and go1.26.8).
//   - runtime/metrics, read without stopping the world: /gc/pauses:seconds (go1.16+; every single
//     stop-the-world pause, a histogram; go1.22 renamed it /sched/pauses/total/gc:seconds and kept the old
//     name as a deprecated alias), /cpu/classes/... (go1.20+), /memory/classes/... (go1.16+).
//   - GODEBUG=gctrace=1 (mgc.go gcMarkTermination, the same layout in go1.19.8 and go1.26.8): one line per
//     cycle with the wall time of its three phases, "A+B+C ms clock": A = tMark - tSweepTerm, the
//     sweep-termination stop-the-world; B the concurrent mark; C = tEnd - tMarkTerm, the mark-termination
//     stop-the-world. The times are printed with two significant digits (mgc.go fmtNSAsMS). GODEBUG is
//     read when the runtime starts (go1.19: runtime1.go parsedebugvars), so with -gctrace-phases (the
//     default) the probe starts itself again with gctrace=1 added, reads the child's standard error,
//     and adds the phases of the measured cycles to the child's result.
package gcprobe

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"gmpsim/validation/go/realrun"
)

// Phases is the -gctrace-phases flag every GC probe registers through this package.
var Phases = flag.Bool("gctrace-phases", true, "run again with GODEBUG=gctrace=1 and add each measured cycle's phases to the result")

const childEnv = "GMPSIM_GCPROBE_CHILD"

// ---- runtime/metrics, where present ----

var present = func() map[string]bool {
	m := map[string]bool{}
	for _, d := range metrics.All() {
		m[d.Name] = true
	}
	return m
}()

// pauseMetric: the histogram of single GC stop-the-world pauses under this toolchain's name.
func pauseMetric() string {
	if present["/sched/pauses/total/gc:seconds"] {
		return "/sched/pauses/total/gc:seconds"
	}
	return "/gc/pauses:seconds"
}

func readFloat(names ...string) []float64 {
	s := make([]metrics.Sample, len(names))
	for i, n := range names {
		s[i].Name = n
	}
	metrics.Read(s)
	out := make([]float64, len(names))
	for i := range s {
		switch s[i].Value.Kind() {
		case metrics.KindFloat64:
			out[i] = s[i].Value.Float64()
		case metrics.KindUint64:
			out[i] = float64(s[i].Value.Uint64())
		default:
			out[i] = math.NaN()
		}
	}
	return out
}

// ---- snapshots ----

type Snapshot struct {
	At       time.Time
	Mem      runtime.MemStats
	GCCPU    []float64                 // /cpu/classes/gc/total, gc/mark/idle, total (cpu-seconds); NaN where absent
	PauseHst *metrics.Float64Histogram // single GC pauses
	StopHst  *metrics.Float64Histogram // their stopping part (go1.22+): deciding to stop until all Ps are stopped
}

func readHist(name string) *metrics.Float64Histogram {
	if !present[name] {
		return nil
	}
	h := []metrics.Sample{{Name: name}}
	metrics.Read(h)
	if h[0].Value.Kind() != metrics.KindFloat64Histogram {
		return nil
	}
	hh := h[0].Value.Float64Histogram()
	return &metrics.Float64Histogram{Counts: append([]uint64(nil), hh.Counts...), Buckets: hh.Buckets}
}

// histDelta: the lower bounds (ns) of the buckets of the samples b added to a, one per sample.
func histDelta(a, b *metrics.Float64Histogram) []float64 {
	var v []float64
	if a == nil || b == nil {
		return v
	}
	for i := range b.Counts {
		for k := a.Counts[i]; k < b.Counts[i]; k++ {
			v = append(v, math.Max(b.Buckets[i], 0)*1e9)
		}
	}
	return v
}

// Take reads MemStats (a short stop-the-world) and the metrics.
func Take() Snapshot {
	var s Snapshot
	runtime.ReadMemStats(&s.Mem)
	s.GCCPU = readFloat("/cpu/classes/gc/total:cpu-seconds", "/cpu/classes/gc/mark/idle:cpu-seconds", "/cpu/classes/total:cpu-seconds")
	s.PauseHst = readHist(pauseMetric())
	s.StopHst = readHist("/sched/pauses/stopping/gc:seconds")
	s.At = time.Now()
	return s
}

func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = append([]float64(nil), v...)
	sort.Float64s(v)
	i := int(q*float64(len(v))+0.999999) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(v) {
		i = len(v) - 1
	}
	return v[i]
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	t := 0.0
	for _, x := range v {
		t += x
	}
	return t / float64(len(v))
}

// Report puts the collector's counters between a and b into r:
//
//	gc_cycles              NumGC difference (the model's gc.cycles)
//	gc_first, gc_last      the numbers of the first and last measured cycle (gctrace's "gc N")
//	pause_cycle_ns_p50/max a cycle's stop-the-world time, both pauses summed (MemStats.PauseNs; the last
//	                       256 cycles at most)
//	pause_hist_ns_max/p50  single pauses of both kinds in the runtime/metrics histogram (each as its
//	                       bucket's lower bound; buckets are ~6 % wide)
//	pause_stopping_hist_ns_max/p50  go1.22+: their stopping part, from deciding to stop the world until
//	                       every P has stopped (/sched/pauses/stopping/gc:seconds)
//	gc_cpu_fraction        MemStats.GCCPUFraction at b: GC CPU but idle marking over GOMAXPROCS x the time
//	                       since the program started (mgc.go gcMarkTermination; the model's gc.cpu_fraction)
//	gc_cpu_s, gc_cpu_idle_s, gc_cpu_fraction_window   where /cpu/classes exists (go1.20+): GC CPU, its idle
//	                       marking, and (GC - idle) / total over [a, b]
//	heap_goal_bytes        MemStats.NextGC at b (the model's gc.heap_goal_bytes)
//	num_forced_gc, heap_alloc_bytes, heap_sys_bytes, stack_inuse_bytes, gomaxprocs, go_version
func Report(r *realrun.Run, a, b Snapshot) {
	c := r.Counters
	n := b.Mem.NumGC - a.Mem.NumGC
	c["gc_cycles"] = n
	c["gc_first"] = a.Mem.NumGC + 1
	c["gc_last"] = b.Mem.NumGC
	var cyc []float64
	for i := uint32(0); i < n && i < 256; i++ {
		cyc = append(cyc, float64(b.Mem.PauseNs[(b.Mem.NumGC-i+255)%256]))
	}
	c["pause_cycle_ns_p50"] = quantile(cyc, 0.5)
	c["pause_cycle_ns_max"] = quantile(cyc, 1)
	c["pause_cycle_ns_mean"] = mean(cyc)
	if p := histDelta(a.PauseHst, b.PauseHst); len(p) > 0 {
		c["pause_hist_ns_max"] = quantile(p, 1)
		c["pause_hist_ns_p50"] = quantile(p, 0.5)
	}
	if p := histDelta(a.StopHst, b.StopHst); len(p) > 0 {
		c["pause_stopping_hist_ns_max"] = quantile(p, 1)
		c["pause_stopping_hist_ns_p50"] = quantile(p, 0.5)
	}
	c["gc_cpu_fraction"] = b.Mem.GCCPUFraction
	if !math.IsNaN(b.GCCPU[0]) {
		gc, idle, tot := b.GCCPU[0]-a.GCCPU[0], b.GCCPU[1]-a.GCCPU[1], b.GCCPU[2]-a.GCCPU[2]
		c["gc_cpu_s"] = gc
		c["gc_cpu_idle_s"] = idle
		if tot > 0 {
			c["gc_cpu_fraction_window"] = (gc - idle) / tot
		}
	}
	c["heap_goal_bytes"] = b.Mem.NextGC
	c["num_forced_gc"] = b.Mem.NumForcedGC - a.Mem.NumForcedGC
	c["heap_alloc_bytes"] = b.Mem.HeapAlloc
	c["heap_sys_bytes"] = b.Mem.HeapSys
	c["stack_inuse_bytes"] = b.Mem.StackInuse
	c["gomaxprocs"] = runtime.GOMAXPROCS(0)
	c["go_version"] = runtime.Version()
}

// ---- the heap's peak, sampled ----

// Peak samples the heap every period through runtime/metrics (no stop-the-world) until Stop.
type Peak struct {
	HeapAlloc, HeapSys, Mapped float64 // objects; heap spans of any kind but released; all runtime memory but released
	stop                       chan struct{}
	done                       sync.WaitGroup
}

func StartPeak(period time.Duration) *Peak {
	p := &Peak{stop: make(chan struct{})}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			p.sample()
			select {
			case <-p.stop:
				p.sample()
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *Peak) sample() {
	v := readFloat("/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes", "/memory/classes/heap/free:bytes",
		"/memory/classes/heap/released:bytes", "/memory/classes/total:bytes")
	sys := v[0] + v[1] + v[2]
	mapped := v[4] - v[3]
	p.HeapAlloc = math.Max(p.HeapAlloc, v[0])
	p.HeapSys = math.Max(p.HeapSys, sys)
	p.Mapped = math.Max(p.Mapped, mapped)
}

func (p *Peak) Stop() { close(p.stop); p.done.Wait() }

// Report: heap_alloc_peak_bytes (live and dead objects not yet swept: the model's gc.heap_peak_bytes),
// heap_sys_peak_bytes (HeapSys - HeapReleased), runtime_mem_peak_bytes (/memory/classes/total minus
// released: what the memory limit counts; the model's memory.peak_bytes) and rss_peak_bytes (VmHWM of
// /proc/self/status: also the binary, the C libraries' pages and the probe's own buffers).
func (p *Peak) Report(r *realrun.Run) {
	r.Counters["heap_alloc_peak_bytes"] = p.HeapAlloc
	r.Counters["heap_sys_peak_bytes"] = p.HeapSys
	r.Counters["runtime_mem_peak_bytes"] = p.Mapped
	r.Counters["rss_peak_bytes"] = VmHWM()
}

// VmHWM: the peak resident set in bytes from /proc/self/status (0 where unreadable).
func VmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(strings.TrimPrefix(line, "VmHWM:"))
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// ---- gctrace ----

// Trace is one parsed gctrace line.
type Trace struct {
	N                                  int
	SweepTerm, Mark, MarkTerm          float64 // clock, ns
	CPUStw1, Assist, Bg, Idle, CPUStw2 float64 // cpu, ns
	Heap0, Heap1, Heap2, Goal          int64   // MB
	Forced                             bool
}

var traceRE = regexp.MustCompile(`^gc (\d+) @[\d.]+s \d+%[^:]*: ([\d.]+)\+([\d.]+)\+([\d.]+) ms clock, ([\d.]+)\+([\d.]+)/([\d.]+)/([\d.]+)\+([\d.]+) ms cpu, (\d+)->(\d+)->(\d+) MB, (\d+) MB goal`)

// ParseTrace parses one gctrace line; ok is false for any other line.
func ParseTrace(line string) (t Trace, ok bool) {
	m := traceRE.FindStringSubmatch(line)
	if m == nil {
		return t, false
	}
	f := func(i int) float64 { v, _ := strconv.ParseFloat(m[i], 64); return v * 1e6 }
	g := func(i int) int64 { v, _ := strconv.ParseInt(m[i], 10, 64); return v }
	t.N = int(g(1))
	t.SweepTerm, t.Mark, t.MarkTerm = f(2), f(3), f(4)
	t.CPUStw1, t.Assist, t.Bg, t.Idle, t.CPUStw2 = f(5), f(6), f(7), f(8), f(9)
	t.Heap0, t.Heap1, t.Heap2, t.Goal = g(10), g(11), g(12), g(13)
	t.Forced = strings.HasSuffix(strings.TrimSpace(line), "(forced)")
	return t, true
}

// Child reports whether this process is the gctrace child (or runs without the phases).
func Child() bool { return !*Phases || os.Getenv(childEnv) == "1" }

// RunTraced starts this program again with GODEBUG=gctrace=1 and the same arguments, relays its
// standard output (under -json, with the gctrace counters added to its result), relays the lines of its
// standard error that are not gctrace lines, and exits with its status. Call it after flag.Parse when
// !Child(). The raw lines are not kept: run the probe with GODEBUG=gctrace=1 -gctrace-phases=false to see
// them. The plain line of a GC probe ends with "<gc_first> <gc_last>", the measured cycles' numbers.
func RunTraced() {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gcprobe:", err)
		os.Exit(1)
	}
	cmd := exec.Command(self, os.Args[1:]...)
	godebug := "gctrace=1"
	if g := os.Getenv("GODEBUG"); g != "" {
		godebug = g + ",gctrace=1"
	}
	cmd.Env = append(os.Environ(), "GODEBUG="+godebug, childEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gcprobe:", err)
		os.Exit(1)
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "gcprobe:", err)
		os.Exit(1)
	}
	var traces []Trace
	sc := bufio.NewScanner(errPipe)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		if t, ok := ParseTrace(sc.Text()); ok {
			traces = append(traces, t)
		} else {
			fmt.Fprintln(os.Stderr, sc.Text())
		}
	}
	io.Copy(io.Discard, errPipe)
	werr := cmd.Wait()
	status := 0
	if werr != nil {
		status = 1
		if ee, ok := werr.(*exec.ExitError); ok {
			status = ee.ExitCode()
		}
	}
	if !*realrun.JSON || status != 0 {
		os.Stdout.Write(stdout.Bytes())
		if status == 0 {
			first, last := 0, math.MaxInt32
			if f := strings.Fields(stdout.String()); len(f) >= 2 {
				first, _ = strconv.Atoi(f[len(f)-2])
				last, _ = strconv.Atoi(f[len(f)-1])
			}
			c := PhaseCounters(traces, first, last)
			fmt.Printf("gctrace: cycles %v sweep_term_p50_ns %.0f mark_term_p50_ns %.0f pause_max_ns %.0f clock_mean_ns %.0f\n",
				c["trace_cycles"], c["pause_sweep_term_ns_p50"], c["pause_mark_term_ns_p50"], c["pause_ns_max"], c["cycle_clock_ns_mean"])
		}
		os.Exit(status)
	}
	var run map[string]any
	dec := json.NewDecoder(&stdout)
	dec.UseNumber()
	if err := dec.Decode(&run); err != nil {
		fmt.Fprintln(os.Stderr, "gcprobe: the child's result:", err)
		os.Exit(1)
	}
	counters, _ := run["counters"].(map[string]any)
	num := func(k string) int {
		if v, ok := counters[k].(json.Number); ok {
			n, _ := v.Int64()
			return int(n)
		}
		return 0
	}
	for k, v := range PhaseCounters(traces, num("gc_first"), num("gc_last")) {
		counters[k] = v
	}
	if err := json.NewEncoder(os.Stdout).Encode(run); err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}

// PhaseCounters: the gctrace figures of cycles first..last (gctrace's cycle numbers):
//
//	trace_cycles                            lines found for those cycles
//	pause_ns_p50, pause_p50_s               the mark-termination stop-the-world's median (the model's
//	                                        gc.pause_p50_s is mark termination's)
//	pause_ns_max, pause_max_s               the largest single stop-the-world of either kind (gc.pause_max_s)
//	pause_sweep_term_ns_p50/max, pause_mark_term_ns_p50/max
//	cycle_clock_ns_mean, cycle_wall_mean_s  sweep termination's start to mark termination's end, the sum
//	                                        of the three clock figures (gc.cycle_wall_mean_s)
//	mark_ns_mean                            the concurrent mark's wall time
//	trace_gc_cpu_ns                         GC CPU but idle marking, summed over the cycles (both pauses x
//	                                        stwprocs, assists, dedicated and fractional workers)
//	trace_idle_cpu_ns                       idle-priority marking
//	trace_assist_cpu_ns                     assists
//	mark_cpu_mean_s                         a cycle's concurrent-mark CPU (assist + background + idle, the
//	                                        cpu figures between the pauses), averaged (gc.mark_cpu_mean_s)
//	trace_heap_goal_mb_last, trace_heap_marked_mb_mean
func PhaseCounters(traces []Trace, first, last int) map[string]any {
	var sweep, markTerm, both, clock, mark []float64
	var gcCPU, idle, assist, markCPU, marked float64
	var goal int64
	for _, t := range traces {
		if t.N < first || t.N > last {
			continue
		}
		sweep = append(sweep, t.SweepTerm)
		markTerm = append(markTerm, t.MarkTerm)
		both = append(both, t.SweepTerm, t.MarkTerm)
		clock = append(clock, t.SweepTerm+t.Mark+t.MarkTerm)
		mark = append(mark, t.Mark)
		gcCPU += t.CPUStw1 + t.Assist + t.Bg + t.CPUStw2
		idle += t.Idle
		assist += t.Assist
		markCPU += t.Assist + t.Bg + t.Idle
		marked += float64(t.Heap2)
		goal = t.Goal
	}
	c := map[string]any{
		"trace_cycles":              len(clock),
		"pause_ns_p50":              quantile(markTerm, 0.5),
		"pause_p50_s":               quantile(markTerm, 0.5) / 1e9,
		"pause_ns_max":              quantile(both, 1),
		"pause_max_s":               quantile(both, 1) / 1e9,
		"pause_sweep_term_ns_p50":   quantile(sweep, 0.5),
		"pause_sweep_term_ns_max":   quantile(sweep, 1),
		"pause_mark_term_ns_p50":    quantile(markTerm, 0.5),
		"pause_mark_term_ns_max":    quantile(markTerm, 1),
		"cycle_clock_ns_mean":       mean(clock),
		"cycle_wall_mean_s":         mean(clock) / 1e9,
		"mark_ns_mean":              mean(mark),
		"trace_gc_cpu_ns":           gcCPU,
		"trace_idle_cpu_ns":         idle,
		"trace_assist_cpu_ns":       assist,
		"trace_heap_goal_mb_last":   goal,
		"trace_heap_marked_mb_mean": 0.0,
	}
	c["mark_cpu_mean_s"] = 0.0
	if len(clock) > 0 {
		c["mark_cpu_mean_s"] = markCPU / float64(len(clock)) / 1e9
		c["trace_heap_marked_mb_mean"] = marked / float64(len(clock))
	}
	return c
}
