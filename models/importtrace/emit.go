package main

// The scenario as YAML, with a comment on where each number came from, and the report of what the
// import could not represent.

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// dur formats ns as the scenario's duration literal, exact to the nanosecond where it matters.
func dur(ns int64) string {
	switch {
	case ns >= 1_000_000:
		return trimF(float64(ns)/1e6) + "ms"
	case ns >= 1000:
		return trimF(float64(ns)/1e3) + "us"
	}
	return strconv.FormatInt(ns, 10) + "ns"
}

func trimF(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func sortedCopy(v []int64) []int64 {
	s := append([]int64(nil), v...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s
}

// The histogram's edges, as quantiles: 12 bins (plus one per point mass and up to 16 splits that keep the
// mean), so a scenario stays readable.
var histQuantiles = []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1}

// histBin: one bin of an empirical histogram, [lo, hi) (the last one closed; lo == hi a point mass), with
// its count, the sum of its samples and the index in the sorted samples of its first one.
type histBin struct {
	lo, hi int64
	n      int
	sum    float64
	first  int
}

// binSamples: the bins that the edges make (a zero-width bin for each point mass) and the sorted samples
// `rest` counted into them; the masses' own counts are in `mass`.
func binSamples(edgeSet map[int64]bool, mass map[int64]int, rest []int64) []histBin {
	var edges []int64
	for e := range edgeSet {
		edges = append(edges, e)
	}
	sort.Slice(edges, func(i, j int) bool { return edges[i] < edges[j] })
	var bins []histBin
	for i, e := range edges {
		if n, ok := mass[e]; ok {
			bins = append(bins, histBin{lo: e, hi: e, n: n, sum: float64(n) * float64(e), first: -1})
		}
		if i+1 < len(edges) {
			bins = append(bins, histBin{lo: e, hi: edges[i+1], first: -1})
		}
	}
	if len(rest) > 0 && len(edges) == 1 { // the rest is one value that is not a mass: a bin of its own
		bins = append(bins, histBin{lo: edges[0], hi: edges[0], first: -1})
	}
	for i, x := range rest {
		k := -1
		for b, bn := range bins {
			if bn.lo < bn.hi && x >= bn.lo && x < bn.hi {
				k = b
				break
			}
		}
		for b := len(bins) - 1; k < 0 && b >= 0; b-- { // the maximum, or a lone value: the last bin holding it
			if bins[b].lo <= x && x <= bins[b].hi {
				k = b
			}
		}
		if bins[k].first < 0 {
			bins[k].first = i
		}
		bins[k].n++
		bins[k].sum += float64(x)
	}
	return bins
}

// distYAML: a constant when every sample is equal, the samples themselves when there are few, otherwise
// a histogram with edges at quantiles (0, 10 %, ..., 90 %, 95 %, 99 %, max) and a zero-width bin for
// each value holding 15 % or more of the samples (a point mass, e.g. waits of 0 where a goroutine did not
// block), so the tail is kept with at most ~20 bins; a bin whose samples' sum its uniform draw would
// misstate by more than 0.5 % of the total is split at its median (binSamples, below).
func distYAML(v []int64) string {
	s := sortedCopy(v)
	if len(s) == 0 {
		return "0ns"
	}
	if s[0] == s[len(s)-1] {
		return dur(s[0])
	}
	if len(s) <= 16 {
		parts := make([]string, len(s))
		for i, x := range s {
			parts[i] = dur(x)
		}
		return "{dist: empirical, samples: [" + strings.Join(parts, ", ") + "]}"
	}
	// Point masses: values with >= 15 % of the samples get a zero-width bin [v, v] (the trace's clock ticks
	// in 64 ns, so smaller masses are its resolution, not the program's). The rest is binned by its own
	// quantiles.
	mass := map[int64]int{}
	var rest []int64
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] == s[i] {
			j++
		}
		if float64(j-i) >= 0.15*float64(len(s)) {
			mass[s[i]] = j - i
		} else {
			rest = append(rest, s[i:j]...)
		}
		i = j
	}
	// The tail above the 99th percentile as the samples themselves (point masses) when they are few, so
	// that the mean and the maximum stay the trace's: a bucket from p99 to a far maximum, uniform inside,
	// would put its few samples at their midpoint.
	if k := int(math.Round(0.99 * float64(len(rest)-1))); len(rest) > 0 && len(rest)-1-k <= 16 {
		for _, x := range rest[k+1:] {
			mass[x]++
		}
		rest = rest[:k+1]
	}
	edgeSet := map[int64]bool{}
	for m := range mass {
		edgeSet[m] = true
	}
	for _, q := range histQuantiles {
		if len(rest) > 0 {
			edgeSet[rest[int(math.Round(q*float64(len(rest)-1)))]] = true
		}
	}
	bins := binSamples(edgeSet, mass, rest)
	// Mean-preserving refinement: a bin draws uniformly between its edges, so a wide bin whose samples
	// crowd one end (the p99-to-max bin of CPU bursts with one 2 ms outlier) misstates the class's total
	// CPU by count x (midpoint - mean). Split the worst such bin at its median sample until every bin's
	// misstatement is under 0.5 % of the samples' total (at most 16 splits).
	var total float64
	for _, x := range s {
		total += float64(x)
	}
	for split := 0; split < 16; split++ {
		worst, werr := -1, 0.005*total
		for b, bn := range bins {
			if e := math.Abs(bn.sum - float64(bn.n)*(float64(bn.lo)+float64(bn.hi))/2); bn.lo < bn.hi && e > werr {
				worst, werr = b, e
			}
		}
		if worst < 0 {
			break
		}
		bn := bins[worst]
		med := rest[(bn.first+bn.first+bn.n-1)/2]
		if med == bn.lo || med == bn.hi { // half the bin is one value: that value becomes a point mass
			i := sort.Search(len(rest), func(i int) bool { return rest[i] >= med })
			j := sort.Search(len(rest), func(i int) bool { return rest[i] > med })
			mass[med] += j - i
			rest = append(rest[:i:i], rest[j:]...)
		}
		edgeSet[med] = true
		bins = binSamples(edgeSet, mass, rest)
	}
	counts := make([]int, len(bins))
	for i, bn := range bins {
		counts[i] = bn.n
	}
	// Edges as the scenario writes them: a zero-width bin repeats its edge.
	var es []string
	var cs []string
	es = append(es, dur(bins[0].lo))
	for i, bn := range bins {
		es = append(es, dur(bn.hi))
		cs = append(cs, strconv.Itoa(counts[i]))
	}
	return "{dist: empirical, histogram: {edges: [" + strings.Join(es, ", ") + "], counts: [" + strings.Join(cs, ", ") + "]}}"
}

