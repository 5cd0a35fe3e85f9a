// sleep: time.Sleep granularity on an otherwise idle runtime. One goroutine sleeps n times for each
// requested duration and times each sleep with time.Since. Prints one line per duration:
// "<requested ns> <actual p50 ns> <actual p90 ns>".
//
// -json: one gmpsim-real-run/1 object (validation/go/realrun): span `sleep` with every actual sleep (the
// scenario's span of the same name around its sleep step: reaching time.Sleep to running again), pooled
// over the requested durations (give one with -d for a comparison), and class sleeper (latency = the run).
package main

import (
	"flag"
	"fmt"
	"sort"
	"strings"
	"time"

	"gmpsim/validation/go/realrun"
)

func main() {
	n := flag.Int("n", 200, "sleeps per duration")
	list := flag.String("d", "1us,10us,50us,100us,500us,1ms,2ms", "requested durations")
	flag.Parse()
	var all []time.Duration
	start := time.Now()
	for _, s := range strings.Split(*list, ",") {
		d, err := time.ParseDuration(s)
		if err != nil {
			panic(err)
		}
		got := make([]time.Duration, *n)
		for i := range got {
			t0 := time.Now()
			time.Sleep(d)
			got[i] = time.Since(t0)
		}
		all = append(all, got...)
		if *realrun.JSON {
			continue
		}
		sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
		fmt.Printf("%d %d %d\n", d.Nanoseconds(), got[len(got)/2].Nanoseconds(), got[len(got)*9/10].Nanoseconds())
	}
	if *realrun.JSON {
		elapsed := time.Since(start)
		r := realrun.New(elapsed)
		r.Class("sleeper", 1, 1, []time.Duration{elapsed})
		r.Span("sleep", all)
		r.Counters["requested"] = *list
		r.Emit()
	}
}
