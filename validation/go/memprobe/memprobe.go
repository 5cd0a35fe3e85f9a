// Package memprobe is what the memory probes (heapfault, memlimit, overcommit) share: host settings
// changed with a guaranteed restore (sysctls under /proc/sys/vm, THP under /sys/kernel/mm, a swap file, a
// memory cgroup), and the process's fault counters.
//
// Restore: every change is first written to a journal file (Journal) with what to undo, then made.
// RestoreAll undoes the journal in reverse order and removes it; it runs at the end of a probe, on
// SIGINT/SIGTERM/SIGHUP (OnSignals), at the start of the next probe run (Recover: a run that was killed
// leaves its journal), and from a watchdog process (Watchdog: a detached shell that sleeps, then undoes
// the journal's changes, in case the probe cannot: vm.overcommit_memory=2 can make the machine refuse
// memory to everyone). All of it needs root.
//
// Memory cgroup: v2 (memory.max, memory.high, memory.swap.max) when the v2 hierarchy has the memory
// controller, else v1 (memory.limit_in_bytes, memory.memsw.limit_in_bytes = memory + swap when swap
// accounting exists; v1 has no memory.high). Documentation/admin-guide/cgroup-v2.rst "Memory Interface
// Files", Documentation/admin-guide/cgroup-v1/memory.rst. The group is created under the caller's own
// group (so the host's accounting of the caller's subtree stays whole), and the process that is to be
// limited moves itself in (JoinMem) before it allocates: charges made before the move stay where they
// were (v1 memory.move_charge_at_immigrate 0; v2 never moves them).
package memprobe

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Journal: what to undo, one change a line: "file\tPATH\tORIGINAL", "swap\tPATH", "cgroup\tDIR".
var Journal = "/var/tmp/gmpsim-memprobe.journal"

var mu sync.Mutex

func appendJournal(line string) error {
	f, err := os.OpenFile(Journal, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.WriteString(line + "\n"); err != nil {
		return err
	}
	return f.Sync()
}

func readJournal() [][]string {
	b, err := os.ReadFile(Journal)
	if err != nil {
		return nil
	}
	var out [][]string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" {
			out = append(out, strings.Split(l, "\t"))
		}
	}
	return out
}

// Read: a settings file's value, trimmed. THP files print every mode with the current one in brackets
// ("always [madvise] never"): Read returns the bracketed one.
func Read(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	if i := strings.Index(s, "["); i >= 0 {
		if j := strings.Index(s[i:], "]"); j > 0 {
			return s[i+1 : i+j], nil
		}
	}
	return s, nil
}

// Set writes value to a settings file after journaling its current value (only the first change of a
// path is journaled, so the restore gives the value found before any probe touched it).
func Set(path, value string) error {
	mu.Lock()
	defer mu.Unlock()
	orig, err := Read(path)
	if err != nil {
		return err
	}
	seen := false
	for _, e := range readJournal() {
		seen = seen || (len(e) == 3 && e[0] == "file" && e[1] == path)
	}
	if !seen {
		if err := appendJournal("file\t" + path + "\t" + orig); err != nil {
			return err
		}
	}
	if err := os.WriteFile(path, []byte(value), 0); err != nil {
		return fmt.Errorf("writing %q to %s: %w", value, path, err)
	}
	return nil
}

// RestoreAll undoes the journal, newest change first, and removes it. It returns what could not be undone.
func RestoreAll() []error {
	mu.Lock()
	defer mu.Unlock()
	ents := readJournal()
	var errs []error
	for i := len(ents) - 1; i >= 0; i-- {
		e := ents[i]
		var err error
		switch {
		case len(e) == 3 && e[0] == "file":
			err = os.WriteFile(e[1], []byte(e[2]), 0)
		case len(e) == 2 && e[0] == "swap":
			if swapActive(e[1]) {
				err = exec.Command("swapoff", e[1]).Run()
			}
			if rmErr := os.Remove(e[1]); err == nil && rmErr != nil && !os.IsNotExist(rmErr) {
				err = rmErr
			}
		case len(e) == 2 && e[0] == "cgroup":
			err = removeDir(e[1])
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("restoring %v: %w", e, err))
		}
	}
	if len(errs) == 0 {
		os.Remove(Journal)
	}
	return errs
}

