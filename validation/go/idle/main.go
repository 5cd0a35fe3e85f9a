// idle: N goroutines parked on a channel. Prints "<N> <stack bytes/G> <heap bytes/G> <total bytes/G>"
// from runtime.MemStats (StackInuse and HeapInuse growth: runtime/mstats.go, go1.26).
// -json: one gmpsim-real-run/1 object (validation/go/realrun): makespan = the spawning phase; classes main
// and parked (counts; the parked ones are released and waited for before the object is printed);
// counters bytes_per_parked_goroutine (= the simulator's counters.memory.bytes_per_parked_goroutine),
// stack_bytes_per_g, heap_bytes_per_g.
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
	n := flag.Int("n", 100_000, "goroutines")
	flag.Parse()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	block := make(chan struct{})
	started := make(chan struct{}, 1024)
	var exited sync.WaitGroup
	exited.Add(*n)
	start := time.Now()
	for i := 0; i < *n; i++ {
		go func() {
			started <- struct{}{}
			<-block
			exited.Done()
		}()
		<-started
	}
	elapsed := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	stack := float64(after.StackInuse-before.StackInuse) / float64(*n)
	heap := float64(int64(after.HeapInuse)-int64(before.HeapInuse)) / float64(*n)
	if *realrun.JSON {
		close(block)
		exited.Wait()
		r := realrun.New(elapsed)
		r.Class("main", 1, 1, []time.Duration{elapsed})
		r.Class("parked", int64(*n), int64(*n), nil)
		r.Counters["bytes_per_parked_goroutine"] = stack + heap
		r.Counters["stack_bytes_per_g"] = stack
		r.Counters["heap_bytes_per_g"] = heap
		r.Emit()
		return
	}
	fmt.Printf("%d %.0f %.0f %.0f\n", *n, stack, heap, stack+heap)
	close(block)
}
