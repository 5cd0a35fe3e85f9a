// PerfettoWriter (perfetto.h). The wire format is written with the protobuf library (Debian's
// libprotobuf-dev) from perfetto/perfetto_trace.proto, the subset of Perfetto's published definitions
// gmpsim needs. Each TracePacket is one reused message: filled, serialized into a reused buffer and
// written as field 1 of Trace (a length-delimited record), so a file is a valid `Trace` at every packet
// boundary and nothing is held back. Format reference: perfetto.dev/docs/reference/synthetic-track-event
// (tracks, slices, counters, flows, interning with sequence flags).
#include "models/output/perfetto.h"

#include <cstdio>
#include <ostream>
#include <stdexcept>
#include <unordered_map>

#include "models/input/errors.h"
#include "models/input/units.h"
#include "models/output/atomic.h"
#include "output/perfetto/perfetto_trace.pb.h"  // generated (models/CMakeLists.txt)
#include "google/protobuf/arena.h"
#include "models/run/trace_events.h"

namespace gmpsim::models {

namespace pp = perfetto::protos;

namespace {

// Track uuids: the kind in the top byte, so they never collide and stay the same from run to run.
enum TrackKind : std::uint64_t { kGroup = 0, kCpu = 1, kM = 2, kP = 3, kClass = 4, kGoroutine = 5, kCounterTrack = 6 };
constexpr std::uint64_t uuid(std::uint64_t kind, std::uint64_t index) { return kind << 56 | (index + 1); }
enum Group : std::uint64_t { kCpus = 1, kMs = 2, kPs = 3, kGoroutines = 4, kCounters = 5 };

// Name keys for interning: the kind in the top byte, a number below.
enum NameKind : std::uint64_t { kNmG = 1, kNmGSyscall, kNmGAnon, kNmMState, kNmPState, kNmThread, kNmGState, kNmInstant };
constexpr std::uint64_t key(std::uint64_t kind, std::uint64_t n) { return kind << 56 | n; }
constexpr std::uint64_t kInWake = 0, kInSteal = 1, kInHandoff = 2, kInPreempt0 = 3;  // instants (+ TracePreempt)

const char* m_state_name(std::uint32_t s) {
  switch (s) {
    case kTmIdle: return "idle";
    case kTmScheduling: return "scheduling";
    case kTmSpinning: return "spinning";
    case kTmSyscall: return "syscall";
    case kTmGcWorker: return "GC worker";
    case kTmNetpoll: return "netpoll (blocking)";
    case kTmSysmon: return "sysmon";
    case kTmGcStop: return "GC stop";
    case kTmDead: return "exited";
  }
  return "running";
}
const char* counter_name(std::uint32_t id) {
  switch (id) {
    case kTcRunq: return "runq";
    case kTcGlobalRunq: return "global runq";
    case kTcLive: return "live goroutines";
    case kTcSpinning: return "spinning Ms";
    case kTcHeapLive: return "heap live";
    case kTcHeapGoal: return "heap goal";
    case kTcGcPhase: return "GC phase";
  }
  return "?";
}

google::protobuf::ArenaOptions arena_options(std::vector<char>& block) {
  google::protobuf::ArenaOptions o;
  o.initial_block = block.data();
  o.initial_block_size = block.size();
  return o;
}

}  // namespace

struct PerfettoWriter::Impl {
  Impl(std::ostream& o, const Scenario& sc, PerfettoOptions opt) : out(o), opt(std::move(opt)) {
    for (const GoroutineClass& c : sc.workload.classes) class_names.push_back(c.name);
    cpu_ids = sc.machine.cpus;
  }

  std::ostream& out;
  PerfettoOptions opt;
  std::vector<std::string> class_names;
  std::vector<int> cpu_ids;
  // Each packet is built in an arena whose first block is ours: Reset() after a packet keeps that block,
  // so building packets allocates nothing (a message's oneof and strings would otherwise be freed by
  // Clear() and allocated again for the next packet).
  std::vector<char> block = std::vector<char>(std::size_t{1} << 16);
  google::protobuf::Arena arena{arena_options(block)};
  pp::TracePacket* packet = google::protobuf::Arena::CreateMessage<pp::TracePacket>(&arena);
  std::string buf;
  std::uint64_t packets = 0;
  bool first = true, opened = false, closed = false;
  sim::Time now = 0;
  std::unordered_map<std::uint64_t, std::uint64_t> iids;  // name key -> interned id
  std::unordered_map<std::uint64_t, bool> declared;       // track uuids already described
  std::uint64_t next_flow = 1;

