// syscallthreads: n goroutines each block in a syscall (nanosleep of `block`, through entersyscall) at
// GOMAXPROCS=procs; each blocked M keeps its thread, and Ps retaken by sysmon need new ones. main samples
// Threads: in /proc/self/status every ms until all return. Prints "<peak threads from /proc>
// <threadcreate profile count (threads ever created; Go never destroys idle Ms)>".
//
// -json: one gmpsim-real-run/1 object (validation/go/realrun): counters threads_peak (the simulator's
// counters.threads_peak), threads, threads_created; class blocker with each goroutine's latency (its `go`
// statement to the end of its syscall), class main (latency = the run).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"gmpsim/validation/go/realrun"
)

func threads() int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if line := s.Text(); strings.HasPrefix(line, "Threads:") {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "Threads:")))
			return n
		}
	}
	return 0
}

func main() {
	n := flag.Int("n", 200, "goroutines in blocking syscalls")
	block := flag.Duration("block", 100*time.Millisecond, "syscall duration")
	procs := flag.Int("procs", 2, "GOMAXPROCS")
	flag.Parse()
	runtime.GOMAXPROCS(*procs)
	var wg sync.WaitGroup
	wg.Add(*n)
	lat := make([]time.Duration, *n)
	start := time.Now()
	for i := 0; i < *n; i++ {
		spawned := time.Now()
		i := i
		go func() {
			defer wg.Done()
			ts := syscall.NsecToTimespec(block.Nanoseconds())
			for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
			}
			lat[i] = time.Since(spawned)
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	peak := threads()
	for {
		select {
		case <-done:
			if *realrun.JSON {
				elapsed := time.Since(start)
				r := realrun.New(elapsed)
				r.Class("main", 1, 1, []time.Duration{elapsed})
				r.Class("blocker", int64(*n), int64(*n), lat)
				r.Counters["threads_peak"] = peak
				r.Counters["gomaxprocs"] = *procs
				r.Emit()
				return
			}
			fmt.Printf("%d %d\n", peak, pprof.Lookup("threadcreate").Count())
			return
		default:
		}
		if t := threads(); t > peak {
			peak = t
		}
		time.Sleep(time.Millisecond)
	}
}
