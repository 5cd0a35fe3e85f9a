package main

// A small real Go program traced by the test itself (runtime/trace): a generator goroutine starts a
// handler per request every ~1 ms (time.Sleep); each handler spins CPU, fans out to 3 workers that spin
// and send on a channel, collects their results, takes a shared mutex and sleeps as a downstream call.

import (
	"math/rand"
	"os"
	"runtime/trace"
	"sync"
	"testing"
	"time"
)

var spinSink uint64

func spin(d time.Duration) {
	x := spinSink | 1
	for t0 := time.Now(); time.Since(t0) < d; {
		for i := 0; i < 200; i++ {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
		}
	}
	spinSink = x
}

var shared sync.Mutex

func worker(out chan<- int) {
	spin(100 * time.Microsecond)
	out <- 1
}

func handler(wg *sync.WaitGroup) {
	defer wg.Done()
	spin(200 * time.Microsecond)
	res := make(chan int, 3)
	for i := 0; i < 3; i++ {
		go worker(res)
	}
	for i := 0; i < 3; i++ {
		<-res
	}
	shared.Lock()
	spin(20 * time.Microsecond)
	shared.Unlock()
	time.Sleep(500 * time.Microsecond)
	spin(50 * time.Microsecond)
}

func generator(n int, done chan<- struct{}) {
	var wg sync.WaitGroup
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < n; i++ {
		time.Sleep(time.Duration(rng.ExpFloat64() * float64(time.Millisecond)))
		wg.Add(1)
		go handler(&wg)
	}
	wg.Wait()
	close(done)
}

// recordTrace runs the workload with n requests under runtime/trace into path.
func recordTrace(t *testing.T, path string, n int) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := trace.Start(f); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go generator(n, done)
	<-done
	trace.Stop()
}