func sum(v []int64) int64 {
	var t int64
	for _, x := range v {
		t += x
	}
	return t
}

func ms(ns int64) string { return strconv.FormatFloat(float64(ns)/1e6, 'f', 3, 64) + " ms" }

type importResult struct {
	yaml    string
	report  []string
	summary map[string]any
}

var waitNames = map[string]string{"chan": "channel send/receive", "select": "select", "sync": "sync.Mutex/RWMutex/WaitGroup/Cond"}

// emit writes the scenario.
func emit(d *traceData, classes []*class, opt options) importResult {
	var report []string
	note := func(f string, a ...any) { report = append(report, fmt.Sprintf(f, a...)) }
	byFn := map[string]*class{}
	for _, c := range classes {
		byFn[c.fn] = c
	}
	span := d.end - d.start
	procs := int64(0)
	if len(d.gomaxprocs) > 0 {
		procs = d.gomaxprocs[0]
		for _, p := range d.gomaxprocs[1:] {
			if p != procs {
				note("GOMAXPROCS changed during the trace (%d, then %d); the scenario uses the first", procs, p)
				break
			}
		}
	}
	cpus, cpusFrom := opt.cpus, "--cpus"
	if cpus == 0 && d.cpus > 0 {
		cpus, cpusFrom = d.cpus, "the trace's `gmpsim` log event num_cpu"
	}
	if cpus == 0 {
		cpus, cpusFrom = procs, "GOMAXPROCS (the trace does not record the machine's CPUs; pass --cpus N or log num_cpu=N under category gmpsim)"
		note("machine.cpus is GOMAXPROCS (%d): the trace does not record the machine's CPUs; pass --cpus N", procs)
	}
	if procs == 0 {
		procs = cpus
	}
	// Spawners of request classes are the arrival mechanism: left out, with their CPU.
	spawners := map[string]bool{}
	arrivalsMode := ""
	for _, c := range classes {
		if !c.request {
			continue
		}
		for _, p := range classes {
			if p.name == c.spawner {
				spawners[p.fn] = true
				for _, s := range p.loop {
					switch {
					case s.key == "net" && arrivalsMode == "":
						arrivalsMode = "accept"
					case s.key == "sleep" && arrivalsMode == "":
						arrivalsMode = "generator"
					}
				}
			}
		}
	}
	if arrivalsMode == "" {
		arrivalsMode = "accept"
	}
	findFanIns(classes, byFn, func(c *class) bool { return c.system || spawners[c.fn] }, note)
	var userCPU, sysCPU int64
	for _, c := range classes {
		if c.system {
			sysCPU += c.cpu
		} else {
			userCPU += c.cpu
		}
	}
	// The trace's bursts are time on a P; a thread that the kernel deschedules (other processes on the
	// machine) keeps its P, so on a busy machine some bursts are long by the time their thread waited for a
	// CPU. Given the process's CPU time while tracing, each class's bursts are clipped at the level that
	// makes them total their share of it (the goroutines' share of the process's CPU, in proportion to
	// their time on Ps): the inflated tail is cut, the common bursts stay as traced.
	cpuRatio, processCPU := 1.0, opt.processCPU
	if processCPU == 0 {
		processCPU = d.processCPU
	}
	if processCPU > 0 && userCPU+sysCPU > processCPU {
		cpuRatio = float64(processCPU) / float64(userCPU+sysCPU)
		var clipped []string
		for _, c := range classes {
			if !c.system {
				if level, n := c.clipCPU(cpuRatio); n > 0 {
					clipped = append(clipped, fmt.Sprintf("%s at %s (%d bursts)", c.name, dur(level), n))
				}
			}
		}
		note("the goroutines ran %s on Ps but the process used %s of CPU while tracing (its threads were descheduled holding Ps): "+
			"CPU bursts clipped to total %.1f %% of their time on Ps: %s", ms(userCPU+sysCPU), ms(processCPU), 100*cpuRatio, strings.Join(clipped, ", "))
	}
	var b strings.Builder
	w := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	w("# Imported by gmpsim import-trace from %s\n", opt.source)
	w("# trace: %s of execution, %d events, %d goroutines; GOMAXPROCS %d (the trace's /sched/gomaxprocs:threads)\n",
		ms(span), d.events, len(d.order), procs)
	w("# CPU in the trace: the program's goroutines %s, the runtime's own goroutines %s, Ps running %s\n",
		ms(userCPU), ms(sysCPU), ms(d.procBusy))
	if cpuRatio != 1 {
		w("# the process's CPU time while tracing: %s; CPU bursts are clipped to it (see the report)\n", ms(processCPU))
	}
	w("# Every distribution is the trace's samples (a constant when they were all equal, the samples when few,\n")
	w("# else a histogram with edges at the 0, 10, ..., 90, 95, 99 and 100th percentiles); see the report at the end.\n")
	w("description: imported from the Go execution trace %s\n", opt.source)
	w("machine:\n  cpus: %d   # %s\n", cpus, cpusFrom)
	w("runtime:\n  model: go\n  gomaxprocs: %d   # the trace's GOMAXPROCS\n", procs)
	w("  arrivals: %s   # how request goroutines enter: %s\n", arrivalsMode,
		map[string]string{"accept": "a listener goroutine parked in the netpoller starts each one with `go`", "generator": "a goroutine sleeping until each arrival starts it with `go`"}[arrivalsMode])
	w("workload:\n  classes:\n")
	summaryClasses := map[string]any{}
	for _, c := range classes {
		if c.system {
			continue
		}
		if spawners[c.fn] {
			note("class %s (%s, %d goroutines, CPU %s) is the arrival mechanism of request classes: runtime.arrivals %s stands for it",
				c.name, c.fn, len(c.gors), ms(c.cpu), arrivalsMode)
			continue
		}
		w("    %s:   # %s: %d goroutines, CPU %s in the trace\n", c.name, c.fn, len(c.gors), ms(c.cpu))
		if c.left > 0 {
			w("      # program: aligned from %d goroutines; %d with another loop structure left out (CPU %s)\n", c.modal, c.left, ms(c.leftCPU))
		}
		if c.left > 0 {
			note("class %s: %d of %d goroutines had another loop structure and are not in its distributions (CPU %s)",
				c.name, c.left, len(c.gors), ms(c.leftCPU))
		}
		switch {
		case c.request:
			rate, cv := arrivalProcess(c.arrivals, span)
			proc := "poisson"
			if cv < 0.5 {
				proc = "constant"
			}
			if cv > 1.5 {
				note("class %s: arrivals are burstier than Poisson (gaps' CV %.2f); the scenario uses poisson at the mean rate", c.name, cv)
			}
			w("      arrivals: {process: %s, rate: %s/s}   # %d created by %s over %s, gaps' CV %.2f\n",
				proc, trimF(math.Round(rate*10)/10), len(c.arrivals), c.spawner, ms(span), cv)
		case c.initial > 0 && len(c.arrivals) == 0:
			w("      arrivals: {process: initial, count: %d}   # existed when the trace started\n", c.initial)
		case c.initial > 0:
			w("      arrivals: {process: initial, count: %d}   # existed when the trace started; %d more spawned\n", c.initial, len(c.arrivals))
		default:
			parent := ""
			if len(c.gors) > 0 && c.gors[0].creator != nil {
				parent = className(c.gors[0].creator.fn)
				if pc := byFn[c.gors[0].creator.fn]; pc != nil {
					parent = pc.name
				}
			}
			if pc := byFn[creatorFn(c)]; pc == nil || pc.system {
				// Created by the runtime or outside a goroutine: arrivals as observed.
				rate, _ := arrivalProcess(c.arrivals, span)
				if rate > 0 {
					w("      arrivals: {process: poisson, rate: %s/s}   # %d created outside the program's goroutines\n", trimF(math.Round(rate*10)/10), len(c.arrivals))
				} else {
					w("      arrivals: {process: initial, count: %d}   # created outside the program's goroutines\n", len(c.arrivals))
				}
			} else {
				w("      arrivals: {process: none}   # spawned by %s\n", parent)
			}
		}
		w("      program:\n")
		steps := 0
		carry := emitSteps(&b, "        ", c.prefix, byFn, spawners, c, note, &steps)
		if len(c.loop) > 0 {
			count := strconv.Itoa(median(c.loopN))
			why := fmt.Sprintf("the median of %d goroutines' iterations", len(c.loopN))
			if c.forever {
				count, why = "forever", "it ran until the trace ended"
			}
			var body strings.Builder
			inner := 0
			if rest := emitSteps(&body, "              ", c.loop, byFn, spawners, c, note, &inner); sum(rest) > 0 {
				fmt.Fprintf(&body, "              - compute: %s   # CPU of the iteration's end, %d samples\n", distYAML(rest), len(rest))
				inner++
			}
			if inner > 0 {
				w("        - repeat:   # %s\n            count: %s\n            steps:\n%s", why, count, body.String())
				steps++
			}
			carry = nil
		}
		final := c.final
		if len(carry) == len(final) {
			final = make([]int64, len(c.final))
			for k := range final {
				final[k] = c.final[k] + carry[k]
			}
		}
		if sum(final) > 0 || (steps == 0 && c.signal == nil) {
			w("        - compute: %s   # CPU after the last wait, %d samples\n", distYAML(final), len(final))
		}
		if f := c.signal; f != nil && f.wg {
			w("        - wg_done: %s   # wakes %s (the fan-in)\n", f.obj, f.parent)
		} else if f != nil {
			w("        - send: %s   # wakes %s (the fan-in)\n", f.obj, f.parent)
		}
		for _, r := range sortedKeys(c.dropped) {
			note("class %s: %d waits or steps left out: %s", c.name, c.dropped[r], r)
		}
		summaryClasses[c.name] = map[string]any{"function": c.fn, "goroutines": len(c.gors), "cpu_ns": c.cpu,
			"request": c.request, "kinds": kindsOf(c)}
	}
	var sysNames []string
	for _, c := range classes {
		if c.system {
			sysNames = append(sysNames, fmt.Sprintf("%s (%d, CPU %s)", c.fn, len(c.gors), ms(c.cpu)))
		}
	}
	if len(sysNames) > 0 {
		note("the runtime's own goroutines are left out (the go model has its own collector, sweeper and timers): %s", strings.Join(sysNames, ", "))
	}
	runDur := (span + 999_999) / 1_000_000 * 1_000_000
	// A program with no open-loop arrivals and no loop that ran until the trace ended does a fixed amount
	// of work: its run ends when that work is done, so the duration only bounds a slower what-if (fewer
	// Ps, a quota) instead of cutting it off at the traced length.
	finite := true
	for _, c := range classes {
		if !c.system && (c.request || c.forever) {
			finite = false
		}
	}
	if finite {
		w("run:\n  duration: %s   # 10x the trace's length: the run ends when the program's work is done\n  warmup: 0ns\n  seed: 1\n", dur(10*runDur))
	} else {
		w("run:\n  duration: %s   # the trace's length\n  warmup: 0ns\n  seed: 1\n", dur(runDur))
	}
	w("# Report: what the scenario does not represent\n")
	for _, r := range report {
		w("#  - %s\n", r)
	}
	summary := map[string]any{"trace_ns": span, "events": d.events, "goroutines": len(d.order), "gomaxprocs": procs,
		"cpus": cpus, "cpu_ns": map[string]any{"program": userCPU, "runtime_goroutines": sysCPU, "procs_running": d.procBusy, "process": processCPU},
		"cpu_ratio": cpuRatio,
		"classes":   summaryClasses, "report": report}
	return importResult{yaml: b.String(), report: report, summary: summary}
}

