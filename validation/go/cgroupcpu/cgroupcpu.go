// Package cgroupcpu runs a probe under a CPU bandwidth limit: a fresh cgroup with a quota per period,
// the probe started again inside it, and the group's throttling counters (cpu.stat).
//
// The limit has to be in place before the Go runtime starts: since go1.25 the default GOMAXPROCS is
// min(CPUs, max(2, ceil(quota/period))) (runtime/cgroup_linux.go defaultGOMAXPROCS, go1.26), from the
// files of the group the process is in at start-up (defaultGOMAXPROCSInit opens them; sysmon re-reads the
// same files about once a second, runtime/proc.go sysmonUpdateGOMAXPROCS), so a process that moved itself
// into a group would never see its limit. Reexec therefore moves the
// calling process into the new group, starts the same program with the same arguments (the child
// inherits the group at fork), moves the caller back out at once, waits for the child and removes the
// group. The child finds its group in the environment (Child).
//
// Interfaces: cgroup v2 (cpu.max "$MAX $PERIOD", cpu.max.burst, cpu.stat throttled_usec) when the v2
// hierarchy has the cpu controller, else v1 (cpu.cfs_quota_us, cpu.cfs_period_us, cpu.cfs_burst_us,
// cpu.stat throttled_time in ns); Documentation/admin-guide/cgroup-v2.rst "CPU Interface Files" and
// Documentation/scheduler/sched-bwc.rst in the kernel tree. Writing cgroup files needs root (or a
// delegated subtree).
package cgroupcpu

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	envDir   = "GMPSIM_CGROUP_DIR"
	envIface = "GMPSIM_CGROUP_IFACE"
)

// Limit: quota and period in microseconds (the kernel's units); burst: the quota a group may carry over.
type Limit struct{ QuotaUs, PeriodUs, BurstUs int64 }

// Group is a cgroup directory and its interface, "v1" or "v2".
type Group struct{ Dir, Interface string }

// Stat: cpu.stat's bandwidth counters (v1's throttled_time converted from ns to µs).
type Stat struct{ NrPeriods, NrThrottled, ThrottledUsec int64 }

// Child returns the group Reexec started this process in, or nil.
func Child() *Group {
	if d := os.Getenv(envDir); d != "" {
		return &Group{Dir: d, Interface: os.Getenv(envIface)}
	}
	return nil
}

func (g *Group) Stat() (Stat, error) {
	b, err := os.ReadFile(filepath.Join(g.Dir, "cpu.stat"))
	if err != nil {
		return Stat{}, err
	}
	var s Stat
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "nr_periods":
			s.NrPeriods = v
		case "nr_throttled":
			s.NrThrottled = v
		case "throttled_usec":
			s.ThrottledUsec = v
		case "throttled_time":
			s.ThrottledUsec = v / 1000
		}
	}
	return s, nil
}

// Max: the limit in cpu.max's "$MAX $PERIOD" form, read back from the group.
func (g *Group) Max() string {
	if g.Interface == "v2" {
		b, _ := os.ReadFile(filepath.Join(g.Dir, "cpu.max"))
		return strings.TrimSpace(string(b))
	}
	q, _ := os.ReadFile(filepath.Join(g.Dir, "cpu.cfs_quota_us"))
	p, _ := os.ReadFile(filepath.Join(g.Dir, "cpu.cfs_period_us"))
	qs := strings.TrimSpace(string(q))
	if qs == "-1" {
		qs = "max"
	}
	return qs + " " + strings.TrimSpace(string(p))
}

func (s Stat) Sub(t Stat) Stat {
	return Stat{s.NrPeriods - t.NrPeriods, s.NrThrottled - t.NrThrottled, s.ThrottledUsec - t.ThrottledUsec}
}

type mount struct{ root, point, fstype, super string }

func mounts() ([]mount, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var out []mount
	for _, line := range strings.Split(string(b), "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 5 || len(g) < 3 {
			continue
		}
		out = append(out, mount{root: f[3], point: f[4], fstype: g[0], super: g[2]})
	}
	return out, nil
}

// own: this process's path in the hierarchy whose /proc/self/cgroup line matches.
func own(match func(id, ctrls string) bool) (string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) == 3 && match(f[0], f[1]) {
			return f[2], nil
		}
	}
	return "", errors.New("not in /proc/self/cgroup")
}

func contains(list, item, sep string) bool {
	for _, x := range strings.Split(list, sep) {
		if x == item {
			return true
		}
	}
	return false
}

func write(dir, file, value string) error {
	if err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0); err != nil {
		return fmt.Errorf("writing %q to %s: %w", value, filepath.Join(dir, file), err)
	}
	return nil
}

// under: the directory of hierarchy path p in a mount of the hierarchy's subtree root.
func under(m mount, p string) string {
	rel := strings.TrimPrefix(p, m.root)
	return filepath.Join(m.point, rel)
}

