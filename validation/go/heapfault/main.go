// heapfault: the first-touch fault cost of a growing Go heap. One goroutine allocates -heap of -obj
// pointer-free []byte objects, all kept live, and writes one byte in every 4 KiB page of each (a fresh
// span from the OS is already zero, so Go does not clear it: without the write no page would fault).
// The collector is off (debug.SetGCPercent(-1)), so the time is allocation and faults only. -prewarm
// (default on) first maps, touches and unmaps as much memory, so that the heap's pages are ones the VM's
// host has already backed (see main).
// -thp always|madvise|never sets /sys/kernel/mm/transparent_hugepage/enabled for the run and restores it
// (validation/go/memprobe: journaled, restored at exit, on signals and by the next run); "" leaves it.
// go1.19 marks heap memory MADV_HUGEPAGE only in sysUsedOS (runtime/mem_linux.go, via sysHugePageOS),
// which mheap.allocSpan calls only for pages the scavenger had released (mheap.go: `if scav != 0 {
// sysUsed(...) }`): a fresh, growing heap is never marked, so under `madvise` it gets small pages, as
// go1.21.1+ (which marks nothing) does.
//
// Prints "<ms per MiB> <minor faults> <thp faults> <AnonHugePages MiB> <RSS MiB>"; -json: one
// gmpsim-real-run/1 object, makespan = the growth, counters minor_faults, major_faults (this process's
// /proc/self/stat over the growth), thp_faults (/proc/vmstat thp_fault_alloc over the growth:
// system-wide, the probe is the only thing growing), anon_huge_bytes (smaps_rollup AnonHugePages),
// rss_bytes (VmRSS), ns_per_mib, thp_enabled, thp_defrag.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"gmpsim/validation/go/memprobe"
	"gmpsim/validation/go/realrun"
)

const thpEnabled = "/sys/kernel/mm/transparent_hugepage/enabled"
const thpDefrag = "/sys/kernel/mm/transparent_hugepage/defrag"

var keep [][]byte

func main() {
	heap := flag.String("heap", "512MiB", "heap to grow to (KiB, MiB, GiB)")
	obj := flag.String("obj", "64KiB", "object size")
	thp := flag.String("thp", "", "THP mode for the run: always, madvise, never (\"\": as found)")
	prewarm := flag.Bool("prewarm", true, "first map, touch and unmap as much memory outside the heap (see the comment)")
	flag.Parse()
	memprobe.Recover()
	memprobe.OnSignals()
	if *thp != "" {
		if err := memprobe.Set(thpEnabled, *thp); err != nil {
			fmt.Fprintln(os.Stderr, "heapfault: THP refused:", err)
			memprobe.RestoreAll()
			os.Exit(2)
		}
	}
	mode, _ := memprobe.Read(thpEnabled)
	defrag, _ := memprobe.Read(thpDefrag)
	debug.SetGCPercent(-1)
	total, size := memprobe.ParseSize(*heap), memprobe.ParseSize(*obj)
	n := int(total / size)
	keep = make([][]byte, 0, n)
	if *prewarm {
		// A VM's memory is backed by its host lazily: a guest page never used since boot costs the host a
		// fault of its own the first time the guest zeroes it (on this Firecracker VM a 512 MiB heap of
		// huge pages took 2.6 ms/MiB when its pages were fresh and 0.3 ms/MiB when they had been used).
		// Touching and freeing the same amount first gives the heap's faults pages the host has backed,
		// so the guest kernel's fault cost is what is measured.
		if m, err := syscall.Mmap(-1, 0, int(total)+(16<<20), syscall.PROT_READ|syscall.PROT_WRITE,
			syscall.MAP_PRIVATE|syscall.MAP_ANON); err == nil {
			for j := 0; j < len(m); j += 4096 {
				m[j] = 1
			}
			syscall.Munmap(m)
		}
	}
	min0, maj0 := memprobe.Faults()
	thp0 := memprobe.Vmstat("thp_fault_alloc")
	huge0 := memprobe.KB("/proc/self/smaps_rollup", "AnonHugePages")
	t0 := time.Now()
	for i := 0; i < n; i++ {
		b := make([]byte, size)
		for j := 0; j < len(b); j += 4096 {
			b[j] = 1
		}
		keep = append(keep, b)
	}
	el := time.Since(t0)
	min1, maj1 := memprobe.Faults()
	thp1 := memprobe.Vmstat("thp_fault_alloc")
	anonHuge := memprobe.KB("/proc/self/smaps_rollup", "AnonHugePages")
	rss := memprobe.KB("/proc/self/status", "VmRSS")
	for _, err := range memprobe.RestoreAll() {
		fmt.Fprintln(os.Stderr, "heapfault:", err)
	}
	mib := float64(total) / (1 << 20)
	nsPerMiB := float64(el.Nanoseconds()) / mib
	if *realrun.JSON {
		r := realrun.New(el)
		r.Counters["ns_per_mib"] = nsPerMiB
		r.Counters["minor_faults"] = min1 - min0
		r.Counters["major_faults"] = maj1 - maj0
		r.Counters["thp_faults"] = (anonHuge - huge0) >> 21
		r.Counters["thp_fault_alloc_system"] = thp1 - thp0
		r.Counters["anon_huge_bytes"] = anonHuge
		r.Counters["rss_bytes"] = rss
		r.Counters["heap_bytes"] = total
		r.Counters["obj_bytes"] = size
		r.Counters["thp_enabled"] = mode
		r.Counters["thp_defrag"] = defrag
		r.Counters["go_version"] = runtime.Version()
		r.Emit()
		return
	}
	fmt.Printf("%.3f %d %d %.1f %.1f\n", nsPerMiB/1e6, min1-min0, (anonHuge-huge0)>>21, float64(anonHuge)/(1<<20), float64(rss)/(1<<20))
}
