// memlimit: a Go service whose live heap is larger than its memory cgroup's limit, with and without swap.
//
// The probe (the parent, outside the limit) optionally creates a swap file (-swap SIZE: written out at
// -swapfile, mkswap, swapon; swapoff and removed afterwards), creates a memory cgroup under its own
// (validation/go/memprobe: v2 memory.max and memory.swap.max, or v1 memory.limit_in_bytes and, with swap
// accounting, memory.memsw.limit_in_bytes = limit + swap) with -limit, and starts itself again as the
// child. The child moves itself into the group before it allocates, builds a -live heap of -chunk
// pointer-free objects (each page written once; GOGC off), then runs the open loop of
// validation/go/openloop (-rate Poisson arrivals for -duration) where each handler first writes one byte
// in -touch random pages of the live heap (span "touch": a page swapped out comes back by a major fault)
// and then spins -work (span "work"). Without swap (-swap 0 sets the group's swap limit to 0, so host
// swap cannot help either) the live heap cannot fit: the kernel's memcg OOM killer kills the child with
// SIGKILL and the parent reports outcome "oom_killed". The settings are journaled and restored at exit,
// on signals and by the next run.
//
// -high SIZE also sets memory.high (cgroup v2; on v1, which has none, the probe stops with "refused").
//
// -json: one gmpsim-real-run/1 object: class request (scheduled arrival to completion), spans touch and
// work; counters major_faults, minor_faults (the child's /proc/self/stat over the loop),
// major_faults_build (during the heap's build), touch_ns_per_major_fault (the touches' total time over
// the major faults: about one swap-in's wait), rss_bytes (VmRSS after the loop), swap_bytes (VmSwap),
// pswpin/pswpout (system-wide /proc/vmstat pages over the loop), cgroup_* (the group's oom_kill,
// failcnt, peak usage and swap: memprobe.Counters), limit_bytes, swap_file_bytes; "outcome": completed or
// oom_killed. Without -json: "<outcome> <p50 ms> <p99 ms> <major faults> <swap MiB>".
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"
	"time"

	"gmpsim/validation/go/memprobe"
	"gmpsim/validation/go/openloop"
	"gmpsim/validation/go/realrun"
)

const envGroup = "GMPSIM_MEMLIMIT_GROUP"

var (
	limit    = flag.String("limit", "256MiB", "memory limit of the cgroup")
	high     = flag.String("high", "", "memory.high of the cgroup (v2 only: cgroup v1 has none, and the probe refuses to run without it)")
	swap     = flag.String("swap", "0", "swap file to create and enable for the run (0: none, and the group may not swap)")
	swapfile = flag.String("swapfile", "/var/tmp/gmpsim-memlimit.swap", "where the swap file goes")
	live     = flag.String("live", "384MiB", "live heap")
	chunk    = flag.String("chunk", "64KiB", "size of the live heap's objects")
	touch    = flag.Int("touch", 16, "random pages of the live heap each request writes")
	rate     = flag.Float64("rate", 200, "requests per second (Poisson)")
	duration = flag.Duration("duration", 10*time.Second, "arrival window")
	work     = flag.Duration("work", 200*time.Microsecond, "CPU work per request")
	seed     = flag.Int64("seed", 1, "arrival seed")
)