// create makes the group (v2 when the v2 hierarchy offers the cpu controller, else v1) and sets its
// limit. Returns the group and the directory this process was in.
func create(name string, l Limit) (*Group, string, error) {
	ms, err := mounts()
	if err != nil {
		return nil, "", err
	}
	prefix := "gmpsim-" + name + "-"
	leaf := prefix + strconv.Itoa(os.Getpid())
	var errs []string
	for _, m := range ms {
		if m.fstype != "cgroup2" || m.root != "/" {
			continue
		}
		ctrls, _ := os.ReadFile(filepath.Join(m.point, "cgroup.controllers"))
		if !contains(strings.TrimSpace(string(ctrls)), "cpu", " ") {
			errs = append(errs, "v2 at "+m.point+": no cpu controller (bound to v1)")
			continue
		}
		p, err := own(func(id, _ string) bool { return id == "0" })
		if err != nil {
			errs = append(errs, "v2: "+err.Error())
			continue
		}
		// Under the hierarchy's root: a non-root group with processes cannot enable controllers for its
		// children (cgroup-v2.rst, "No Internal Process Constraint").
		if err := write(m.point, "cgroup.subtree_control", "+cpu"); err != nil {
			errs = append(errs, "v2: "+err.Error())
			continue
		}
		removeStale(m.point, prefix)
		dir := filepath.Join(m.point, leaf)
		if err := os.Mkdir(dir, 0o755); err != nil {
			return nil, "", err
		}
		g := &Group{Dir: dir, Interface: "v2"}
		err = write(dir, "cpu.max", fmt.Sprintf("%d %d", l.QuotaUs, l.PeriodUs))
		if err == nil && l.BurstUs > 0 {
			err = write(dir, "cpu.max.burst", strconv.FormatInt(l.BurstUs, 10))
		}
		if err != nil {
			os.Remove(dir)
			return nil, "", err
		}
		return g, under(m, p), nil
	}
	for _, m := range ms {
		if m.fstype != "cgroup" || !contains(m.super, "cpu", ",") {
			continue
		}
		p, err := own(func(_, ctrls string) bool { return contains(ctrls, "cpu", ",") })
		if err != nil {
			errs = append(errs, "v1: "+err.Error())
			continue
		}
		orig := under(m, p)
		removeStale(orig, prefix)
		dir := filepath.Join(orig, leaf)
		if err := os.Mkdir(dir, 0o755); err != nil {
			return nil, "", err
		}
		g := &Group{Dir: dir, Interface: "v1"}
		err = write(dir, "cpu.cfs_period_us", strconv.FormatInt(l.PeriodUs, 10))
		if err == nil {
			err = write(dir, "cpu.cfs_quota_us", strconv.FormatInt(l.QuotaUs, 10))
		}
		if err == nil && l.BurstUs > 0 {
			err = write(dir, "cpu.cfs_burst_us", strconv.FormatInt(l.BurstUs, 10))
		}
		if err != nil {
			os.Remove(dir)
			return nil, "", err
		}
		return g, orig, nil
	}
	return nil, "", fmt.Errorf("no usable cpu controller (%s)", strings.Join(errs, "; "))
}

// removeStale removes the empty groups prefix+PID under parent whose PID no longer runs (left by a probe
// that was killed).
func removeStale(parent, prefix string) {
	ents, _ := os.ReadDir(parent)
	for _, e := range ents {
		pid, err := strconv.Atoi(strings.TrimPrefix(e.Name(), prefix))
		if !e.IsDir() || !strings.HasPrefix(e.Name(), prefix) || err != nil {
			continue
		}
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); os.IsNotExist(err) {
			os.Remove(filepath.Join(parent, e.Name())) // fails, harmlessly, while tasks remain
		}
	}
}

// remove: rmdir, retried briefly (a group whose last task just exited can report EBUSY).
func remove(dir string) error {
	var err error
	for i := 0; i < 100; i++ {
		if err = os.Remove(dir); err == nil || os.IsNotExist(err) {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return err
}

// Reexec runs this program again, with the same arguments, in a fresh group with limit l (see the package
// comment), removes the group and exits with the child's status. It returns only an error from setting
// the group up.
func Reexec(name string, l Limit) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	// Signals from here on go to the child once it runs, so that the group is always removed.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	g, orig, err := create(name, l)
	if err != nil {
		return err
	}
	pid := strconv.Itoa(os.Getpid())
	if err := write(g.Dir, "cgroup.procs", pid); err != nil {
		remove(g.Dir)
		return err
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), envDir+"="+g.Dir, envIface+"="+g.Interface)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	startErr := cmd.Start()
	if err := write(orig, "cgroup.procs", pid); err != nil { // out again: only the child is limited
		fmt.Fprintln(os.Stderr, "cgroupcpu:", err)
	}
	if startErr != nil {
		remove(g.Dir)
		return startErr
	}
	go func() {
		for s := range sigs {
			cmd.Process.Signal(s)
		}
	}()
	waitErr := cmd.Wait()
	if err := remove(g.Dir); err != nil {
		fmt.Fprintln(os.Stderr, "cgroupcpu: removing", g.Dir+":", err)
	}
	code := 0
	if waitErr != nil {
		code = 1
		var ee *exec.ExitError
		if errors.As(waitErr, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				code = 128 + int(ws.Signal())
			} else {
				code = ee.ExitCode()
			}
		}
	}
	os.Exit(code)
	return nil
}
