// gmpsim-importtrace: a Go execution trace (go1.22+ format: runtime/trace, go test -trace,
// /debug/pprof/trace) to a gmpsim scenario. `gmpsim import-trace` runs it; models/importtrace/README.md
// says what is mapped to what and what is not represented.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
)

type options struct {
	source     string
	cpus       int64
	processCPU int64 // ns; 0: the trace's `gmpsim` log event cpu_ns, if any
}

func main() {
	out := flag.String("o", "", "write the scenario here (default: standard output)")
	summary := flag.String("summary", "", "also write a JSON summary (classes, CPU totals, the report) here")
	cpus := flag.Int64("cpus", 0, "the machine's CPUs (the trace does not record them; default: a `gmpsim` log event num_cpu=N, else GOMAXPROCS)")
	cpuTime := flag.Duration("cpu-time", 0, "the process's CPU time while tracing (getrusage), e.g. 1.2s: bursts are scaled to it when the Ps' running time exceeds it (default: a `gmpsim` log event cpu_ns=N, else no scaling)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: gmpsim import-trace TRACE.out [-o scenario.yaml] [--cpus N] [--cpu-time D] [--summary FILE.json]\n")
		flag.PrintDefaults()
	}
	// Flags may follow the trace's path.
	var args []string
	rest := os.Args[1:]
	for len(rest) > 0 {
		if err := flag.CommandLine.Parse(rest); err != nil {
			os.Exit(2)
		}
		rest = flag.Args()
		if len(rest) > 0 {
			args = append(args, rest[0])
			rest = rest[1:]
		}
	}
	if len(args) != 1 {
		fail("expected one trace file (a Go execution trace from runtime/trace, go test -trace or /debug/pprof/trace), got %d arguments", len(args))
	}
	if *cpus < 0 {
		fail("--cpus: %d is negative; give the machine's CPU count, e.g. --cpus 4", *cpus)
	}
	f, err := os.Open(args[0])
	if err != nil {
		fail("%s: cannot open: %v", args[0], err)
	}
	defer f.Close()
	d, err := readTrace(f)
	if err != nil {
		fail("%s: %v", args[0], err)
	}
	if *cpuTime < 0 {
		fail("--cpu-time: %v is negative; give the process's CPU time while tracing, e.g. --cpu-time 1.2s", *cpuTime)
	}
	res := emit(d, buildClasses(d), options{source: args[0], cpus: *cpus, processCPU: cpuTime.Nanoseconds()})
	if *summary != "" {
		j, _ := json.MarshalIndent(res.summary, "", "  ")
		writeAtomic(*summary, append(j, '\n'))
	}
	if *out == "" {
		os.Stdout.WriteString(res.yaml)
	} else {
		writeAtomic(*out, []byte(res.yaml))
	}
	for _, r := range res.report {
		fmt.Fprintf(os.Stderr, "gmpsim import-trace: not represented: %s\n", r)
	}
}

// writeAtomic: the whole file or nothing (a temporary beside it, renamed).
func writeAtomic(path string, data []byte) {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		fail("%s: cannot write: %v", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		fail("%s: cannot write: %v", path, err)
	}
}

func fail(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "gmpsim: error: import-trace: "+f+"\n", a...)
	os.Exit(2)
}
