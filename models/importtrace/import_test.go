package main

// Records a trace of the workload in workload_test.go, imports it, checks the structure found and, with
// the gmpsim CLI of the build (GMPSIM_CLI, set by ctest), runs the scenario and compares its CPU with the
// trace's. Numbers are checked against the trace itself, never against wall-clock expectations.

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func importFile(t *testing.T, path string) (*traceData, []*class, importResult) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := readTrace(f)
	if err != nil {
		t.Fatal(err)
	}
	classes := buildClasses(d)
	return d, classes, emit(d, classes, options{source: path})
}

func find(classes []*class, name string) *class {
	for _, c := range classes {
		if c.name == name {
			return c
		}
	}
	return nil
}

func TestImportRecordedTrace(t *testing.T) {
	dir := t.TempDir()
	tracePath := filepath.Join(dir, "trace.out")
	const requests = 200
	recordTrace(t, tracePath, requests)
	_, classes, res := importFile(t, tracePath)

	h, w := find(classes, "importtrace_handler"), find(classes, "importtrace_worker")
	if h == nil || w == nil || find(classes, "importtrace_generator") == nil {
		t.Fatalf("classes handler, worker and generator not all found:\n%s", res.yaml)
	}
	if len(h.gors) != requests || len(w.gors) != 3*requests {
		t.Errorf("handler goroutines %d (want %d), worker %d (want %d)", len(h.gors), requests, len(w.gors), 3*requests)
	}
	if !h.request || h.spawner != "importtrace_generator" {
		t.Errorf("handler should be a request class started by the generator's loop (request %v, spawner %q)", h.request, h.spawner)
	}
	kinds := strings.Join(kindsOf(h), " ")
	for _, k := range []string{"spawn", "chan", "sleep"} {
		if !strings.Contains(kinds, k) {
			t.Errorf("handler's program lacks %q waits/steps (has %s)", k, kinds)
		}
	}
	for _, want := range []string{"importtrace_handler:", "arrivals: {process: poisson", "spawn: {class: importtrace_worker, count: 3}",
		"runtime:\n  model: go", "arrivals: generator", "# Report: what the scenario does not represent",
		// The handler's waits for its workers (woken by them) are a fan-in over a made channel.
		"make: {chan: importtrace_worker_done, capacity: 3}", "recv: importtrace_worker_done", "send: importtrace_worker_done"} {
		if !strings.Contains(res.yaml, want) {
			t.Errorf("scenario lacks %q:\n%s", want, res.yaml)
		}
	}
	// Every burst of the handler's program together is its CPU in the trace (the modal shape holds most).
	var slots int64
	for _, s := range append(append([]*slot(nil), h.prefix...), h.loop...) {
		slots += sum(s.cpu)
	}
	slots += sum(h.final)
	if taken := float64(slots) / float64(h.cpu-h.leftCPU); taken < 0.999 || taken > 1.001 {
		t.Errorf("the handler's distributions hold %.4f of its CPU in the trace", taken)
	}

	cli := os.Getenv("GMPSIM_CLI")
	if cli == "" {
		t.Skip("GMPSIM_CLI unset: the scenario is not run (ctest sets it to the build's gmpsim)")
	}
	scenario := filepath.Join(dir, "scenario.yaml")
	if err := os.WriteFile(scenario, []byte(res.yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if b, err := exec.Command(cli, "run", scenario, "--out", out, "--quiet").CombinedOutput(); err != nil {
		t.Fatalf("gmpsim run of the imported scenario: %v\n%s\n%s", err, b, res.yaml)
	}
	raw, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Sim struct {
			WindowNs float64 `json:"window_ns"`
		} `json:"sim"`
		CPU struct {
			Goroutines float64 `json:"goroutines"`
		} `json:"cpu"`
		Scenario struct {
			Machine struct {
				CPUs any `json:"cpus"`
			} `json:"machine"`
		} `json:"scenario"`
		Classes map[string]struct {
			Created float64 `json:"created"`
		} `json:"classes"`
	}
	if err := json.Unmarshal(raw, &sum); err != nil {
		t.Fatal(err)
	}
	cpus := float64(res.summary["cpus"].(int64))
	simCPU := sum.CPU.Goroutines * cpus * sum.Sim.WindowNs
	// The trace's CPU of what the scenario runs: the handlers and workers (the generator is runtime.arrivals,
	// the test runner's goroutine a few microseconds), per request, so the Poisson count of the simulated
	// arrivals does not enter.
	traceCPU := float64(h.cpu + w.cpu)
	created := sum.Classes["importtrace_handler"].Created
	if created < 0.7*requests || created > 1.3*requests {
		t.Errorf("the simulation created %.0f requests, the trace %d", created, requests)
	}
	t.Logf("goroutine CPU per request: simulated %.1f us, trace %.1f us", simCPU/created/1e3, traceCPU/requests/1e3)
	if r := (simCPU / created) / (traceCPU / requests); r < 0.8 || r > 1.25 {
		t.Errorf("simulated goroutine CPU per request %.1f us vs the trace's %.1f us (ratio %.2f, want within 25 %%)",
			simCPU/created/1e3, traceCPU/requests/1e3, r)
	}
	if c := sum.Classes["importtrace_worker"].Created / created; c < 2.9 || c > 3.1 {
		t.Errorf("the simulation created %.2f workers per request, the trace 3", c)
	}
}

func TestBadInput(t *testing.T) {
	if _, err := readTrace(strings.NewReader("hello")); err == nil || !strings.Contains(err.Error(), "not a Go execution trace") {
		t.Errorf("a non-trace gives %v", err)
	}
}

func TestDistYAML(t *testing.T) {
	if got := distYAML([]int64{5000, 5000}); got != "5us" {
		t.Errorf("equal samples: %s", got)
	}
	if got := distYAML([]int64{3000, 1000, 2000}); got != "{dist: empirical, samples: [1us, 2us, 3us]}" {
		t.Errorf("few samples: %s", got)
	}
	var v []int64
	for i := 0; i < 100; i++ {
		if i < 30 {
			v = append(v, 0)
		} else {
			v = append(v, int64(i)*1000)
		}
	}
	got := distYAML(v)
	if !strings.HasPrefix(got, "{dist: empirical, histogram: {edges: [0ns, 0ns, ") || strings.Count(got, ",") > 40 {
		t.Errorf("a point mass at 0 and a spread: %s", got)
	}
	// Counts add up to the samples.
	counts := got[strings.Index(got, "counts: [")+9 : strings.LastIndex(got, "]}}")]
	total := 0
	for _, c := range strings.Split(counts, ", ") {
		var n int
		for _, ch := range c {
			n = n*10 + int(ch-'0')
		}
		total += n
	}
	if total != 100 {
		t.Errorf("histogram counts sum to %d, want 100: %s", total, got)
	}
}

// A wide top bin whose samples crowd its low end (CPU bursts of ~20 us with a few far outliers) is split
// until drawing uniformly inside each bin keeps the samples' mean within 1 %.
func TestDistYAMLKeepsTheMean(t *testing.T) {
	var v []int64
	var total float64
	for i := 0; i < 16000; i++ {
		x := int64(20000 + (i*37)%1000) // 20-21 us
		if i%100 == 0 {
			x = 50000 + int64(i%7)*1000 // 1 % at 50-56 us
		}
		if i == 5000 {
			x = 1870000 // one 1.87 ms outlier
		}
		v = append(v, x)
		total += float64(x)
	}
	got := distYAML(v)
	edges := parseDurs(t, got[strings.Index(got, "edges: [")+8:strings.Index(got, "], counts")])
	counts := parseDurs(t, got[strings.Index(got, "counts: [")+9:strings.LastIndex(got, "]}}")])
	if len(edges) != len(counts)+1 {
		t.Fatalf("%d edges for %d counts: %s", len(edges), len(counts), got)
	}
	var n, mean float64
	for i, c := range counts {
		n += c
		mean += c * (edges[i] + edges[i+1]) / 2
	}
	mean /= n
	if want := total / float64(len(v)); math.Abs(mean-want) > 0.01*want {
		t.Errorf("the histogram's mean %.0f ns, the samples' %.0f ns: %s", mean, want, got)
	}
	if len(counts) > 40 {
		t.Errorf("%d bins: %s", len(counts), got)
	}
}

// parseDurs reads "1.5us, 20us, 3" (durations as distYAML writes them, or plain counts) as numbers (ns).
func parseDurs(t *testing.T, list string) []float64 {
	var out []float64
	for _, f := range strings.Split(list, ", ") {
		unit := 1.0
		for _, u := range []struct {
			s string
			m float64
		}{{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}} {
			if strings.HasSuffix(f, u.s) {
				f, unit = strings.TrimSuffix(f, u.s), u.m
				break
			}
		}
		x, err := strconv.ParseFloat(f, 64)
		if err != nil {
			t.Fatalf("%q: %v", f, err)
		}
		out = append(out, x*unit)
	}
	return out
}