// Recover undoes a journal left by a run that was killed; call it first thing.
func Recover() {
	if _, err := os.Stat(Journal); err == nil {
		fmt.Fprintln(os.Stderr, "memprobe: restoring the settings a killed run left in", Journal)
		for _, err := range RestoreAll() {
			fmt.Fprintln(os.Stderr, "memprobe:", err)
		}
	}
}

// OnSignals restores and exits on SIGINT, SIGTERM and SIGHUP.
func OnSignals() {
	c := make(chan os.Signal, 2)
	signal.Notify(c, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-c
		for _, err := range RestoreAll() {
			fmt.Fprintln(os.Stderr, "memprobe:", err)
		}
		fmt.Fprintln(os.Stderr, "memprobe: restored on", s)
		os.Exit(130)
	}()
}

func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// Watchdog starts a detached shell (its own session, so it outlives a killed probe) that after d undoes
// every change the journal holds at this moment and removes the journal. Call it after the journal holds
// the changes (Set's first write comes later: journal with Plan first). Stop kills it.
func Watchdog(d time.Duration) (stop func(), err error) {
	ents := readJournal()
	var b strings.Builder
	fmt.Fprintf(&b, "sleep %d\n", int(d.Seconds()+0.5))
	for i := len(ents) - 1; i >= 0; i-- {
		e := ents[i]
		switch {
		case len(e) == 3 && e[0] == "file":
			fmt.Fprintf(&b, "printf %%s %s > %s\n", shQuote(e[2]), shQuote(e[1]))
		case len(e) == 2 && e[0] == "swap":
			fmt.Fprintf(&b, "swapoff %s; rm -f %s\n", shQuote(e[1]), shQuote(e[1]))
		case len(e) == 2 && e[0] == "cgroup":
			fmt.Fprintf(&b, "rmdir %s\n", shQuote(e[1]))
		}
	}
	fmt.Fprintf(&b, "rm -f %s\necho 'memprobe watchdog: restored the settings' >&2\n", shQuote(Journal))
	cmd := exec.Command("/bin/sh", "-c", b.String())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go cmd.Wait()
	// The shell leads its own process group (Setsid): kill the group, so that its sleep goes too.
	return func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }, nil
}

// Plan journals path's current value without changing it (so that a Watchdog started now restores it).
func Plan(path string) error {
	mu.Lock()
	defer mu.Unlock()
	orig, err := Read(path)
	if err != nil {
		return err
	}
	for _, e := range readJournal() {
		if len(e) == 3 && e[0] == "file" && e[1] == path {
			return nil
		}
	}
	return appendJournal("file\t" + path + "\t" + orig)
}

// ---- swap ----

func swapActive(path string) bool {
	b, _ := os.ReadFile("/proc/swaps")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == path {
			return true
		}
	}
	return false
}

