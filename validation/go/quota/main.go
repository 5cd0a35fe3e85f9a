// quota: an open-loop service under a cgroup CPU bandwidth limit. A generator goroutine starts a handler
// goroutine per request at Poisson arrivals (-rate per second for -duration); each handler spins -work of
// CPU (validation/go/openloop). With -quota-us > 0 the probe runs itself again in a fresh cgroup with that
// quota per -period-us (validation/go/cgroupcpu: v2 cpu.max when the v2 hierarchy has the cpu controller,
// else v1 cpu.cfs_quota_us/cpu.cfs_period_us), so that the runtime starts under the limit: with -procs 0
// GOMAXPROCS is Go's default, which since go1.25 follows the quota (min(CPUs, max(2, ceil(quota/period))),
// runtime/cgroup_linux.go defaultGOMAXPROCS, go1.26) and before it is the CPU count. The group is removed
// at exit. Needs root for the cgroup. Prints "<gomaxprocs> <completed> <throughput per s> <latency p50 ns>
// <latency p99 ns> <nr_periods> <nr_throttled> <throttled_usec>".
//
// -json: one gmpsim-real-run/1 object (validation/go/realrun): class request (latency: scheduled arrival
// to completion, the scenario's class of the same name), span work (a handler's spin: its `compute`
// stretched by lost CPU), window = the arrival window; counters gomaxprocs (in effect), cgroup ("v1",
// "v2" or "none"), cpu_max (the group's limit as "$MAX $PERIOD"), nr_periods, nr_throttled,
// throttled_usec (cpu.stat over the open loop; the simulator's cgroup.nr_periods, cgroup.nr_throttled,
// cgroup.throttled_usec), cpu_ns (the process's CPU over the loop), generator lateness.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"

	"gmpsim/validation/go/cgroupcpu"
	"gmpsim/validation/go/openloop"
	"gmpsim/validation/go/realrun"
)

func main() {
	rate := flag.Float64("rate", 200, "requests per second (Poisson)")
	duration := flag.Duration("duration", 10*time.Second, "arrival window")
	work := flag.Duration("work", time.Millisecond, "CPU work per request")
	drain := flag.Duration("drain", 10*time.Second, "wait at most this long for requests in flight after the window")
	seed := flag.Int64("seed", 1, "arrival seed")
	procs := flag.Int("procs", 0, "GOMAXPROCS (0: Go's default)")
	quota := flag.Int64("quota-us", 0, "CPU quota per period in µs (0: no cgroup)")
	period := flag.Int64("period-us", 100000, "CPU bandwidth period in µs")
	burst := flag.Int64("burst-us", 0, "quota a period may carry over (cpu.max.burst, cpu.cfs_burst_us)")
	flag.Parse()
	g := cgroupcpu.Child()
	if *quota > 0 && g == nil {
		err := cgroupcpu.Reexec("quota", cgroupcpu.Limit{QuotaUs: *quota, PeriodUs: *period, BurstUs: *burst})
		fmt.Fprintln(os.Stderr, "quota: cgroup:", err)
		os.Exit(2)
	}
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	// The process's own CPU time (user + system, every thread) over the measured run, to compare with the
	// simulated process's usage_usec: what the quota is charged.
	cpuTime := func() int64 {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return ru.Utime.Nano()/1000 + ru.Stime.Nano()/1000
	}
	u0 := cpuTime()
	var s0 cgroupcpu.Stat
	if g != nil {
		s0, _ = g.Stat()
	}
	c := openloop.Config{Rate: *rate, Duration: *duration, Work: *work, Drain: *drain, Seed: *seed}
	res := openloop.Run(c)
	usage := cpuTime() - u0
	var st cgroupcpu.Stat
	iface, cpuMax := "none", "max "+fmt.Sprint(*period)
	if g != nil {
		s1, err := g.Stat()
		if err != nil {
			fmt.Fprintln(os.Stderr, "quota: cpu.stat:", err)
			os.Exit(2)
		}
		st, iface, cpuMax = s1.Sub(s0), g.Interface, g.Max()
	}
	if *realrun.JSON {
		r := realrun.New(res.Makespan)
		res.Report(r, c)
		r.Counters["cgroup"] = iface
		r.Counters["cpu_max"] = cpuMax
		r.Counters["nr_periods"] = st.NrPeriods
		r.Counters["nr_throttled"] = st.NrThrottled
		r.Counters["throttled_usec"] = st.ThrottledUsec
		r.Counters["usage_usec"] = usage
		r.Emit()
		return
	}
	fmt.Printf("%d %d %.1f %d %d %d %d %d\n", runtime.GOMAXPROCS(0), res.Completed,
		float64(res.Completed)/c.Duration.Seconds(), openloop.Quantile(res.Latency, 0.5).Nanoseconds(),
		openloop.Quantile(res.Latency, 0.99).Nanoseconds(), st.NrPeriods, st.NrThrottled, st.ThrottledUsec)
}
