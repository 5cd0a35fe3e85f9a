package main

// The second pass: goroutines grouped into classes by entry function, each class's program as the most
// common shape of its goroutines' token sequences (a loop where a unit of tokens repeats), the samples
// of every position of that shape, the spawn structure and the arrivals of request classes.

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
)

// A position of a class's program: the CPU burst before it and, unless it is the final burst, the token.
type slot struct {
	key    string
	child  string // spawn: the child's class name
	cpu    []int64
	wait   []int64
	wakers map[string]int
	spawns []int  // spawns: how many consecutive go statements each sample made
	fan    *fanIn // a spawn or a wait that is part of a fan-out/fan-in
	fanIdx int    // waits: its index among the fan-in's waits
}

// A fan-out/fan-in: a goroutine starts k children and waits (on a channel or a WaitGroup) until they
// wake it. The trace shows who woke the waiter, so when the children's class woke most of these waits,
// they become a channel (or WaitGroup) the spawner makes, the children send on (wg_done) at their end
// and the spawner receives k times from (wg_wait): the wait then follows the children's progress, so it
// changes with GOMAXPROCS and load as the real one does.
type fanIn struct {
	obj    string
	wg     bool
	k      int
	waits  int
	parent string
}

type class struct {
	name     string
	fn       string
	gors     []*gor
	system   bool
	prefix   []*slot
	loop     []*slot // the loop's body, empty without a loop
	final    []int64 // the CPU after the last token to the exit (or the trace's end)
	loopN    []int   // iterations per goroutine with the modal shape
	forever  bool    // the loop ran until the trace ended in every goroutine of the class
	modal    int     // goroutines aligned onto the program
	left     int     // goroutines left out (another loop structure)
	leftCPU  int64
	cpu      int64 // total CPU of the class's goroutines, ns
	request  bool  // open-loop arrivals (spawned in a spawner's loop)
	initial  int   // goroutines that existed when the trace started
	spawner  string
	arrivals []int64
	dropped  map[string]int
	signal   *fanIn // a fan-in this class's goroutines end by signalling (send or wg_done)
}

// runtime-internal goroutines: the go model has its own collector, sweeper, scavenger and timers.
func isSystem(fn string) bool {
	return fn == "" || (strings.HasPrefix(fn, "runtime.") && fn != "runtime.main") || strings.HasPrefix(fn, "runtime/trace.")
}

var nonIdent = regexp.MustCompile(`[^A-Za-z0-9]+`)

// className: a readable class name from an entry function: the package path's last element and the
// function, e.g. net/http.(*conn).serve -> http_conn_serve, main.worker -> worker, main.main.func1 ->
// main_func1.
func className(fn string) string {
	if i := strings.LastIndex(fn, "/"); i >= 0 {
		fn = fn[i+1:]
	}
	fn = strings.TrimPrefix(fn, "main.")
	s := strings.Trim(nonIdent.ReplaceAllString(fn, "_"), "_")
	if s == "" {
		return "unknown"
	}
	return s
}

func keysOf(tokens []token) []string {
	k := make([]string, len(tokens))
	for i, t := range tokens {
		k[i] = t.key
		if t.child != nil {
			k[i] = "spawn:" + t.child.fn
		}
	}
	return k
}

// A goroutine's life split for the program: a straight-line prefix, then optionally a loop whose
// iterations each start at the loop's marker token. The marker is the rarest token that repeats (3 times
// or more, and at least 5 % as often as the commonest): the outermost loop's event, e.g. the spawn of a
// request's workers, whose results are then received a varying number of times. A goroutine with fewer
// than 6 tokens is straight-line.
type split struct {
	prefix []token
	iters  [][]token
	marker string
}

func splitOf(g *gor) split {
	k := keysOf(g.tokens)
	if len(k) < 6 {
		return split{prefix: g.tokens}
	}
	count := map[string]int{}
	most := 0
	for _, x := range k {
		count[x]++
		most = max(most, count[x])
	}
	marker := ""
	for _, x := range k { // first-seen order, so ties go to the earlier token
		n := count[x]
		if n >= 3 && 20*n >= most && (marker == "" || n < count[marker]) {
			marker = x
		}
	}
	if marker == "" {
		return split{prefix: g.tokens}
	}
	sp := split{marker: marker}
	start := -1
	for i, x := range k {
		if x != marker {
			continue
		}
		if start < 0 {
			sp.prefix = g.tokens[:i]
		} else {
			sp.iters = append(sp.iters, g.tokens[start:i])
		}
		start = i
	}
	sp.iters = append(sp.iters, g.tokens[start:])
	return sp
}

func newSlots(keys []string) []*slot {
	out := make([]*slot, len(keys))
	for i, k := range keys {
		out[i] = &slot{key: k, wakers: map[string]int{}}
		if strings.HasPrefix(k, "spawn:") {
			out[i].key = "spawn"
			out[i].child = strings.TrimPrefix(k, "spawn:")
		}
	}
	return out
}

func (s *slot) add(t token, cpu int64) {
	s.cpu = append(s.cpu, cpu)
	if s.key == "spawn" {
		s.spawns = append(s.spawns, t.n)
	} else {
		s.wait = append(s.wait, t.wait)
		if t.waker != "" {
			s.wakers[t.waker]++
		}
	}
}

