package main

// The first pass: every goroutine's life as a sequence of tokens (a blocking event, a spawn, a syscall
// that lost its P), each with the CPU the goroutine ran since the previous token and, for waits, how long
// it waited. The states and reasons are those of the go1.22+ tracer (runtime/traceruntime.go:
// traceBlockReasonStrings; golang.org/x/exp/trace StateTransition).

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"golang.org/x/exp/trace"
)

// A token of a goroutine's life.
type token struct {
	key   string // "net", "sleep", "chan", "select", "sync", "syscall", "spawn:CLASS"
	cpu   int64  // CPU (running time, plus syscalls that kept their P) since the previous token, ns
	wait  int64  // waits: blocked until made runnable, ns
	waker string // waits: the class of the goroutine that made it runnable ("" when none: netpoll, timers)
	child *gor   // spawns
	n     int    // spawns: consecutive go statements of the same function merged into this token
}

// mergeSpawns folds consecutive spawns of one function (a `for` of go statements) into one token, so a
// fan-out of N is one step with a count rather than N steps or a loop.
func (g *gor) mergeSpawns() {
	var out []token
	for _, t := range g.tokens {
		if t.key == "spawn" && t.n == 0 {
			t.n = 1
		}
		if k := len(out) - 1; k >= 0 && t.key == "spawn" && out[k].key == "spawn" && out[k].child.fn == t.child.fn {
			out[k].n++
			out[k].cpu += t.cpu
			continue
		}
		out = append(out, t)
	}
	g.tokens = out
}

type gor struct {
	id           trace.GoID
	fn           string // the goroutine's entry function (outermost frame)
	creator      *gor   // nil when it existed before the trace or was started outside a goroutine
	created      int64  // -1: existed when the trace started
	ended        int64  // -1: still alive when the trace ended
	tokens       []token
	cpu          int64 // CPU since the last token
	cpuTotal     int64
	runningSince int64
	waitSince    int64
	sysSince     int64
	waitKey      string
	state        trace.GoState
	dropped      map[string]int // waits left out (GC assists, preemption...) by reason
}

type traceData struct {
	start, end   int64
	gors         map[trace.GoID]*gor
	order        []*gor // creation/first-seen order (deterministic output)
	gomaxprocs   []int64
	cpus         int64 // from a `gmpsim` log event "num_cpu=N", 0 when absent
	processCPU   int64 // from a `gmpsim` log event "cpu_ns=N": the process's CPU time while tracing, 0 when absent
	procBusy     int64 // time Ps spent running (the process's Go-side CPU, runtime work included)
	procSince    map[trace.ProcID]int64
	events       int
	unknownBlock map[string]int
}

// blockKey maps a tracer block reason to the scenario's kind of wait ("" = not a wait of the program).
func blockKey(reason string) string {
	switch {
	case reason == "network":
		return "net"
	case reason == "sleep":
		return "sleep"
	case strings.HasPrefix(reason, "chan send"), strings.HasPrefix(reason, "chan receive"):
		return "chan"
	case strings.HasPrefix(reason, "select"):
		return "select"
	case reason == "sync", reason == "sync.(*Cond).Wait":
		return "sync"
	case reason == "forever":
		return "forever"
	}
	return "" // GC waits, system goroutine waits, preemption, debug calls: the runtime's, not the program's
}

// entry: the goroutine's entry function, the outermost frame below runtime.goexit (runtime.main for the
// main goroutine, which runs main.main).
func entry(s trace.Stack) string {
	fn := ""
	for f := range s.Frames() {
		if f.Func != "runtime.goexit" && f.Func != "" {
			fn = f.Func
		}
	}
	if fn == "runtime.main" {
		return "main.main"
	}
	return fn
}

func (d *traceData) get(id trace.GoID, t int64) *gor {
	g := d.gors[id]
	if g == nil {
		g = &gor{id: id, created: -1, ended: -1, runningSince: -1}
		d.gors[id] = g
		d.order = append(d.order, g)
	}
	return g
}

func (g *gor) stopRunning(t int64) {
	if g.runningSince >= 0 {
		g.cpu += t - g.runningSince
		g.cpuTotal += t - g.runningSince
		g.runningSince = -1
	}
}

func (g *gor) push(tk token) {
	tk.cpu = g.cpu
	g.cpu = 0
	g.tokens = append(g.tokens, tk)
}

func (g *gor) drop(reason string) {
	if g.dropped == nil {
		g.dropped = map[string]int{}
	}
	g.dropped[reason]++
}