func main() {
	flag.Parse()
	if dir := os.Getenv(envGroup); dir != "" {
		child(dir)
		return
	}
	memprobe.Recover()
	memprobe.OnSignals()
	fail := func(what string, err error) {
		fmt.Fprintf(os.Stderr, "memlimit: %s: %v\n", what, err)
		memprobe.RestoreAll()
		os.Exit(2)
	}
	swapBytes := memprobe.ParseSize(*swap)
	if swapBytes > 0 {
		if err := memprobe.SwapOn(*swapfile, swapBytes); err != nil {
			fail("swap file", err)
		}
	}
	l := memprobe.MemLimit{Max: memprobe.ParseSize(*limit), High: -1, Swap: -1}
	if swapBytes == 0 {
		l.Swap = 0
	}
	if *high != "" {
		l.High = memprobe.ParseSize(*high)
	}
	g, err := memprobe.NewMemGroup("memlimit", l)
	if err != nil {
		fail("memory cgroup", err)
	}
	if *high != "" && len(g.Refused) > 0 {
		g.Remove()
		fail("memory cgroup", fmt.Errorf("refused: %v", g.Refused))
	}
	exe, _ := os.Executable()
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), envGroup+"="+g.Dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	t0 := time.Now()
	waitErr := cmd.Run()
	el := time.Since(t0)
	cg := g.Counters()
	var errs []error
	if err := g.Remove(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, memprobe.RestoreAll()...)
	for _, err := range errs {
		fmt.Fprintln(os.Stderr, "memlimit: restore:", err)
	}
	var r map[string]any
	outcome := "completed"
	if waitErr != nil || json.Unmarshal(out.Bytes(), &r) != nil {
		var ee *exec.ExitError
		sig := errors.As(waitErr, &ee) && ee.Sys().(syscall.WaitStatus).Signaled() && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL
		if !sig {
			fmt.Fprintf(os.Stderr, "memlimit: the child failed: %v\n%s", waitErr, out.String())
			os.Exit(1)
		}
		outcome = "oom_killed"
		if cg["cgroup_oom_kill"] == 0 {
			outcome = "killed" // SIGKILL from something else than the group's OOM killer
		}
		r = map[string]any{"makespan_ns": el.Nanoseconds(), "window_ns": el.Nanoseconds(), "wall_ns": el.Nanoseconds(),
			"classes": map[string]any{}, "spans": map[string]any{}, "counters": map[string]any{},
			"notes": []any{"the child was killed with SIGKILL after " + el.Round(time.Millisecond).String()}}
	}
	r["outcome"] = outcome
	c := r["counters"].(map[string]any)
	for k, v := range cg {
		c[k] = v
	}
	c["cgroup"] = g.Interface
	c["limit_bytes"] = l.Max
	c["swap_file_bytes"] = swapBytes
	c["oom_killed"] = map[bool]int{false: 0, true: 1}[outcome == "oom_killed"]
	for _, ref := range g.Refused {
		r["notes"] = append(r["notes"].([]any), "refused: "+ref)
	}
	if *realrun.JSON {
		b, _ := json.Marshal(r)
		fmt.Println(string(b))
		return
	}
	p := func(q string) float64 { v, _ := c[q].(float64); return v / 1e6 }
	fmt.Printf("%s %.2f %.2f %v %.1f\n", outcome, p("latency_p50_ns"), p("latency_p99_ns"), c["major_faults"],
		float64(cg["cgroup_swap_bytes"])/(1<<20))
}

func child(dir string) {
	debug.SetGCPercent(-1)
	if err := os.WriteFile(dir+"/cgroup.procs", []byte(strconv.Itoa(os.Getpid())), 0); err != nil {
		fmt.Fprintln(os.Stderr, "memlimit: joining the group:", err)
		os.Exit(2)
	}
	size, total := memprobe.ParseSize(*chunk), memprobe.ParseSize(*live)
	heap := make([][]byte, 0, total/size)
	_, maj0 := memprobe.Faults()
	for n := int64(0); n < total; n += size {
		b := make([]byte, size)
		for j := 0; j < len(b); j += 4096 {
			b[j] = 1
		}
		heap = append(heap, b)
	}
	_, maj1 := memprobe.Faults()
	pages := int(size / 4096)
	var mu sync.Mutex
	rng := rand.New(rand.NewSource(*seed + 1))
	pre := func() {
		idx := make([]int, *touch)
		mu.Lock()
		for i := range idx {
			idx[i] = rng.Intn(len(heap) * pages)
		}
		mu.Unlock()
		for _, i := range idx {
			heap[i/pages][(i%pages)*4096]++
		}
	}
	cfg := openloop.Config{Rate: *rate, Duration: *duration, Work: *work, Drain: 20 * time.Second, Seed: *seed, Pre: pre}
	cfg.Iters = openloop.ItersFor(cfg.Work)
	min2, maj2 := memprobe.Faults()
	in0, out0 := memprobe.Vmstat("pswpin"), memprobe.Vmstat("pswpout")
	res := openloop.Run(cfg)
	min3, maj3 := memprobe.Faults()
	r := realrun.New(res.Makespan)
	res.Report(r, cfg)
	r.Span("touch", res.Pre)
	r.Counters["major_faults"] = maj3 - maj2
	var touchNs int64
	for _, d := range res.Pre {
		touchNs += d.Nanoseconds()
	}
	if maj3 > maj2 {
		// The touches' time per major fault: a touch of a resident page costs well under a microsecond,
		// so this is about the wait of one swap-in (vm.swap.read_latency).
		r.Counters["touch_ns_per_major_fault"] = touchNs / (maj3 - maj2)
	}
	r.Counters["minor_faults"] = min3 - min2
	r.Counters["major_faults_build"] = maj1 - maj0
	r.Counters["rss_bytes"] = memprobe.KB("/proc/self/status", "VmRSS")
	r.Counters["swap_bytes"] = memprobe.KB("/proc/self/status", "VmSwap")
	r.Counters["pswpin"] = memprobe.Vmstat("pswpin") - in0
	r.Counters["pswpout"] = memprobe.Vmstat("pswpout") - out0
	r.Counters["live_bytes"] = total
	r.Counters["latency_p50_ns"] = openloop.Quantile(res.Latency, 0.5).Nanoseconds()
	r.Counters["latency_p99_ns"] = openloop.Quantile(res.Latency, 0.99).Nanoseconds()
	r.Emit()
}
