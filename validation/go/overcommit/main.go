// overcommit: a Go heap growing under vm.overcommit_memory=2 until the kernel refuses the runtime's next
// mapping and the runtime dies with "fatal error: runtime: out of memory".
//
// The probe (the parent) starts itself again as the child, which waits on its standard input. The parent
// then journals vm.overcommit_memory, vm.overcommit_ratio and vm.overcommit_kbytes
// (validation/go/memprobe), starts a watchdog process that restores them after -watchdog regardless of
// what happens to the probe, sets vm.overcommit_kbytes so that CommitLimit (= overcommit_kbytes + swap,
// mm/util.c vm_commit_limit) exceeds the machine's Committed_AS by -headroom, sets
// vm.overcommit_memory=2, and tells the child to go. The child allocates -obj pointer-free objects, kept
// live, writing each page once, and prints its heap after every -step; the parent restores the sysctls as
// soon as the child dies (or after -timeout), kills the watchdog and reports the last heap the child
// printed. The parent itself allocates nothing large while mode 2 is on. Mode 2 refuses memory to every
// process on the machine once Committed_AS reaches CommitLimit, so the window is kept short: the child
// fills the headroom in well under a second.
//
// Needs root. Writing overcommit_kbytes sets overcommit_ratio to 0 and the reverse (mm/util.c
// overcommit_kbytes_handler, overcommit_ratio_handler), so they are restored kbytes first, then ratio.
//
// -json: one gmpsim-real-run/1 object, "outcome": out_of_memory (the runtime's fatal error), completed (the
// child reached -max) or killed; makespan = the child's growth; counters heap_at_refusal_bytes (the last
// heap the child printed), sys_at_refusal_bytes (its MemStats.Sys then: what the runtime had mapped),
// headroom_bytes (CommitLimit − Committed_AS when the child started), commit_limit_bytes,
// committed_as_bytes, fatal (the runtime's message). Plain: "<outcome> <heap MiB at refusal> <Sys MiB>
// <headroom MiB>".
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"gmpsim/validation/go/memprobe"
	"gmpsim/validation/go/realrun"
)

const (
	envChild = "GMPSIM_OVERCOMMIT_CHILD"
	vm       = "/proc/sys/vm/"
)

var (
	headroom = flag.String("headroom", "256MiB", "CommitLimit − Committed_AS to leave when the child starts")
	obj      = flag.String("obj", "64KiB", "object size")
	step     = flag.String("step", "1MiB", "the child prints its heap after every step")
	max      = flag.String("max", "4GiB", "the child stops here (a limit that did not bite)")
	timeout  = flag.Duration("timeout", 20*time.Second, "kill the child and restore after this")
	watchdog = flag.Duration("watchdog", 60*time.Second, "a separate process restores the sysctls after this regardless")
)

var keep [][]byte

func child() {
	var ms runtime.MemStats
	// Only on the parent's word: a parent killed before it (its pipe closed) must not leave a child that
	// grows under settings nobody will restore until the watchdog does.
	if l, _ := bufio.NewReader(os.Stdin).ReadString('\n'); l != "go\n" {
		os.Exit(3)
	}
	size, stepB, maxB := memprobe.ParseSize(*obj), memprobe.ParseSize(*step), memprobe.ParseSize(*max)
	var heap int64
	for heap < maxB {
		b := make([]byte, size)
		for j := 0; j < len(b); j += 4096 {
			b[j] = 1
		}
		keep = append(keep, b)
		heap += size
		if heap%stepB == 0 {
			runtime.ReadMemStats(&ms)
			fmt.Printf("heap %d %d\n", heap, ms.Sys)
		}
	}
	fmt.Println("done")
}

func meminfo(name string) int64 { return memprobe.KB("/proc/meminfo", name) }