func creatorFn(c *class) string {
	for _, g := range c.gors {
		if g.creator != nil {
			return g.creator.fn
		}
	}
	return ""
}

func kindsOf(c *class) []string {
	seen := map[string]bool{}
	for _, s := range append(append([]*slot(nil), c.prefix...), c.loop...) {
		seen[s.key] = true
	}
	var k []string
	for x := range seen {
		k = append(k, x)
	}
	sort.Strings(k)
	return k
}

// emitSteps: each slot's CPU burst as a compute, then its token as a step. Consecutive spawns of one
// class merge into one spawn with a count (their bursts summed per goroutine).
// Returns the CPU of trailing slots whose steps were left out, for the caller's next burst.
func emitSteps(b *strings.Builder, ind string, slots []*slot, byFn map[string]*class, spawners map[string]bool, self *class, note func(string, ...any), steps *int) []int64 {
	w := func(f string, a ...any) { fmt.Fprintf(b, f, a...) }
	sk := 0
	for _, s := range slots {
		if s.fan == nil && (s.key == "chan" || s.key == "select" || s.key == "sync") {
			sk++
		}
	}
	if sk > 0 {
		note("class %s: %d steps of channel/select/sync waits are replayed as timed waits of the traced durations: who wakes whom is not modelled there, so they do not change with GOMAXPROCS or load", self.name, sk)
	}
	var carry []int64 // CPU of a slot whose step is left out, added to the next burst
	for _, s := range slots {
		cpu := s.cpu
		if len(carry) == len(cpu) {
			cpu = make([]int64, len(cpu))
			for k := range cpu {
				cpu[k] = s.cpu[k] + carry[k]
			}
		}
		carry = nil
		step := ""
		switch s.key {
		case "spawn":
			ch := byFn[s.child]
			if ch == nil || ch.system || ch.request || spawners[ch.fn] {
				break // the runtime's, or a request class arriving by itself
			}
			if n := median(s.spawns); n > 1 {
				step = fmt.Sprintf("spawn: {class: %s, count: %d}   # consecutive go statements (the median of %d)", ch.name, n, len(s.spawns))
			} else {
				step = "spawn: " + ch.name
			}
			if f := s.fan; f != nil && f.wg {
				step = fmt.Sprintf("make: {wg: %s}   # the fan-in of the %s it starts\n%s- wg_add: {wg: %s, n: %d}\n%s- %s", f.obj, ch.name, ind, f.obj, f.k, ind, step)
			} else if f != nil {
				step = fmt.Sprintf("make: {chan: %s, capacity: %d}   # the fan-in of the %s it starts\n%s- %s", f.obj, f.k, ch.name, ind, step)
			}
		case "net":
			step = fmt.Sprintf("net_wait: %s   # network (netpoller) waits, %d samples", distYAML(s.wait), len(s.wait))
		case "sleep":
			step = fmt.Sprintf("sleep: %s   # time.Sleep/timers, %d samples", distYAML(s.wait), len(s.wait))
		case "syscall":
			step = fmt.Sprintf("syscall: %s   # syscalls that lost their P, %d samples", distYAML(s.wait), len(s.wait))
		case "chan", "select", "sync":
			f := s.fan
			switch {
			case f == nil:
				step = fmt.Sprintf("sleep: %s   # %s waits replayed as timed waits, %d samples%s", distYAML(s.wait), waitNames[s.key], len(s.wait), wakers(s, byFn))
			case f.wg && s.fanIdx == 0:
				step = fmt.Sprintf("wg_wait: %s   # traced: %s", f.obj, waitSummary(s, byFn))
			case !f.wg && s.fanIdx < f.k:
				step = fmt.Sprintf("recv: %s   # traced: %s", f.obj, waitSummary(s, byFn))
				if s.fanIdx == f.waits-1 && f.waits < f.k {
					step += fmt.Sprintf("\n%s- repeat: {count: %d, steps: [{recv: %s}]}   # the results that were there without a wait", ind, f.k-f.waits, f.obj)
				}
			}
		case "forever":
			note("class %s: a goroutine blocked forever (select{} or a nil channel) is not represented", self.name)
		}
		if step == "" {
			carry = cpu
			continue
		}
		if sum(cpu) > 0 {
			w("%s- compute: %s   # CPU before it, %d samples\n", ind, distYAML(cpu), len(cpu))
		}
		w("%s- %s\n", ind, step)
		*steps++
	}
	return carry
}

func countKey(slots []*slot, keys ...string) int {
	n := 0
	for _, s := range slots {
		for _, k := range keys {
			if s.key == k {
				n++
			}
		}
	}
	return n
}

// waitSummary: a wait's traced durations in a comment (the median and the 99th percentile).
func waitSummary(s *slot, byFn map[string]*class) string {
	v := sortedCopy(s.wait)
	return fmt.Sprintf("%s waits, median %s, p99 %s, %d samples%s", waitNames[s.key], dur(v[len(v)/2]), dur(v[len(v)*99/100]), len(v), wakers(s, byFn))
}

func wakers(s *slot, byFn map[string]*class) string {
	if len(s.wakers) == 0 {
		return ""
	}
	var parts []string
	for _, fn := range sortedKeys(s.wakers) {
		name := className(fn)
		if c := byFn[fn]; c != nil {
			name = c.name
		}
		parts = append(parts, fmt.Sprintf("%s %d", name, s.wakers[fn]))
	}
	return "; woken by " + strings.Join(parts, ", ")
}