// buildClasses groups the trace's goroutines and derives each class's program.
func buildClasses(d *traceData) []*class {
	byFn := map[string]*class{}
	var classes []*class
	for _, g := range d.order {
		if g.fn == "" {
			g.fn = "unknown"
		}
		g.mergeSpawns()
		c := byFn[g.fn]
		if c == nil {
			c = &class{fn: g.fn, system: isSystem(g.fn), dropped: map[string]int{}}
			byFn[g.fn] = c
			classes = append(classes, c)
		}
		c.gors = append(c.gors, g)
		c.cpu += g.cpuTotal
		for r, n := range g.dropped {
			c.dropped[r] += n
		}
		if g.created < 0 {
			c.initial++
		} else {
			c.arrivals = append(c.arrivals, g.created)
		}
	}
	// Unique, readable names.
	used := map[string]int{}
	for _, c := range classes {
		n := className(c.fn)
		used[n]++
		if used[n] > 1 {
			n = fmt.Sprintf("%s_%d", n, used[n])
		}
		c.name = n
	}
	for _, c := range classes {
		if !c.system {
			c.derive(byFn)
		}
	}
	// Request classes: spawned inside the loop of a long-lived spawner (an accept loop, a generator).
	for _, c := range classes {
		if c.system {
			continue
		}
		if countKey(c.loop, "net", "sleep") == 0 {
			// A loop of go statements alone is a population; one that waits on a channel or a lock between
			// them is a fan-out that waits for its children: both stay spawns in the program. Only a loop
			// that waits for the network (an accept loop) or a timer (a generator) is a source of requests.
			continue
		}
		for _, s := range c.loop {
			if s.key == "spawn" && byFn[s.child] != nil && !byFn[s.child].system {
				ch := byFn[s.child]
				if ch.initial == 0 && len(ch.arrivals) >= 3 {
					ch.request = true
					ch.spawner = c.name
				}
			}
		}
	}
	return classes
}

// derive: the class's program, then the samples of every position. Goroutines with a loop (most of
// the class's, with one marker) give a prefix and a loop body; the others a straight line. Each part is
// the shape that keeps the most tokens among the most common ones, and every goroutine (or iteration) is
// aligned onto it.
func (c *class) derive(byFn map[string]*class) {
	splits := make([]split, len(c.gors))
	markers := map[string]int{}
	for i, g := range c.gors {
		splits[i] = splitOf(g)
		markers[splits[i].marker]++
	}
	marker, n := "", -1
	for _, m := range sortedKeys(markers) {
		if markers[m] > n {
			marker, n = m, markers[m]
		}
	}
	var prefixes, bodies [][]token
	for _, sp := range splits {
		if sp.marker == marker {
			prefixes = append(prefixes, sp.prefix)
			bodies = append(bodies, sp.iters...)
		}
	}
	c.prefix = newSlots(widest(prefixes))
	if marker != "" {
		c.loop = newSlots(widest(bodies))
		c.forever = true
	}
	for i, g := range c.gors {
		sp := splits[i]
		if sp.marker != marker || (marker == "" && len(sp.prefix) > 256) {
			c.left++
			c.leftCPU += g.cpuTotal
			continue
		}
		c.modal++
		carry := c.alignInto(sp.prefix, c.prefix, 0, "")
		for _, it := range sp.iters {
			carry = c.alignInto(it, c.loop, carry, " in the loop")
		}
		c.final = append(c.final, g.cpu+carry)
		if marker != "" {
			c.loopN = append(c.loopN, len(sp.iters))
			if g.ended >= 0 {
				c.forever = false
			}
		}
	}
}

// widest: among the 5 most common token sequences, the one that keeps the most tokens when every
// sequence is aligned onto it (a wait that a fifth of the handlers had is a step with 80 % zero waits
// rather than a wait left out); ties go to the more common one.
func widest(seqs [][]token) []string {
	counts := map[string]int{}
	byID := map[string][]string{}
	for _, t := range seqs {
		k := keysOf(t)
		if len(k) > 64 {
			continue
		}
		id := strings.Join(k, " ")
		counts[id]++
		byID[id] = k
	}
	ids := sortedKeys(counts)
	sort.SliceStable(ids, func(i, j int) bool { return counts[ids[i]] > counts[ids[j]] })
	if len(ids) > 5 {
		ids = ids[:5]
	}
	var best []string
	bestKept := -1
	for _, id := range ids {
		kept := 0
		for _, t := range seqs {
			if len(t) <= 256 {
				kept += lcsLen(keysOf(t), byID[id])
			}
		}
		if kept > bestKept {
			best, bestKept = byID[id], kept
		}
	}
	return best
}

func lcsLen(a, b []string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				cur[j] = prev[j+1] + 1
			} else {
				cur[j] = max(prev[j], cur[j+1])
			}
		}
		prev, cur = cur, prev
	}
	return prev[0]
}

func unitKey(s *slot) string {
	if s.key == "spawn" {
		return "spawn:" + s.child
	}
	return s.key
}

