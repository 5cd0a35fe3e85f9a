// syscalldelay: the delay a blocking syscall imposes on a runnable goroutine at GOMAXPROCS=1. main starts
// `other` (it lands in the P's runnext) and enters a 100 ms nanosleep through syscall.Nanosleep (so
// entersyscall/exitsyscall: the P stays with the blocked M until sysmon retakes it); the delay runs from
// the `go` statement to `other` running. Each of n rounds measures twice: "fresh", right after the previous
// round's syscall (whose exit woke sysmon and reset its back-off; the first round at program start), and
// "late", after `cpu` of CPU-bound spinning without syscalls (sysmon backed off to 10 ms sleeps). The late
// delay depends on where the syscall starts within sysmon's 10 ms period (0-20 ms: a P whose G has run
// 10 ms on one schedtick is retaken at the first look), a phase that the host's jitter randomises.
// Prints "<fresh p50 ns> <late p50 ns> <late p90 ns>" (nearest rank).
//
// -json: one gmpsim-real-run/1 object (validation/go/realrun): classes fresh and late with every delay
// (the scenario's classes of the same names: spawn to exit of a goroutine that runs 1 us), class main
// (latency = the run).
package main

import (
	"flag"
	"fmt"
	"runtime"
	"sort"
	"syscall"
	"time"

	"gmpsim/validation/go/realrun"
)

var sink uint64

func spinFor(d time.Duration) {
	end := time.Now().Add(d) // time.Now is a vDSO call, not a syscall
	x := sink | 1
	for time.Now().Before(end) {
		for i := 0; i < 10000; i++ {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
		}
	}
	sink = x
}

// delay: start a goroutine, block this one in a syscall for block, and return how long the other took to run.
func delay(block time.Duration) time.Duration {
	ran := make(chan time.Time, 1)
	t0 := time.Now()
	go func() { ran <- time.Now() }()
	ts := syscall.NsecToTimespec(block.Nanoseconds())
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR { // SIGURG may interrupt it; sleep the remainder
	}
	return (<-ran).Sub(t0)
}

func main() {
	n := flag.Int("n", 10, "rounds")
	block := flag.Duration("block", 100*time.Millisecond, "syscall duration")
	cpu := flag.Duration("cpu", 100*time.Millisecond, "CPU-bound phase before a late measurement")
	flag.Parse()
	runtime.GOMAXPROCS(1)
	var fresh, late []time.Duration
	start := time.Now()
	for i := 0; i < *n; i++ {
		fresh = append(fresh, delay(*block))
		spinFor(*cpu)
		late = append(late, delay(*block))
	}
	if *realrun.JSON {
		elapsed := time.Since(start)
		r := realrun.New(elapsed)
		r.Class("main", 1, 1, []time.Duration{elapsed})
		r.Class("fresh", int64(len(fresh)), int64(len(fresh)), fresh)
		r.Class("late", int64(len(late)), int64(len(late)), late)
		r.Emit()
		return
	}
	q := func(v []time.Duration, p float64) int64 {
		sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
		return v[int(p*float64(len(v)-1)+0.5)].Nanoseconds()
	}
	fmt.Printf("%d %d %d\n", q(fresh, 0.5), q(late, 0.5), q(late, 0.9))
}