  struct Slice {
    std::uint64_t name = 0;  // interned id of the open slice; 0: none
  };
  std::vector<Slice> cpu, m, p;
  std::vector<std::uint32_t> m_word, m_g, p_state, p_m;
  struct G {
    std::uint32_t cls = kTraceNone;
    Slice slice;
    std::uint64_t wake_flow = 0, steal_flow = 0;
  };
  std::vector<G> g;
  std::vector<std::uint64_t> p_flow;
  struct Counter {
    std::uint64_t track;
    std::int64_t value;
  };
  std::vector<Counter> counters;
  std::unordered_map<std::uint64_t, std::size_t> counter_index;

  template <class T>
  static T& at(std::vector<T>& v, std::size_t i) {
    if (v.size() <= i) v.resize(i + 1);
    return v[i];
  }

  // ---- packets ----
  void write() {
    packet->set_trusted_packet_sequence_id(1);
    if (first) {  // the sequence starts with no interned state
      packet->set_first_packet_on_sequence(true);
      packet->set_sequence_flags(pp::TracePacket::SEQ_INCREMENTAL_STATE_CLEARED);
      first = false;
    } else if (packet->has_track_event()) {
      packet->set_sequence_flags(pp::TracePacket::SEQ_NEEDS_INCREMENTAL_STATE);
    }
    packet->SerializeToString(&buf);
    // Trace.packet (field 1, length-delimited): tag 0x0a, the length as a varint, the bytes.
    char head[11];
    std::size_t n = 0;
    head[n++] = 0x0a;
    for (std::uint64_t len = buf.size();; len >>= 7) {
      head[n++] = static_cast<char>((len & 0x7f) | (len >= 0x80 ? 0x80 : 0));
      if (len < 0x80) break;
    }
    out.write(head, static_cast<std::streamsize>(n));
    out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
    arena.Reset();
    packet = google::protobuf::Arena::CreateMessage<pp::TracePacket>(&arena);
    ++packets;
  }

  std::uint64_t intern(std::uint64_t k) {
    auto it = iids.find(k);
    if (it != iids.end()) return it->second;
    const std::uint64_t iid = iids.size() + 1;
    iids.emplace(k, iid);
    pp::EventName* e = packet->mutable_interned_data()->add_event_names();  // goes out with the event that uses it
    e->set_iid(iid);
    e->set_name(name_of(k));
    return iid;
  }
  std::string name_of(std::uint64_t k) const {
    const std::uint64_t n = k & ((std::uint64_t{1} << 56) - 1);
    switch (k >> 56) {
      case kNmG: return "G" + std::to_string(n);
      case kNmGSyscall: return "G" + std::to_string(n) + " syscall";
      case kNmGAnon: return "G";
      case kNmMState: return m_state_name(static_cast<std::uint32_t>(n));
      case kNmPState: return n == kTpIdle ? "idle" : "GC stop";
      case kNmThread:
        if (n == kTraceNone) return "idle";
        if ((n & kTraceBgBit) != 0) return "other thread " + std::to_string(n & ~kTraceBgBit);
        return "M" + std::to_string(n);
      case kNmGState: {
        switch (n & 0xff) {
          case kTgRunnable: return "runnable";
          case kTgRunning: return "running";
          case kTgSyscall: return "syscall";
          case kTgWaiting: return std::string("waiting: ") + trace_wait_reason_name(static_cast<std::uint32_t>(n >> 8));
        }
        return "?";
      }
      case kNmInstant:
        switch (n) {
          case kInWake: return "goready";
          case kInSteal: return "runqsteal";
          case kInHandoff: return "handoffp";
          case kInPreempt0 + kTpRequest: return "preempt request";
          case kInPreempt0 + kTpSignal: return "SIGURG";
          case kInPreempt0 + kTpAsync: return "async preempt";
        }
    }
    return "?";
  }

