// pingpong: two goroutines bounce a value over two unbuffered channels N times (main sends on ping and
// receives on pong; the other goroutine the reverse). Prints "<N> <wall seconds> <ns per round trip>".
//
// -stream C (calibration): instead, main sends N values over one channel of capacity C to the other
// goroutine, which receives them; prints ns per item. At GOMAXPROCS=1 the sender fills the buffer, parks,
// the receiver drains it and parks: per item two channel operations plus a park/ready/schedule pair per
// sender and receiver every ~C items, which separates the channel operation's cost from the hop's.
//
// -json: one gmpsim-real-run/1 object (validation/go/realrun): classes pinger (main; latency = the run)
// and ponger (the other goroutine), counters ns_per_op (round trip, or item with -stream).
package main

import (
	"flag"
	"fmt"
	"runtime"
	"time"

	"gmpsim/validation/go/realrun"
)

func main() {
	n := flag.Int("n", 1_000_000, "round trips (items with -stream)")
	procs := flag.Int("procs", 1, "GOMAXPROCS")
	stream := flag.Int("stream", 0, "one-way stream over a channel of this capacity instead of round trips")
	flag.Parse()
	runtime.GOMAXPROCS(*procs)
	var elapsed, pongerLat time.Duration
	if *stream > 0 {
		ch := make(chan int, *stream)
		done := make(chan time.Time)
		start := time.Now()
		go func() {
			for range ch {
			}
			done <- time.Now()
		}()
		for i := 0; i < *n; i++ {
			ch <- i
		}
		close(ch)
		end := <-done
		elapsed = time.Since(start)
		pongerLat = end.Sub(start)
	} else {
		ping, pong := make(chan int), make(chan int)
		done := make(chan time.Time, 1)
		start := time.Now()
		go func() {
			for v := range ping {
				pong <- v + 1
			}
			done <- time.Now()
		}()
		v := 0
		for i := 0; i < *n; i++ {
			ping <- v
			v = <-pong
		}
		elapsed = time.Since(start)
		close(ping)
		pongerLat = (<-done).Sub(start)
	}
	wall := elapsed.Seconds()
	if *realrun.JSON {
		r := realrun.New(elapsed)
		r.Class("pinger", 1, 1, []time.Duration{elapsed})
		r.Class("ponger", 1, 1, []time.Duration{pongerLat})
		r.Counters["ns_per_op"] = wall * 1e9 / float64(*n)
		r.Counters["gomaxprocs"] = *procs
		r.Counters["stream_capacity"] = *stream
		r.Emit()
		return
	}
	fmt.Printf("%d %.6f %.1f\n", *n, wall, wall*1e9/float64(*n))
}
