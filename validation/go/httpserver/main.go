// httpserver: a small HTTP-style server over loopback, driven by a bounded open-loop load generator in a
// child process (this binary with -loadgen), for `gmpsim import-trace`'s validation: trace the server
// (-trace), import the trace into a scenario, simulate it, and compare with this run's latencies and CPU.
//
// The server is net/http's shape without its extra goroutines: a listener goroutine (serve) accepts and
// starts a handler goroutine per connection with `go`; the handler reads an HTTP/1.0 request, spins
// -work of CPU (the calibrated xorshift loop of validation/go/openloop), holds a shared mutex for -lock of
// it (a cache update), writes the response and closes. One request per connection, as HTTP/1.0 without
// keep-alive, so each request is a goroutine.
//
// The generator sends Poisson arrivals at -rate for -duration, each on a new connection, at most -inflight
// at once (an arrival over the bound is dropped and counted): bounded, so an overloaded server cannot
// make it pile up connections without end.
//
// -json: one gmpsim-real-run/1 object: class handle (latency: the `go` statement to the handler's end,
// as the simulator's arrival to exit), counters cpu_ns (the server process's user+system CPU over the
// run), gomaxprocs, num_cpu, requests, dropped.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"gmpsim/validation/go/openloop"
	"gmpsim/validation/go/realrun"
)

var (
	rate     = flag.Float64("rate", 1000, "requests per second (Poisson)")
	duration = flag.Duration("duration", 2*time.Second, "length of the arrival window")
	work     = flag.Duration("work", 200*time.Microsecond, "CPU per request")
	lockFor  = flag.Duration("lock", 10*time.Microsecond, "CPU per request inside the shared mutex")
	procs    = flag.Int("procs", 2, "GOMAXPROCS of the server")
	inflight = flag.Int("inflight", 256, "the generator's bound on requests in flight")
	seed     = flag.Int64("seed", 1, "the generator's seed")
	loadgen  = flag.String("loadgen", "", "run as the load generator against this address (internal)")
)

var (
	mu        sync.Mutex
	latencies []time.Duration
	cache     uint64
)

func handle(c net.Conn, arrived time.Time, iters, lockIters int) {
	r := bufio.NewReader(c)
	for { // the request: lines up to the empty one
		line, err := r.ReadString('\n')
		if err != nil || line == "\r\n" {
			break
		}
	}
	openloop.Spin(iters)
	mu.Lock()
	openloop.Spin(lockIters)
	cache++
	mu.Unlock()
	io.WriteString(c, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
	c.Close()
	d := time.Since(arrived)
	mu.Lock()
	latencies = append(latencies, d)
	mu.Unlock()
}

func serve(ln net.Listener, iters, lockIters int) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go handle(c, time.Now(), iters, lockIters)
	}
}

// generate is the load generator's process: Poisson arrivals, one connection each, bounded in flight.
func generate(addr string) {
	rng := rand.New(rand.NewSource(*seed))
	var wg sync.WaitGroup
	var live, sent, dropped int64
	start := time.Now()
	due := start
	for {
		due = due.Add(time.Duration(rng.ExpFloat64() / *rate * 1e9))
		if due.Sub(start) >= *duration {
			break
		}
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		if atomic.LoadInt64(&live) >= int64(*inflight) {
			dropped++
			continue
		}
		atomic.AddInt64(&live, 1)
		sent++
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer atomic.AddInt64(&live, -1)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			io.WriteString(c, "GET / HTTP/1.0\r\nHost: x\r\n\r\n")
			io.Copy(io.Discard, c)
			c.Close()
		}()
	}
	wg.Wait()
	fmt.Printf("%d %d\n", sent, dropped)
}

func main() {
	flag.Parse()
	if *loadgen != "" {
		generate(*loadgen)
		return
	}
	runtime.GOMAXPROCS(*procs)
	iters, lockIters := openloop.ItersFor(*work-*lockFor), openloop.ItersFor(*lockFor)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	gen := exec.Command(os.Args[0], "-loadgen", ln.Addr().String(), "-rate", fmt.Sprint(*rate),
		"-duration", duration.String(), "-inflight", fmt.Sprint(*inflight), "-seed", fmt.Sprint(*seed))
	gen.Stderr = os.Stderr
	out, err := gen.StdoutPipe()
	if err != nil {
		panic(err)
	}
	stop := realrun.StartTrace()
	cpu0, start := realrun.CPUTime(), time.Now()
	go serve(ln, iters, lockIters)
	if err := gen.Start(); err != nil {
		panic(err)
	}
	var sent, dropped int64
	fmt.Fscan(out, &sent, &dropped)
	gen.Wait()
	makespan, cpu := time.Since(start), realrun.CPUTime()-cpu0
	ln.Close()
	stop()
	mu.Lock()
	lat := append([]time.Duration(nil), latencies...)
	mu.Unlock()
	if !*realrun.JSON {
		fmt.Printf("%d requests (%d dropped) in %v, CPU %v, p50 %v p99 %v\n", len(lat), dropped, makespan, cpu,
			openloop.Quantile(lat, 0.5), openloop.Quantile(lat, 0.99))
		return
	}
	r := realrun.New(makespan)
	r.WindowNs = duration.Nanoseconds()
	r.Seed = *seed
	r.Class("handle", sent, int64(len(lat)), lat)
	r.Counters["cpu_ns"] = cpu.Nanoseconds()
	r.Counters["gomaxprocs"] = runtime.GOMAXPROCS(0)
	r.Counters["num_cpu"] = runtime.NumCPU()
	r.Counters["requests"] = sent
	r.Counters["dropped"] = dropped
	if dropped > 0 {
		r.Note(fmt.Sprintf("the generator dropped %d arrivals over its bound of %d in flight", dropped, *inflight))
	}
	r.Emit()
}
