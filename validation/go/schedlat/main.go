// schedlat: the scheduler latency of goroutines against how many there are (claim 14 of
// notebooks/claims.ipynb). -n goroutines each loop { time.Sleep(-period); spin -work } for -duration, their
// first sleep drawn uniformly over the period so that they do not wake together; -parked more goroutines
// sit blocked on a channel the whole time. The scheduler latency is runtime/metrics'
// /sched/latencies:seconds ("distribution of the time goroutines have spent in the scheduler in a runnable
// state before actually running": src/runtime/metrics/description.go), the histogram's growth over the
// measured window. Prints "<n> <parked> <samples> <p50 ns> <p99 ns> <mean ns> <cpu load>", or with -json
// one object with those fields.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"time"
)

const schedLatencies = "/sched/latencies:seconds"

func histogram() *metrics.Float64Histogram {
	s := []metrics.Sample{{Name: schedLatencies}}
	metrics.Read(s)
	return s[0].Value.Float64Histogram()
}

// quantile of the counts' growth between a and b (same buckets), at the upper edge of the bucket that
// holds it (the runtime's buckets are a few percent wide).
func quantile(a, b *metrics.Float64Histogram, q float64) (float64, uint64) {
	var total uint64
	for i := range b.Counts {
		total += b.Counts[i] - a.Counts[i]
	}
	if total == 0 {
		return 0, 0
	}
	want := uint64(q * float64(total))
	var seen uint64
	for i := range b.Counts {
		seen += b.Counts[i] - a.Counts[i]
		if seen > want {
			return b.Buckets[i+1], total
		}
	}
	return b.Buckets[len(b.Buckets)-1], total
}

func mean(a, b *metrics.Float64Histogram) float64 {
	var sum, n float64
	for i := range b.Counts {
		c := float64(b.Counts[i] - a.Counts[i])
		if c == 0 {
			continue
		}
		lo, hi := b.Buckets[i], b.Buckets[i+1]
		if lo < 0 || hi > 1e9 { // the open first/last buckets
			lo, hi = 0, lo
		}
		sum += c * (lo + hi) / 2
		n += c
	}
	if n == 0 {
		return 0
	}
	return sum / n
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var sink uint64

func spin(d time.Duration) {
	t0 := time.Now()
	x := uint64(88172645463325252)
	for time.Since(t0) < d {
		for i := 0; i < 64; i++ { // xorshift between clock reads
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
		}
	}
	sink += x
}

func main() {
	n := flag.Int("n", 10000, "goroutines that sleep and spin")
	parked := flag.Int("parked", 0, "goroutines parked on a channel throughout")
	period := flag.Duration("period", 100*time.Millisecond, "each goroutine's sleep between spins")
	work := flag.Duration("work", 20*time.Microsecond, "each spin")
	duration := flag.Duration("duration", 3*time.Second, "measured window")
	warmup := flag.Duration("warmup", 500*time.Millisecond, "before the window")
	procs := flag.Int("procs", 0, "GOMAXPROCS (0: the default)")
	asJSON := flag.Bool("json", false, "one JSON object")
	flag.Parse()
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	block := make(chan struct{})
	for i := 0; i < *parked; i++ {
		go func() { <-block }()
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(*n)
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < *n; i++ {
		first := time.Duration(rng.Int63n(int64(*period)))
		go func() {
			defer wg.Done()
			time.Sleep(first)
			for {
				select {
				case <-stop:
					return
				default:
				}
				spin(*work)
				time.Sleep(*period)
			}
		}()
	}
	time.Sleep(*warmup)
	a, c0, t0 := histogram(), cpuTime(), time.Now()
	time.Sleep(*duration)
	b, c1, t1 := histogram(), cpuTime(), time.Now()
	close(stop)
	wg.Wait()
	close(block)
	p50, samples := quantile(a, b, 0.5)
	p99, _ := quantile(a, b, 0.99)
	load := float64(c1-c0) / float64(t1.Sub(t0))
	out := map[string]any{"n": *n, "parked": *parked, "samples": samples, "p50_ns": p50 * 1e9, "p99_ns": p99 * 1e9,
		"mean_ns": mean(a, b) * 1e9, "cpu_load": load, "gomaxprocs": runtime.GOMAXPROCS(0), "go": runtime.Version()}
	if *asJSON {
		json.NewEncoder(os.Stdout).Encode(out)
		return
	}
	fmt.Printf("%d %d %d %.0f %.0f %.0f %.3f\n", *n, *parked, samples, p50*1e9, p99*1e9, mean(a, b)*1e9, load)
}
