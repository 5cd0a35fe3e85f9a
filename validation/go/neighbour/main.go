// neighbour: a Go program sharing the CPUs with a busy neighbour process. The neighbour is this program
// again in -spin mode: a separate process whose -neighbours goroutines spin without calls at GOMAXPROCS =
// -neighbours, so that many threads stay runnable for the whole run (sysmon's 10 ms preemptions send a
// spinner through the run queue and back to a thread; its CPU time stays the spinners'). It stays in the
// probe's session, so with sched_autogroup_enabled both are in the same autogroup and compete as threads
// (Documentation/admin-guide/sysctl/kernel.rst, sched_autogroup_enabled). -neighbour-cpu pins the
// neighbour's threads (sched_setaffinity on every thread, and new threads inherit it); -neighbour-nice
// sets their nice (setpriority per thread). The probe starts measuring once every spinner runs.
//
// -mode batch: main starts -tasks goroutines at once, each spinning -work of CPU (validation/go/openloop's
// calibrated spin, calibrated before the neighbour starts), and waits: the makespan. -mode open: the
// quota probe's open loop (Poisson arrivals at -rate for -duration, -work per request). Prints "<makespan
// ns> <latency p50 ns> <latency p99 ns> <neighbour CPU share>" (latency: a task's `go` to its end, or a
// request's scheduled arrival to completion; the share: neighbour CPU time / makespan).
//
// -json: one gmpsim-real-run/1 object (validation/go/realrun). batch: class main (latency = the
// makespan), class task (spawn to end), span work (each spin); open: class request and span work as the
// quota probe. Counters gomaxprocs, neighbours, neighbour_cpu_ns (its threads' on-CPU time over the
// measured phase, /proc/PID/task/*/schedstat), cpu_ns (this process's), and in batch mode ns_per_task.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"gmpsim/validation/go/openloop"
	"gmpsim/validation/go/realrun"
)

var counters [64 * 8]uint64 // one cache line per spinner

func spinner(i int) {
	c := &counters[i*8]
	for { // no calls: only sysmon's preemption signal stops it
		*c++
	}
}

func parseCPUs(s string) ([]int, error) {
	var cpus []int
	for _, f := range strings.Split(s, ",") {
		if f == "" {
			continue
		}
		c, err := strconv.Atoi(f)
		if err != nil || c < 0 || c >= 1024 {
			return nil, fmt.Errorf("-neighbour-cpu %q: a comma-separated list of CPU numbers", s)
		}
		cpus = append(cpus, c)
	}
	return cpus, nil
}

// threads applies the affinity (when cpus is not empty) and the nice value to every thread of this process.
func threads(cpus []int, nice int) error {
	var mask [16]uint64 // 1024 CPUs, as glibc's cpu_set_t
	for _, c := range cpus {
		mask[c/64] |= 1 << (uint(c) % 64)
	}
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	for _, e := range ents {
		tid, _ := strconv.Atoi(e.Name())
		if len(cpus) > 0 {
			if _, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, uintptr(tid), unsafe.Sizeof(mask),
				uintptr(unsafe.Pointer(&mask))); errno != 0 {
				return fmt.Errorf("sched_setaffinity: %v", errno)
			}
		}
		if nice != 0 {
			if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, nice); err != nil {
				return fmt.Errorf("setpriority: %v", err)
			}
		}
	}
	return nil
}

// spin: the neighbour. Pins and renices every thread (twice: a thread created meanwhile inherits from a
// thread set the first time), starts the spinners, then says "ready" on stdout and spins until killed.
func spin(n int, cpus []int, nice int) {
	runtime.GOMAXPROCS(n)
	if err := threads(cpus, nice); err != nil {
		fmt.Fprintln(os.Stderr, "neighbour -spin:", err)
		os.Exit(2)
	}
	var started sync.WaitGroup
	started.Add(n)
	for i := 0; i < n; i++ {
		go func(i int) { started.Done(); spinner(i) }(i)
	}
	started.Wait()
	if err := threads(cpus, nice); err != nil {
		fmt.Fprintln(os.Stderr, "neighbour -spin:", err)
		os.Exit(2)
	}
	fmt.Println("ready")
	select {}
}