  // ---- tracks ----
  void describe(std::uint64_t u) {
    if (declared.count(u) != 0) return;
    declared.emplace(u, true);
    const std::uint64_t kind = u >> 56, index = (u & ((std::uint64_t{1} << 56) - 1)) - 1;
    std::uint64_t parent = 0;
    std::string track_name;
    int rank = 0;
    switch (kind) {
      case kGroup: {
        static const char* const groups[] = {"", "CPUs (kernel)", "Ms (threads)", "Ps", "Goroutines", "Counters"};
        track_name = groups[index + 1];
        rank = static_cast<int>(index);
        break;
      }
      case kCpu:
        parent = uuid(kGroup, kCpus - 1);
        track_name = "CPU " + std::to_string(index < cpu_ids.size() ? cpu_ids[index] : static_cast<int>(index));
        rank = static_cast<int>(index);
        break;
      case kM:
        parent = uuid(kGroup, kMs - 1);
        track_name = "M" + std::to_string(index);
        rank = static_cast<int>(index);
        break;
      case kP:
        parent = uuid(kGroup, kPs - 1);
        track_name = "P" + std::to_string(index);
        rank = static_cast<int>(index);
        break;
      case kClass:
        parent = uuid(kGroup, kGoroutines - 1);
        track_name = "class " + class_names[index];
        rank = static_cast<int>(index);
        break;
      case kGoroutine:
        parent = uuid(kClass, index >> 32);
        track_name = "G" + std::to_string(index & 0xffffffffu);
        rank = static_cast<int>(index & 0x7fffffff);
        break;
      case kCounterTrack: {
        parent = uuid(kGroup, kCounters - 1);
        const auto id = static_cast<std::uint32_t>(index >> 32);
        track_name = counter_name(id);
        if (id == kTcRunq) track_name = "P" + std::to_string(index & 0xffffffffu) + " runq";
        rank = static_cast<int>(id << 16 | (index & 0xffff));
        break;
      }
    }
    if (parent != 0) describe(parent);
    pp::TrackDescriptor* d = packet->mutable_track_descriptor();
    d->set_uuid(u);
    if (parent != 0) d->set_parent_uuid(parent);
    d->set_name(track_name);
    d->set_sibling_order_rank(rank);
    if (kind == kGroup || kind == kClass) d->set_child_ordering(pp::TrackDescriptor::EXPLICIT);
    if (kind == kCounterTrack) {
      const auto id = static_cast<std::uint32_t>(index >> 32);
      d->mutable_counter()->set_unit(id == kTcHeapLive || id == kTcHeapGoal ? pp::CounterDescriptor::UNIT_SIZE_BYTES
                                                                             : pp::CounterDescriptor::UNIT_COUNT);
    }
    write();
  }

  bool in_window() const { return opened && !closed; }

  pp::TrackEvent* event(std::uint64_t track, pp::TrackEvent::Type type, sim::Time t) {
    describe(track);
    packet->set_timestamp(static_cast<std::uint64_t>(t));
    pp::TrackEvent* e = packet->mutable_track_event();
    e->set_type(type);
    e->set_track_uuid(track);
    return e;
  }

  // The open slice of `track` becomes `name_key` (0: none) at time t; flows end at the new slice.
  void set(std::uint64_t track, Slice& s, std::uint64_t name_key, std::uint64_t flow_in = 0, std::uint64_t flow_in2 = 0) {
    if (s.name == name_key) return;
    if (in_window() && s.name != 0) {
      event(track, pp::TrackEvent::TYPE_SLICE_END, now);
      write();
    }
    s.name = name_key;
    if (in_window() && name_key != 0) {
      describe(track);  // its own packet: before the names this event interns
      const std::uint64_t iid = intern(name_key);
      pp::TrackEvent* e = event(track, pp::TrackEvent::TYPE_SLICE_BEGIN, now);
      e->set_name_iid(iid);
      if (flow_in != 0) e->add_terminating_flow_ids(flow_in);
      if (flow_in2 != 0) e->add_terminating_flow_ids(flow_in2);
      write();
    }
  }
  void instant(std::uint64_t track, std::uint64_t name_key, std::uint64_t flow_out, std::uint32_t g_arg,
               std::uint32_t waker = kTraceNone) {
    describe(track);
    const std::uint64_t iid = intern(name_key);
    pp::TrackEvent* e = event(track, pp::TrackEvent::TYPE_INSTANT, now);
    e->set_name_iid(iid);
    if (flow_out != 0) e->add_flow_ids(flow_out);
    auto arg = [&](const char* n, std::uint32_t v) {
      pp::DebugAnnotation* a = e->add_debug_annotations();
      a->set_name(n);
      a->set_uint_value(v);
    };
    if (g_arg != kTraceNone) arg("g", g_arg);
    if (waker != kTraceNone) arg("waker", waker);
    write();
  }
  void counter(std::uint64_t track, std::int64_t v) {
    auto it = counter_index.find(track);
    const bool fresh = it == counter_index.end();
    if (fresh) {
      it = counter_index.emplace(track, counters.size()).first;
      counters.push_back({track, v});
    }
    Counter& c = counters[it->second];
    if (!fresh && c.value == v) return;
    c.value = v;
    if (!in_window()) return;
    event(track, pp::TrackEvent::TYPE_COUNTER, now)->set_counter_value(v);
    write();
  }

