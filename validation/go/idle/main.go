// idle: N goroutines parked on a channel. Prints "<N> <stack bytes/G> <heap bytes/G> <total bytes/G>"
// from runtime.MemStats (StackInuse and HeapInuse growth), as go-scheduler-spec.md §19 measured.
package main

import (
	"flag"
	"fmt"
	"runtime"
)

func main() {
	n := flag.Int("n", 100_000, "goroutines")
	flag.Parse()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	block := make(chan struct{})
	started := make(chan struct{}, 1024)
	for i := 0; i < *n; i++ {
		go func() {
			started <- struct{}{}
			<-block
		}()
		<-started
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	stack := float64(after.StackInuse-before.StackInuse) / float64(*n)
	heap := float64(int64(after.HeapInuse)-int64(before.HeapInuse)) / float64(*n)
	fmt.Printf("%d %.0f %.0f %.0f\n", *n, stack, heap, stack+heap)
	close(block)
}
