// gosched: two goroutines on one P yield to each other K times each with runtime.Gosched.
// Prints "<yields> <wall seconds> <ns per yield>". -json: one gmpsim-real-run/1 object
// (validation/go/realrun): class yielder with each goroutine's latency (start of the run to its end).
package main

import (
	"flag"
	"fmt"
	"runtime"
	"sync"
	"time"

	"gmpsim/validation/go/realrun"
)

func main() {
	k := flag.Int("k", 1_000_000, "yields per goroutine")
	flag.Parse()
	runtime.GOMAXPROCS(1)
	var wg sync.WaitGroup
	wg.Add(2)
	var ends [2]time.Time
	start := time.Now()
	for g := 0; g < 2; g++ {
		g := g
		go func() {
			for i := 0; i < *k; i++ {
				runtime.Gosched()
			}
			ends[g] = time.Now()
			wg.Done()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	wall := elapsed.Seconds()
	if *realrun.JSON {
		r := realrun.New(elapsed)
		r.Class("yielder", 2, 2, []time.Duration{ends[0].Sub(start), ends[1].Sub(start)})
		r.Counters["yields"] = 2 * *k
		r.Counters["ns_per_yield"] = wall * 1e9 / float64(2**k)
		r.Emit()
		return
	}
	fmt.Printf("%d %.6f %.1f\n", 2**k, wall, wall*1e9/float64(2**k))
}
