// spawn: the classic million-goroutine program. main starts N goroutines in a loop; each does
// `_ = id * 2` and wg.Done(); main waits. Prints "<N> <wall seconds> <ns per goroutine>".
//
// -batch B (calibration): B goroutines at a time, each batch waited for before the next, so that a batch's
// creation loop is not interrupted by its goroutines (at GOMAXPROCS=1, with B well under sysmon's 10 ms
// slice); the creation loops' total time is the counter create_ns (newproc alone). -json: one
// gmpsim-real-run/1 object (validation/go/realrun): classes main (latency = the whole run) and worker
// (counts only: timing each goroutine would double its cost), counters create_ns, ns_per_goroutine.
package main

import (
	"flag"
	"fmt"
	"runtime"
	"sync"
	"time"

	"gmpsim/validation/go/realrun"
)

var sink int

// spawnBatch starts goroutines from..from+k-1, each doing `_ = id * 2; wg.Done()`, waits for them, and
// returns the time the go statements took.
func spawnBatch(wg *sync.WaitGroup, from, k int) time.Duration {
	wg.Add(k)
	c0 := time.Now()
	for i := from; i < from+k; i++ {
		go func(id int) {
			_ = id * 2
			wg.Done()
		}(i)
	}
	create := time.Since(c0)
	wg.Wait()
	return create
}

func main() {
	n := flag.Int("n", 1_000_000, "goroutines")
	procs := flag.Int("procs", 4, "GOMAXPROCS")
	batch := flag.Int("batch", 0, "goroutines per batch (0: all at once)")
	warm := flag.Bool("warm", false, "run one untimed batch first (allocates the g structs and stacks the timed batches reuse)")
	flag.Parse()
	runtime.GOMAXPROCS(*procs)
	b := *batch
	if b <= 0 || b > *n {
		b = *n
	}
	var wg sync.WaitGroup
	if *warm {
		spawnBatch(&wg, 0, b)
	}
	var create time.Duration
	start := time.Now()
	for done := 0; done < *n; {
		k := b
		if *n-done < k {
			k = *n - done
		}
		create += spawnBatch(&wg, done, k)
		done += k
	}
	elapsed := time.Since(start)
	wall := elapsed.Seconds()
	if *realrun.JSON {
		r := realrun.New(elapsed)
		r.Class("main", 1, 1, []time.Duration{elapsed})
		r.Class("worker", int64(*n), int64(*n), nil)
		r.Counters["create_ns"] = create.Nanoseconds()
		r.Counters["ns_per_goroutine"] = wall * 1e9 / float64(*n)
		r.Counters["gomaxprocs"] = *procs
		r.Counters["batch"] = b
		r.Emit()
		return
	}
	fmt.Printf("%d %.6f %.1f\n", *n, wall, wall*1e9/float64(*n))
}