// SwapOn creates a swap file of size bytes at path (written out, no holes: swapon refuses sparse files),
// formats it and enables it; SwapOff (or RestoreAll) undoes it.
func SwapOn(path string, size int64) error {
	if err := appendJournal("swap\t" + path); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	buf := make([]byte, 1<<20)
	for n := int64(0); n < size; n += int64(len(buf)) {
		if _, err := f.Write(buf); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	f.Close()
	if out, err := exec.Command("mkswap", path).CombinedOutput(); err != nil {
		return fmt.Errorf("mkswap: %v: %s", err, out)
	}
	if out, err := exec.Command("swapon", path).CombinedOutput(); err != nil {
		return fmt.Errorf("swapon refused: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// ---- memory cgroup ----

// MemLimit: bytes, or -1 for unset (max). Swap is the swap the group may use on top of Max.
type MemLimit struct{ Max, High, Swap int64 }

type MemGroup struct {
	Dir, Interface string
	Refused        []string // limits the interface has no file for (v1: memory.high)
}

type mount struct{ root, point, fstype, super string }

func mounts() []mount {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	var out []mount
	for _, line := range strings.Split(string(b), "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 5 || len(g) < 3 {
			continue
		}
		out = append(out, mount{root: f[3], point: f[4], fstype: g[0], super: g[2]})
	}
	return out
}

func ownPath(match func(id, ctrls string) bool) (string, bool) {
	b, _ := os.ReadFile("/proc/self/cgroup")
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) == 3 && match(f[0], f[1]) {
			return f[2], true
		}
	}
	return "", false
}

func has(list, item, sep string) bool {
	for _, x := range strings.Split(list, sep) {
		if x == item {
			return true
		}
	}
	return false
}

func removeDir(dir string) error {
	var err error
	for i := 0; i < 200; i++ {
		if err = os.Remove(dir); err == nil || os.IsNotExist(err) {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return err
}

func writeFile(dir, file, v string) error {
	if err := os.WriteFile(filepath.Join(dir, file), []byte(v), 0); err != nil {
		return fmt.Errorf("writing %q to %s: %w", v, filepath.Join(dir, file), err)
	}
	return nil
}

// NewMemGroup creates gmpsim-NAME-PID under this process's memory group with the limits l.
func NewMemGroup(name string, l MemLimit) (*MemGroup, error) {
	leaf := "gmpsim-" + name + "-" + strconv.Itoa(os.Getpid())
	var errs []string
	for _, m := range mounts() {
		if m.fstype != "cgroup2" {
			continue
		}
		ctrls, _ := os.ReadFile(filepath.Join(m.point, "cgroup.controllers"))
		if !has(strings.TrimSpace(string(ctrls)), "memory", " ") {
			errs = append(errs, "v2 at "+m.point+": no memory controller (bound to v1)")
			continue
		}
		p, _ := ownPath(func(id, _ string) bool { return id == "0" })
		parent := filepath.Join(m.point, strings.TrimPrefix(p, m.root))
		if err := writeFile(parent, "cgroup.subtree_control", "+memory"); err != nil {
			errs = append(errs, "v2: "+err.Error())
			continue
		}
		g := &MemGroup{Dir: filepath.Join(parent, leaf), Interface: "v2"}
		if err := g.make(); err != nil {
			return nil, err
		}
		set := func(file string, v int64) error {
			if v < 0 {
				return nil
			}
			return writeFile(g.Dir, file, strconv.FormatInt(v, 10))
		}
		err := set("memory.max", l.Max)
		if err == nil {
			err = set("memory.high", l.High)
		}
		if err == nil {
			err = set("memory.swap.max", l.Swap)
		}
		if err != nil {
			removeDir(g.Dir)
			return nil, err
		}
		return g, nil
	}
	for _, m := range mounts() {
		if m.fstype != "cgroup" || !has(m.super, "memory", ",") {
			continue
		}
		p, _ := ownPath(func(_, ctrls string) bool { return has(ctrls, "memory", ",") })
		parent := filepath.Join(m.point, strings.TrimPrefix(p, m.root))
		g := &MemGroup{Dir: filepath.Join(parent, leaf), Interface: "v1"}
		if err := g.make(); err != nil {
			return nil, err
		}
		var err error
		if l.Max >= 0 {
			err = writeFile(g.Dir, "memory.limit_in_bytes", strconv.FormatInt(l.Max, 10))
		}
		if err == nil && l.Swap >= 0 {
			if _, e := os.Stat(filepath.Join(g.Dir, "memory.memsw.limit_in_bytes")); e != nil {
				g.Refused = append(g.Refused, "memory.swap.max (v1 without swap accounting: no memory.memsw.limit_in_bytes)")
			} else if l.Max >= 0 {
				err = writeFile(g.Dir, "memory.memsw.limit_in_bytes", strconv.FormatInt(l.Max+l.Swap, 10))
			}
		}
		if l.High >= 0 {
			g.Refused = append(g.Refused, "memory.high (cgroup v1 has none; memory.soft_limit_in_bytes only acts under global pressure)")
		}
		if err != nil {
			removeDir(g.Dir)
			return nil, err
		}
		return g, nil
	}
	return nil, fmt.Errorf("no usable memory controller (%s)", strings.Join(errs, "; "))
}

func (g *MemGroup) make() error {
	if err := appendJournal("cgroup\t" + g.Dir); err != nil {
		return err
	}
	return os.Mkdir(g.Dir, 0o755)
}

// Join moves process pid into the group.
func (g *MemGroup) Join(pid int) error { return writeFile(g.Dir, "cgroup.procs", strconv.Itoa(pid)) }

// Remove removes the (empty) group.
func (g *MemGroup) Remove() error { return removeDir(g.Dir) }

// Counters: the group's OOM kills, limit hits and peak usage, from memory.events / memory.oom_control,
// memory.failcnt, memory.max_usage_in_bytes (v1) or memory.peak (v2), and swap in use.
func (g *MemGroup) Counters() map[string]int64 {
	out := map[string]int64{}
	kv := func(file string) map[string]int64 {
		m := map[string]int64{}
		b, _ := os.ReadFile(filepath.Join(g.Dir, file))
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 2 {
				v, _ := strconv.ParseInt(f[1], 10, 64)
				m[f[0]] = v
			}
		}
		return m
	}
	one := func(file string) int64 {
		s, _ := Read(filepath.Join(g.Dir, file))
		v, _ := strconv.ParseInt(s, 10, 64)
		return v
	}
	if g.Interface == "v2" {
		ev := kv("memory.events")
		out["cgroup_oom_kill"], out["cgroup_oom"], out["cgroup_max_events"], out["cgroup_high_events"] = ev["oom_kill"], ev["oom"], ev["max"], ev["high"]
		out["cgroup_peak_bytes"] = one("memory.peak")
		out["cgroup_swap_bytes"] = one("memory.swap.current")
		return out
	}
	oc := kv("memory.oom_control")
	out["cgroup_oom_kill"] = oc["oom_kill"]
	out["cgroup_failcnt"] = one("memory.failcnt")
	out["cgroup_peak_bytes"] = one("memory.max_usage_in_bytes")
	st := kv("memory.stat")
	out["cgroup_swap_bytes"] = st["swap"]
	out["cgroup_pgmajfault"] = st["total_pgmajfault"]
	return out
}

// ---- the process's counters ----

// Faults: minflt and majflt of /proc/self/stat (fields 10 and 12).
func Faults() (minflt, majflt int64) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndex(s, ")")+2:]) // field 3 (state) is f[0]
	if len(f) < 10 {
		return 0, 0
	}
	minflt, _ = strconv.ParseInt(f[7], 10, 64)
	majflt, _ = strconv.ParseInt(f[9], 10, 64)
	return
}

// Vmstat: a /proc/vmstat counter (system-wide), e.g. thp_fault_alloc, pswpin.
func Vmstat(name string) int64 {
	b, _ := os.ReadFile("/proc/vmstat")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == name {
			v, _ := strconv.ParseInt(f[1], 10, 64)
			return v
		}
	}
	return 0
}

// KB: a "Name: N kB" line of a /proc file (smaps_rollup, status, meminfo), in bytes.
func KB(file, name string) int64 {
	b, _ := os.ReadFile(file)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, name+":") {
			f := strings.Fields(l[len(name)+1:])
			if len(f) > 0 {
				v, _ := strconv.ParseInt(f[0], 10, 64)
				return v * 1024
			}
		}
	}
	return 0
}

// ParseSize reads a size flag: a whole number with an optional KiB, MiB or GiB suffix ("64KiB"); plain
// digits are bytes.
func ParseSize(s string) int64 {
	var n int64
	var unit string
	fmt.Sscanf(s, "%d%s", &n, &unit)
	switch unit {
	case "KiB":
		return n << 10
	case "MiB":
		return n << 20
	case "GiB":
		return n << 30
	}
	return n
}
