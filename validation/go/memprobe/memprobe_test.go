package memprobe

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func setting(t *testing.T, dir, name, value string) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func content(t *testing.T, p string) string {
	v, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Set journals only the first value a path had; RestoreAll writes it back and removes the journal.
func TestSetAndRestore(t *testing.T) {
	dir := t.TempDir()
	Journal = filepath.Join(dir, "journal")
	a := setting(t, dir, "a", "always [madvise] never")
	b := setting(t, dir, "b", "0")
	if err := Set(a, "never"); err != nil {
		t.Fatal(err)
	}
	if err := Set(a, "always"); err != nil {
		t.Fatal(err)
	}
	if err := Set(b, "2"); err != nil {
		t.Fatal(err)
	}
	if got := content(t, a); got != "always" {
		t.Fatalf("a = %q after Set", got)
	}
	if errs := RestoreAll(); len(errs) != 0 {
		t.Fatal(errs)
	}
	if got := content(t, a); got != "madvise" {
		t.Fatalf("a = %q after restore, want the bracketed original madvise", got)
	}
	if got := content(t, b); got != "0" {
		t.Fatalf("b = %q after restore", got)
	}
	if _, err := os.Stat(Journal); !os.IsNotExist(err) {
		t.Fatal("the journal is still there")
	}
}

// A journal left by a killed run is undone by the next run's Recover.
func TestRecover(t *testing.T) {
	dir := t.TempDir()
	Journal = filepath.Join(dir, "journal")
	a := setting(t, dir, "a", "50")
	if err := Set(a, "0"); err != nil {
		t.Fatal(err)
	}
	Recover()
	if got := content(t, a); got != "50" {
		t.Fatalf("a = %q after Recover", got)
	}
}

// The watchdog restores what the journal held when it started, newest first, even if the probe never
// comes back; Stop kills it before it does.
func TestWatchdog(t *testing.T) {
	dir := t.TempDir()
	Journal = filepath.Join(dir, "journal")
	a := setting(t, dir, "a", "0")
	b := setting(t, dir, "b it's", "50")
	if err := Plan(a); err != nil {
		t.Fatal(err)
	}
	if err := Plan(b); err != nil {
		t.Fatal(err)
	}
	stop, err := Watchdog(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	Set(a, "2")
	Set(b, "0")
	time.Sleep(2500 * time.Millisecond)
	if got := content(t, a); got != "0" {
		t.Fatalf("a = %q after the watchdog", got)
	}
	if got := content(t, b); got != "50" {
		t.Fatalf("b = %q after the watchdog", got)
	}
	if _, err := os.Stat(Journal); !os.IsNotExist(err) {
		t.Fatal("the watchdog left the journal")
	}

	Journal = filepath.Join(dir, "journal2")
	Set(a, "1")
	stop2, _ := Watchdog(time.Second)
	stop2()
	time.Sleep(1500 * time.Millisecond)
	if got := content(t, a); got != "1" {
		t.Fatalf("a = %q: a stopped watchdog restored it", got)
	}
	RestoreAll()
}

func TestFaultsAndKB(t *testing.T) {
	min, _ := Faults()
	if min <= 0 {
		t.Fatalf("minflt %d", min)
	}
	if KB("/proc/self/status", "VmRSS") <= 0 {
		t.Fatal("no VmRSS")
	}
}
