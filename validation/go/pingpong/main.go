// pingpong: two goroutines bounce a value over two unbuffered channels N times (main sends on ping and
// receives on pong; the other goroutine the reverse). Prints "<N> <wall seconds> <ns per round trip>".
package main

import (
	"flag"
	"fmt"
	"runtime"
	"time"
)

func main() {
	n := flag.Int("n", 1_000_000, "round trips")
	procs := flag.Int("procs", 1, "GOMAXPROCS")
	flag.Parse()
	runtime.GOMAXPROCS(*procs)
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
	}()
	start := time.Now()
	v := 0
	for i := 0; i < *n; i++ {
		ping <- v
		v = <-pong
	}
	wall := time.Since(start).Seconds()
	close(ping)
	fmt.Printf("%d %.6f %.1f\n", *n, wall, wall*1e9/float64(*n))
}
