// spawn: the classic million-goroutine program. main starts N goroutines in a loop; each does
// `_ = id * 2` and wg.Done(); main waits. Prints "<N> <wall seconds> <ns per goroutine>".
package main

import (
	"flag"
	"fmt"
	"runtime"
	"sync"
	"time"
)

var sink int

func main() {
	n := flag.Int("n", 1_000_000, "goroutines")
	procs := flag.Int("procs", 4, "GOMAXPROCS")
	flag.Parse()
	runtime.GOMAXPROCS(*procs)
	var wg sync.WaitGroup
	wg.Add(*n)
	start := time.Now()
	for i := 0; i < *n; i++ {
		go func(id int) {
			_ = id * 2
			wg.Done()
		}(i)
	}
	wg.Wait()
	wall := time.Since(start).Seconds()
	fmt.Printf("%d %.6f %.1f\n", *n, wall, wall*1e9/float64(*n))
}