func main() {
	flag.Parse()
	if os.Getenv(envChild) != "" {
		child()
		return
	}
	memprobe.Recover()
	memprobe.OnSignals()
	exe, _ := os.Executable()
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), envChild+"=1", "GOGC=off")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "overcommit:", err)
		os.Exit(2)
	}
	fail := func(what string, err error) {
		cmd.Process.Kill()
		for _, e := range memprobe.RestoreAll() {
			fmt.Fprintln(os.Stderr, "overcommit: restore:", e)
		}
		fmt.Fprintf(os.Stderr, "overcommit: %s: %v\n", what, err)
		os.Exit(2)
	}
	for _, f := range []string{"overcommit_memory", "overcommit_ratio", "overcommit_kbytes"} {
		if err := memprobe.Plan(vm + f); err != nil {
			fail("journal", err)
		}
	}
	stopWatchdog, err := memprobe.Watchdog(*watchdog)
	if err != nil {
		fail("watchdog", err)
	}
	lines := make(chan string, 1<<16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	time.Sleep(50 * time.Millisecond) // the child's runtime has started
	swapKB := meminfo("SwapTotal") / 1024
	committed := meminfo("Committed_AS")
	kbytes := (committed+memprobe.ParseSize(*headroom))/1024 - swapKB
	if err := memprobe.Set(vm+"overcommit_kbytes", strconv.FormatInt(kbytes, 10)); err != nil {
		fail("vm.overcommit_kbytes refused", err)
	}
	if err := memprobe.Set(vm+"overcommit_memory", "2"); err != nil {
		fail("vm.overcommit_memory refused", err)
	}
	limit, committed := meminfo("CommitLimit"), meminfo("Committed_AS")
	t0 := time.Now()
	io.WriteString(stdin, "go\n")
	deadline := time.After(*timeout)
	var heap, sys int64
	outcome := ""
loop:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				break loop
			}
			if f := strings.Fields(l); len(f) == 3 && f[0] == "heap" {
				heap, _ = strconv.ParseInt(f[1], 10, 64)
				sys, _ = strconv.ParseInt(f[2], 10, 64)
			} else if l == "done" {
				outcome = "completed"
			}
		case <-deadline:
			cmd.Process.Kill()
			outcome = "killed"
			break loop
		}
	}
	waitErr := cmd.Wait()
	el := time.Since(t0)
	// Restore first: mode 2 with the headroom used refuses memory to everything.
	errs := memprobe.RestoreAll()
	stopWatchdog()
	for _, e := range errs {
		fmt.Fprintln(os.Stderr, "overcommit: restore:", e)
	}
	fatal := ""
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.HasPrefix(l, "fatal error:") {
			fatal = l
			break
		}
	}
	if outcome == "" {
		outcome = "failed"
		if strings.Contains(fatal, "out of memory") {
			outcome = "out_of_memory"
		}
	}
	if outcome == "failed" {
		fmt.Fprintf(os.Stderr, "overcommit: the child failed otherwise (%v): %s\n", waitErr, stderr.String())
	}
	if *realrun.JSON {
		r := map[string]any{"makespan_ns": el.Nanoseconds(), "window_ns": el.Nanoseconds(), "wall_ns": el.Nanoseconds(),
			"classes": map[string]any{}, "spans": map[string]any{}, "outcome": outcome, "notes": []any{},
			"counters": map[string]any{"heap_at_refusal_bytes": heap, "sys_at_refusal_bytes": sys,
				"headroom_bytes": (limit - committed), "commit_limit_bytes": limit, "committed_as_bytes": committed,
				"overcommit_kbytes": kbytes, "fatal": fatal, "go_version": runtime.Version(),
				"out_of_memory": map[bool]int{false: 0, true: 1}[outcome == "out_of_memory"]}}
		b, _ := json.Marshal(r)
		fmt.Println(string(b))
		return
	}
	fmt.Printf("%s %.1f %.1f %.1f\n", outcome, float64(heap)/(1<<20), float64(sys)/(1<<20), float64(limit-committed)/(1<<20))
}