  // ---- the window ----
  void advance(sim::Time t) {
    if (!opened && t >= opt.start) {
      opened = true;
      now = opt.start;
      reopen();
    }
    if (!closed && opt.end >= 0 && t >= opt.end) close_all(opt.end);
    now = t;
  }
  void reopen() {  // what was already open when the window starts
    auto again = [&](std::uint64_t track, Slice& s) {
      const std::uint64_t k = s.name;
      s.name = 0;
      set(track, s, k);
    };
    for (std::size_t i = 0; i < cpu.size(); ++i) again(uuid(kCpu, i), cpu[i]);
    for (std::size_t i = 0; i < m.size(); ++i) again(uuid(kM, i), m[i]);
    for (std::size_t i = 0; i < p.size(); ++i) again(uuid(kP, i), p[i]);
    for (std::size_t i = 0; i < g.size(); ++i) {
      if (g[i].slice.name != 0) again(g_track(static_cast<std::uint32_t>(i)), g[i].slice);
    }
    for (Counter& c : counters) {
      event(c.track, pp::TrackEvent::TYPE_COUNTER, now)->set_counter_value(c.value);
      write();
    }
  }
  void close_all(sim::Time t) {
    now = t;
    auto end = [&](std::uint64_t track, Slice& s) {
      if (s.name == 0) return;
      event(track, pp::TrackEvent::TYPE_SLICE_END, t);
      write();
    };
    if (in_window()) {
      for (std::size_t i = 0; i < cpu.size(); ++i) end(uuid(kCpu, i), cpu[i]);
      for (std::size_t i = 0; i < m.size(); ++i) end(uuid(kM, i), m[i]);
      for (std::size_t i = 0; i < p.size(); ++i) end(uuid(kP, i), p[i]);
      for (std::size_t i = 0; i < g.size(); ++i) end(g_track(static_cast<std::uint32_t>(i)), g[i].slice);
    }
    closed = true;
  }

  // ---- the model's records ----
  bool selected(std::uint32_t gid) const {
    if (gid >= g.size() || g[gid].cls == kTraceNone) return false;
    const std::uint32_t cls = g[gid].cls;
    return (opt.classes.empty() || (cls < opt.classes.size() && opt.classes[cls])) && gid % opt.sample == 0;
  }
  std::uint64_t g_track(std::uint32_t gid) const { return uuid(kGoroutine, std::uint64_t{g[gid].cls} << 32 | gid); }
  std::uint64_t m_label(std::uint32_t mi) const {
    if (mi >= m_word.size()) return key(kNmMState, kTmScheduling);
    const std::uint32_t st = m_word[mi] & 0xff, gid = m_g[mi];
    if (st == kTmRunning || st == kTmSyscall) {
      if (!selected(gid)) return key(kNmGAnon, 0);
      return key(st == kTmRunning ? kNmG : kNmGSyscall, gid);
    }
    return key(kNmMState, st);
  }
  // M mi's slice becomes `k`; when goroutine `run` starts running there, the flows waiting for it end here.
  void m_slice(std::uint32_t mi, std::uint64_t k, std::uint32_t run) {
    std::uint64_t f1 = 0, f2 = 0;
    Slice& s = at(m, mi);
    if (run != kTraceNone && s.name != k && run < g.size() && selected(run)) {
      f1 = g[run].wake_flow;
      f2 = g[run].steal_flow;
      g[run].wake_flow = g[run].steal_flow = 0;
    }
    set(uuid(kM, mi), s, k, f1, f2);
  }
  void p_update(std::uint32_t pi) {
    const std::uint32_t st = p_state[pi];
    const std::uint64_t k = st == kTpRunning ? m_label(p_m[pi]) : key(kNmPState, st);
    std::uint64_t flow = 0;
    if (st == kTpRunning && p_m[pi] != kTraceNone && at(p_flow, pi) != 0) {
      flow = p_flow[pi];
      p_flow[pi] = 0;
    }
    set(uuid(kP, pi), at(p, pi), k, in_window() ? flow : 0);
  }