// onCPU: the process's threads' time on a CPU (first field of /proc/PID/task/*/schedstat, ns).
func onCPU(pid int) time.Duration {
	var sum int64
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if fs := strings.Fields(string(b)); len(fs) > 0 {
			v, _ := strconv.ParseInt(fs[0], 10, 64)
			sum += v
		}
	}
	return time.Duration(sum)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	procs := flag.Int("procs", 2, "GOMAXPROCS")
	mode := flag.String("mode", "batch", "batch (-tasks goroutines at once: makespan) or open (Poisson arrivals)")
	tasks := flag.Int("tasks", 2000, "batch: goroutines")
	work := flag.Duration("work", time.Millisecond, "CPU work per task or request")
	rate := flag.Float64("rate", 600, "open: requests per second (Poisson)")
	duration := flag.Duration("duration", 10*time.Second, "open: arrival window")
	drain := flag.Duration("drain", 10*time.Second, "open: wait at most this long for requests in flight after the window")
	seed := flag.Int64("seed", 1, "open: arrival seed")
	neighbours := flag.Int("neighbours", 1, "threads the neighbour process spins on (0: no neighbour)")
	ncpu := flag.String("neighbour-cpu", "", "CPUs to pin the neighbour's threads to, e.g. 0 or 0,1 (empty: not pinned)")
	nnice := flag.Int("neighbour-nice", 0, "nice of the neighbour's threads")
	spinN := flag.Int("spin", 0, "run as the neighbour: spin on this many threads until killed")
	flag.Parse()
	cpus, err := parseCPUs(*ncpu)
	if err != nil {
		fmt.Fprintln(os.Stderr, "neighbour:", err)
		os.Exit(2)
	}
	if *spinN > 0 {
		spin(*spinN, cpus, *nnice)
	}
	if *mode != "batch" && *mode != "open" {
		fmt.Fprintln(os.Stderr, "neighbour: -mode is batch or open")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(*procs)
	iters := openloop.ItersFor(*work) // before the neighbour takes CPU time

	var nb *exec.Cmd
	if *neighbours > 0 {
		exe, err := os.Executable()
		if err == nil {
			nb = exec.Command(exe, "-spin", strconv.Itoa(*neighbours), "-neighbour-cpu", *ncpu,
				"-neighbour-nice", strconv.Itoa(*nnice))
			nb.Stderr = os.Stderr
			var out io.ReadCloser
			if out, err = nb.StdoutPipe(); err == nil {
				if err = nb.Start(); err == nil {
					var line string
					if line, err = bufio.NewReader(out).ReadString('\n'); err == nil && line != "ready\n" {
						err = fmt.Errorf("the neighbour said %q", line)
					}
				}
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "neighbour: starting the neighbour process:", err)
			if nb != nil && nb.Process != nil {
				nb.Process.Kill()
			}
			os.Exit(2)
		}
	}
	nbCPU0 := time.Duration(0)
	if nb != nil {
		nbCPU0 = onCPU(nb.Process.Pid)
	}

	var r *realrun.Run
	var lat []time.Duration
	var makespan time.Duration
	if *mode == "open" {
		c := openloop.Config{Rate: *rate, Duration: *duration, Work: *work, Drain: *drain, Seed: *seed, Iters: iters}
		res := openloop.Run(c)
		makespan, lat = res.Makespan, res.Latency
		r = realrun.New(makespan)
		res.Report(r, c)
	} else {
		var wg sync.WaitGroup
		var mu sync.Mutex
		spins := make([]time.Duration, 0, *tasks)
		lat = make([]time.Duration, 0, *tasks)
		cpu0 := cpuTime()
		start := time.Now()
		wg.Add(*tasks)
		for i := 0; i < *tasks; i++ {
			go func(spawned time.Time) {
				t0 := time.Now()
				openloop.Spin(iters)
				t1 := time.Now()
				mu.Lock()
				lat = append(lat, t1.Sub(spawned))
				spins = append(spins, t1.Sub(t0))
				mu.Unlock()
				wg.Done()
			}(time.Now())
		}
		wg.Wait()
		makespan = time.Since(start)
		r = realrun.New(makespan)
		r.Class("main", 1, 1, []time.Duration{makespan})
		r.Class("task", int64(*tasks), int64(*tasks), lat)
		r.Span("work", spins)
		r.Counters["ns_per_task"] = float64(makespan.Nanoseconds()) / float64(*tasks)
		r.Counters["cpu_ns"] = (cpuTime() - cpu0).Nanoseconds()
		r.Counters["gomaxprocs"] = runtime.GOMAXPROCS(0)
		r.Counters["num_cpu"] = runtime.NumCPU()
		r.Counters["go_version"] = runtime.Version()
		r.Counters["work_ns"] = work.Nanoseconds()
	}
	var nbCPU time.Duration
	if nb != nil {
		nbCPU = onCPU(nb.Process.Pid) - nbCPU0
		nb.Process.Kill()
		nb.Wait()
	}
	if *realrun.JSON {
		r.Counters["neighbours"] = *neighbours
		r.Counters["neighbour_cpu"] = *ncpu
		r.Counters["neighbour_nice"] = *nnice
		r.Counters["neighbour_cpu_ns"] = nbCPU.Nanoseconds()
		r.Emit()
		return
	}
	fmt.Printf("%d %d %d %.3f\n", makespan.Nanoseconds(), openloop.Quantile(lat, 0.5).Nanoseconds(),
		openloop.Quantile(lat, 0.99).Nanoseconds(), nbCPU.Seconds()/makespan.Seconds())
}