// alignInto matches tokens onto slots by the longest common subsequence and adds their samples. A slot
// the tokens lack gets a zero sample (a wait it did not have, no go statement there); a token without a
// slot gives its CPU to the next matched burst and its wait is counted as left out. carry is CPU from
// before the tokens; the CPU of trailing unmatched tokens is returned.
func (c *class) alignInto(toks []token, slots []*slot, carry int64, where string) int64 {
	a := keysOf(toks)
	b := make([]string, len(slots))
	for i, s := range slots {
		b[i] = unitKey(s)
	}
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			slots[j].add(toks[i], toks[i].cpu+carry)
			carry = 0
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			s := slots[j]
			s.cpu = append(s.cpu, carry)
			carry = 0
			if s.key == "spawn" {
				s.spawns = append(s.spawns, 0)
			} else {
				s.wait = append(s.wait, 0)
			}
			j++
		default:
			carry += toks[i].cpu
			c.dropped["extra "+a[i]+where+" (not in the class's usual sequence)"]++
			i++
		}
	}
	return carry
}

func median(v []int) int {
	if len(v) == 0 {
		return 0
	}
	s := append([]int(nil), v...)
	sort.Ints(s)
	return s[len(s)/2]
}

// arrivalProcess: the rate, as many arrivals over the trace's length (the scenario's run.duration) as the
// trace had, and the coefficient of variation of the gaps between creations.
func arrivalProcess(t []int64, traceNs int64) (rate, cv float64) {
	if len(t) < 2 || traceNs <= 0 {
		return 0, 0
	}
	s := append([]int64(nil), t...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	span := float64(s[len(s)-1] - s[0])
	if span <= 0 {
		return 0, 0
	}
	mean := span / float64(len(s)-1)
	var ss float64
	for i := 1; i < len(s); i++ {
		d := float64(s[i]-s[i-1]) - mean
		ss += d * d
	}
	return float64(len(s)) * 1e9 / float64(traceNs), math.Sqrt(ss/float64(len(s)-1)) / mean
}

// clipCPU cuts the class's CPU samples at the level where they total ratio times their sum (a water
// level: every sample above it becomes it); returns the level and how many samples were cut.
func (c *class) clipCPU(ratio float64) (int64, int) {
	var all []*int64
	for _, s := range append(append([]*slot(nil), c.prefix...), c.loop...) {
		for i := range s.cpu {
			all = append(all, &s.cpu[i])
		}
	}
	for i := range c.final {
		all = append(all, &c.final[i])
	}
	sort.Slice(all, func(i, j int) bool { return *all[i] < *all[j] })
	var total int64
	for _, p := range all {
		total += *p
	}
	target := int64(math.Round(float64(total) * ratio))
	// Below the level, samples keep their value; the n-k above it share what is left equally.
	var below int64
	for k := 0; k < len(all); k++ {
		level := (target - below) / int64(len(all)-k)
		if level < *all[k] {
			for _, p := range all[k:] {
				*p = level
			}
			return level, len(all) - k
		}
		below += *all[k]
	}
	return 0, 0
}

// findFanIns marks the fan-outs/fan-ins of the emitted classes (see fanIn).
func findFanIns(classes []*class, byFn map[string]*class, skip func(*class) bool, note func(string, ...any)) {
	for _, p := range classes {
		if skip(p) {
			continue
		}
		for _, section := range [][]*slot{p.prefix, p.loop} {
			for i, s := range section {
				ch := byFn[s.child]
				if s.key != "spawn" || ch == nil || skip(ch) || ch.request || ch.signal != nil || median(s.spawns) < 1 || !onlyCreator(ch, p.fn) {
					continue
				}
				var waits []*slot
				syncs := 0
				for _, w := range section[i+1:] {
					if w.fan == nil && (w.key == "chan" || w.key == "select" || w.key == "sync") && wokenMostlyBy(w, ch.fn) {
						waits = append(waits, w)
						if w.key == "sync" {
							syncs++
						}
					}
				}
				if len(waits) == 0 {
					continue
				}
				f := &fanIn{obj: ch.name + "_done", wg: 2*syncs > len(waits), k: median(s.spawns), waits: len(waits), parent: p.name}
				s.fan = f
				for j, w := range waits {
					w.fan, w.fanIdx = f, j
				}
				ch.signal = f
				kind := "channel"
				if f.wg {
					kind = "WaitGroup"
				}
				note("class %s: its waits woken by the %s goroutines it starts are a fan-in: a %s %s made before the %d go statements, signalled by each %s at its end (the trace does not name the channel or WaitGroup, nor where in the child it was signalled)",
					p.name, ch.name, kind, f.obj, f.k, ch.name)
			}
		}
	}
}

func onlyCreator(c *class, fn string) bool {
	for _, g := range c.gors {
		if g.creator == nil || g.creator.fn != fn {
			return false
		}
	}
	return len(c.gors) > 0
}

func wokenMostlyBy(s *slot, fn string) bool {
	total := 0
	for _, n := range s.wakers {
		total += n
	}
	return total > 0 && 2*s.wakers[fn] >= total
}
