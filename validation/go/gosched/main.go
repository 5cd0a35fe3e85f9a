// gosched: two goroutines on one P yield to each other K times each with runtime.Gosched.
// Prints "<yields> <wall seconds> <ns per yield>".
package main

import (
	"flag"
	"fmt"
	"runtime"
	"sync"
	"time"
)

func main() {
	k := flag.Int("k", 1_000_000, "yields per goroutine")
	flag.Parse()
	runtime.GOMAXPROCS(1)
	var wg sync.WaitGroup
	wg.Add(2)
	start := time.Now()
	for g := 0; g < 2; g++ {
		go func() {
			for i := 0; i < *k; i++ {
				runtime.Gosched()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	wall := time.Since(start).Seconds()
	fmt.Printf("%d %.6f %.1f\n", 2**k, wall, wall*1e9/float64(2**k))
}