func readTrace(r io.Reader) (*traceData, error) {
	tr, err := trace.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("not a Go execution trace (go1.22+ format from runtime/trace, go test -trace or /debug/pprof/trace): %v", err)
	}
	d := &traceData{gors: map[trace.GoID]*gor{}, procSince: map[trace.ProcID]int64{}, start: -1, unknownBlock: map[string]int{}}
	for {
		ev, err := tr.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the trace: %v", err)
		}
		t := int64(ev.Time())
		if d.start < 0 {
			d.start = t
		}
		d.end = t
		d.events++
		switch ev.Kind() {
		case trace.EventMetric:
			m := ev.Metric()
			if m.Name == "/sched/gomaxprocs:threads" {
				d.gomaxprocs = append(d.gomaxprocs, int64(m.Value.Uint64()))
			}
		case trace.EventLog:
			l := ev.Log()
			if l.Category == "gmpsim" && strings.HasPrefix(l.Message, "num_cpu=") {
				fmt.Sscan(strings.TrimPrefix(l.Message, "num_cpu="), &d.cpus)
			}
			if l.Category == "gmpsim" && strings.HasPrefix(l.Message, "cpu_ns=") {
				fmt.Sscan(strings.TrimPrefix(l.Message, "cpu_ns="), &d.processCPU)
			}
		case trace.EventStateTransition:
			st := ev.StateTransition()
			switch st.Resource.Kind {
			case trace.ResourceProc:
				from, to := st.Proc()
				id := st.Resource.Proc()
				if to.Executing() && !from.Executing() {
					d.procSince[id] = t
				} else if from.Executing() && !to.Executing() {
					if s, ok := d.procSince[id]; ok {
						d.procBusy += t - s
						delete(d.procSince, id)
					} else if from != trace.ProcUndetermined {
						d.procBusy += t - d.start
					}
				}
			case trace.ResourceGoroutine:
				d.goTransition(ev, st, t)
			}
		}
	}
	// Close what is still open at the end of the trace.
	for id, s := range d.procSince {
		d.procBusy += d.end - s
		delete(d.procSince, id)
	}
	for _, g := range d.order {
		g.stopRunning(d.end)
		if g.state == trace.GoSyscall {
			g.cpu += d.end - g.sysSince
			g.cpuTotal += d.end - g.sysSince
		}
	}
	if d.start < 0 {
		return nil, fmt.Errorf("the trace has no events")
	}
	return d, nil
}

func (d *traceData) goTransition(ev trace.Event, st trace.StateTransition, t int64) {
	from, to := st.Goroutine()
	g := d.get(st.Resource.Goroutine(), t)
	if g.fn == "" {
		if fn := entry(st.Stack); fn != "" {
			g.fn = fn
		} else if fn := entry(ev.Stack()); fn != "" && ev.Goroutine() == g.id {
			g.fn = fn
		}
	}
	if from == trace.GoUndetermined && d.start >= 0 {
		// Existed before the trace (or before this generation): pick up its state without a token.
		if to == trace.GoRunning {
			g.runningSince = t
		}
		if to == trace.GoWaiting {
			g.waitSince = t
			g.waitKey = blockKey(st.Reason)
		}
		if to == trace.GoSyscall {
			g.sysSince = t
		}
		g.state = to
		return
	}
	switch {
	case from == trace.GoNotExist && to == trace.GoRunnable: // go statement
		g.created = t
		g.fn = entry(st.Stack)
		if c := ev.Goroutine(); c != trace.NoGoroutine && !isSystem(g.fn) { // the runtime's (a GC worker) is no spawn of the program
			p := d.get(c, t)
			g.creator = p
			if p.runningSince >= 0 { // count the spawner's CPU up to the spawn
				p.stopRunning(t)
				p.runningSince = t
			}
			p.push(token{key: "spawn", child: g})
		}
	case to == trace.GoRunning && from == trace.GoRunnable:
		g.runningSince = t
	case from == trace.GoRunning && to == trace.GoWaiting:
		g.stopRunning(t)
		g.waitSince = t
		g.waitKey = blockKey(st.Reason)
		if g.waitKey == "" {
			g.drop(st.Reason)
		}
	case from == trace.GoWaiting && to == trace.GoRunnable:
		if g.waitKey != "" {
			waker := ""
			if w := ev.Goroutine(); w != trace.NoGoroutine && d.gors[w] != nil {
				waker = d.gors[w].fn
			}
			g.push(token{key: g.waitKey, wait: t - g.waitSince, waker: waker})
		}
		g.waitKey = ""
	case from == trace.GoRunning && to == trace.GoRunnable: // preempted or Gosched: the burst goes on
		g.stopRunning(t)
	case from == trace.GoRunning && to == trace.GoSyscall:
		g.stopRunning(t)
		g.sysSince = t
	case from == trace.GoSyscall && to == trace.GoRunning:
		// The syscall returned with its P (entersyscall's fast path): short, counted as the goroutine's
		// CPU (the thread ran it in the kernel).
		g.cpu += t - g.sysSince
		g.cpuTotal += t - g.sysSince
		g.runningSince = t
	case from == trace.GoSyscall && to == trace.GoRunnable:
		// Its P was taken (sysmon's retake after 20us, or a blocking hand-off): a syscall that blocked.
		g.push(token{key: "syscall", wait: t - g.sysSince})
	case to == trace.GoNotExist:
		g.stopRunning(t)
		g.ended = t
	}
	g.state = to
}

// sortedKeys of a count map, for deterministic reports.
func sortedKeys(m map[string]int) []string {
	k := make([]string, 0, len(m))
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}