  void on(const sim::TraceRecord& r) {
    if (closed) return;
    advance(r.time);
    if (closed) return;
    switch (r.kind) {
      case kTraceGoStatus: {
        G& gr = at(g, r.a);
        const std::uint32_t cls = r.b & 0xffff, st = (r.b >> 16) & 0xff, reason = r.b >> 24;
        if (gr.cls != cls && gr.slice.name != 0) set(g_track(r.a), gr.slice, 0);  // a recycled id
        gr.cls = cls;
        if (!selected(r.a)) return;
        const std::uint64_t k = st == kTgDead ? 0 : key(kNmGState, st == kTgWaiting ? st | reason << 8 : st);
        set(g_track(r.a), gr.slice, k);
        // It runs on M r.c from now, though the M's slice may only show it after this event (it may even
        // exit within it): show it now, so that its flows end where it runs.
        if (st == kTgRunning && r.c != kTraceNone) m_slice(r.c, key(kNmG, r.a), r.a);
        if (st == kTgDead) gr.wake_flow = gr.steal_flow = 0;
        return;
      }
      case kTraceMState: {
        at(m_word, r.a) = r.b;
        at(m_g, r.a) = r.c;
        m_slice(r.a, m_label(r.a), (r.b & 0xff) == kTmRunning ? r.c : kTraceNone);
        const std::uint32_t pi = (r.b >> 8) - 1;
        if ((r.b >> 8) != 0 && pi < p_state.size() && p_m[pi] == r.a) p_update(pi);
        return;
      }
      case kTracePState:
        at(p_state, r.a) = r.b;
        at(p_m, r.a) = r.c;
        p_update(r.a);
        return;
      case kTraceCpu:
        set(uuid(kCpu, r.a), at(cpu, r.a), r.b == kTraceNone ? 0 : key(kNmThread, r.b));
        return;
      case kTraceCounter: {
        const std::uint32_t id = r.a & 0xff, index = r.a >> 8;
        const auto v = static_cast<std::int64_t>(std::uint64_t{r.b} << 32 | r.c);
        counter(uuid(kCounterTrack, std::uint64_t{id} << 32 | index), v);
        return;
      }
      case kTraceWake: {  // from the waker's M (inside its G's slice) to the woken G's next slice
        if (!selected(r.a) || !in_window()) return;
        // The waker runs now, though the M's slice may only show it after this event (it started running
        // at this instant): show it now, so that the instant lies in its slice.
        if (r.b != kTraceNone) m_slice(r.c, selected(r.b) ? key(kNmG, r.b) : key(kNmGAnon, 0), r.b);
        const std::uint64_t f = next_flow++;
        g[r.a].wake_flow = f;
        instant(uuid(kM, r.c), key(kNmInstant, kInWake), f, r.a, r.b);
        return;
      }
      case kTraceSteal: {  // from the victim P to the stolen G's next slice, on the thief M
        if (!selected(r.c) || !in_window()) return;
        const std::uint64_t f = next_flow++;
        g[r.c].steal_flow = f;
        instant(uuid(kP, r.b), key(kNmInstant, kInSteal), f, r.c);
        return;
      }
      case kTraceHandoff: {  // from the M that lets the P go to the P's next running slice
        if (!in_window()) return;
        const std::uint64_t f = next_flow++;
        at(p_flow, r.a) = f;
        instant(r.b == kTraceNone ? uuid(kP, r.a) : uuid(kM, r.b), key(kNmInstant, kInHandoff), f, kTraceNone);
        return;
      }
      case kTracePreempt:
        if (!in_window()) return;
        instant(uuid(kM, r.a), key(kNmInstant, kInPreempt0 + r.c), 0, r.b);
        return;
      default: return;  // the goroutine kinds: GoStatus says more
    }
  }
};

PerfettoWriter::PerfettoWriter(std::ostream& out, const Scenario& sc, PerfettoOptions options)
    : impl_(std::make_unique<Impl>(out, sc, std::move(options))) {
  impl_->describe(uuid(kGroup, kCpus - 1));  // the first packet: the sequence's start
}
PerfettoWriter::~PerfettoWriter() = default;
void PerfettoWriter::on_trace(const sim::TraceRecord& r) { impl_->on(r); }
std::uint64_t PerfettoWriter::packets() const { return impl_->packets; }

void PerfettoWriter::finish(sim::Time end) {
  Impl& w = *impl_;
  if (!w.closed) {
    if (w.opt.end >= 0 && w.opt.end < end) end = w.opt.end;
    if (end < w.opt.start) end = w.opt.start;
    w.advance(end);
    if (!w.closed) w.close_all(end);
  }
  w.out.flush();
  if (!w.out) throw std::runtime_error("writing the Perfetto trace failed");
}

struct PerfettoFile::Impl {
  std::unique_ptr<AtomicFile> file;  // unnamed until commit: a killed run leaves nothing (atomic.h)
  std::unique_ptr<PerfettoWriter> writer;
};

PerfettoFile::PerfettoFile(const std::string& path, const Scenario& sc, PerfettoOptions options) : impl_(std::make_unique<Impl>()) {
  if (sc.runtime.model != "go") {
    throw ScenarioError("--perfetto", "Perfetto traces need the go model's scheduler detail; this scenario runs `" +
                                          sc.runtime.model + "` (set runtime.model=go, or use --trace for a CSV)");
  }
  impl_->file = std::make_unique<AtomicFile>(path, "--perfetto");
  impl_->writer = std::make_unique<PerfettoWriter>(impl_->file->stream(), sc, std::move(options));
}
PerfettoFile::~PerfettoFile() = default;
sim::TraceObserver* PerfettoFile::observer() { return impl_->writer.get(); }
std::uint64_t PerfettoFile::packets() const { return impl_->writer->packets(); }
void PerfettoFile::commit(sim::Time end) {
  impl_->writer->finish(end);
  impl_->file->commit();  // a full disk is reported here, naming --perfetto
}

PerfettoOptions perfetto_options(const Scenario& sc, const std::string& window, const std::string& classes, std::int64_t sample) {
  PerfettoOptions o;
  if (!window.empty()) {
    const std::size_t colon = window.find(':');
    if (colon == std::string::npos) {
      throw ScenarioError("--perfetto-window", "\"" + window + "\" is not START:END; write e.g. 1s:1.5s, :200ms or 2s:");
    }
    try {
      const std::string a = window.substr(0, colon), b = window.substr(colon + 1);
      if (!a.empty()) o.start = parse_duration(a);
      if (!b.empty()) o.end = parse_duration(b);
    } catch (const UnitError& e) {
      throw ScenarioError("--perfetto-window", std::string(e.what()) + "; write START:END with units, e.g. 1s:1.5s");
    }
    if (o.end >= 0 && o.end <= o.start) {
      throw ScenarioError("--perfetto-window", "END must be after START in \"" + window + "\"");
    }
  }
  if (!classes.empty()) {
    o.classes.assign(sc.workload.classes.size(), false);
    std::size_t from = 0;
    while (from <= classes.size()) {
      const std::size_t comma = std::min(classes.find(',', from), classes.size());
      const std::string name = classes.substr(from, comma - from);
      bool found = false;
      for (std::size_t i = 0; i < sc.workload.classes.size(); ++i) {
        if (sc.workload.classes[i].name == name) o.classes[i] = found = true;
      }
      if (!found) {
        std::string known;
        for (const GoroutineClass& c : sc.workload.classes) known += (known.empty() ? "" : ", ") + c.name;
        throw ScenarioError("--perfetto-classes", "no class `" + name + "` in the scenario; its classes are: " + known);
      }
      from = comma + 1;
    }
  }
  if (sample < 1) throw ScenarioError("--perfetto-sample", "must be 1 or more (1 keeps every goroutine), not " + std::to_string(sample));
  o.sample = static_cast<std::uint32_t>(sample);
  return o;
}

}  // namespace gmpsim::models
