#include "models/output/atomic.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <streambuf>

#include "models/input/errors.h"

namespace gmpsim::models {
namespace {

// Fallback temporary names the interrupt handler must remove (a fixed table: a handler may not allocate).
constexpr std::size_t kMaxNamed = 32, kMaxPath = 4096;
std::array<std::array<char, kMaxPath>, kMaxNamed> g_named{};
std::array<std::atomic<bool>, kMaxNamed> g_named_used{};
std::array<char, 1024> g_note{};
std::atomic<bool> g_note_ready{false};

int register_named(const std::string& path) {
  if (path.size() >= kMaxPath) return -1;
  for (std::size_t i = 0; i < kMaxNamed; ++i) {
    bool expected = false;
    if (g_named_used[i].load() || !g_named_used[i].compare_exchange_strong(expected, true)) continue;
    std::memcpy(g_named[i].data(), path.c_str(), path.size() + 1);
    return static_cast<int>(i);
  }
  return -1;
}
void unregister_named(const std::string& path) {
  for (std::size_t i = 0; i < kMaxNamed; ++i) {
    if (g_named_used[i].load() && path == g_named[i].data()) g_named_used[i] = false;
  }
}

// Interrupts held off for the life of the object (renames of a set of outputs).
class HoldInterrupts {
 public:
  HoldInterrupts() {
    sigset_t s;
    sigemptyset(&s);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&s, sig);
    pthread_sigmask(SIG_BLOCK, &s, &old_);
  }
  ~HoldInterrupts() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

 private:
  sigset_t old_;
};

void write_all(int fd, const char* s, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<std::size_t>(w);
  }
}

extern "C" void on_interrupt(int sig) {
  for (std::size_t i = 0; i < kMaxNamed; ++i) {
    if (g_named_used[i].load()) ::unlink(g_named[i].data());
  }
  const char* name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP";
  write_all(2, "gmpsim: interrupted (", 21);
  write_all(2, name, std::strlen(name));
  write_all(2, ")", 1);
  if (g_note_ready.load()) {
    write_all(2, "; ", 2);
    write_all(2, g_note.data(), std::strlen(g_note.data()));
  }
  write_all(2, "\n", 1);
  ::_exit(128 + sig);
}

}  // namespace

// A streambuf over a file descriptor that remembers the first write error (ENOSPC, EIO) for prepare().
struct AtomicFile::Buf : std::streambuf {
  explicit Buf(int fd) : fd(fd), data(1 << 16) { setp(data.data(), data.data() + data.size()); }
  int fd;
  int err = 0;
  std::vector<char> data;

  bool drain() {
    const char* p = pbase();
    while (p < pptr()) {
      const ssize_t w = ::write(fd, p, static_cast<std::size_t>(pptr() - p));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        if (err == 0) err = w < 0 ? errno : EIO;
        break;
      }
      p += w;
    }
    setp(data.data(), data.data() + data.size());
    return err == 0;
  }
  int_type overflow(int_type c) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return drain() ? 0 : -1; }
};

AtomicFile::AtomicFile(std::filesystem::path path, std::string option) : path_(std::move(path)), option_(std::move(option)) {
  std::filesystem::path dir = path_.parent_path();
  if (dir.empty()) dir = ".";
  fd_ = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  if (fd_ < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    // No O_TMPFILE on this filesystem: a hidden named file, removed by the destructor or the handler.
    named_tmp_ = (dir / ("." + path_.filename().string() + ".gmpsim-" + std::to_string(::getpid()) + ".tmp")).string();
    fd_ = ::open(named_tmp_.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
    if (fd_ >= 0) register_named(named_tmp_);
  }
  if (fd_ < 0) fail("cannot write in \"" + dir.string() + "\"", errno);
  buf_ = std::make_unique<Buf>(fd_);
  os_ = std::make_unique<std::ostream>(buf_.get());
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !named_tmp_.empty()) {
    ::unlink(named_tmp_.c_str());
    unregister_named(named_tmp_);
  }
}

std::ostream& AtomicFile::stream() { return *os_; }

void AtomicFile::fail(const std::string& what, int err) const {
  throw ScenarioError(option_, what + ": " + std::strerror(err) + (err == ENOSPC ? " (the disk is full; nothing was replaced)" : ""));
}

void AtomicFile::prepare() {
  os_->flush();
  if (buf_->err != 0) fail("cannot write \"" + path_.string() + "\"", buf_->err);
  if (!named_tmp_.empty()) return;  // the fallback already has its name
  // Give the unnamed file a hidden name beside the target (linkat through /proc, which needs no privilege).
  const std::string link = (path_.parent_path().empty() ? std::filesystem::path(".") : path_.parent_path()).string() + "/." +
                           path_.filename().string() + ".gmpsim-" + std::to_string(::getpid()) + ".tmp";
  ::unlink(link.c_str());  // a leftover of an earlier process with this pid
  const std::string proc = "/proc/self/fd/" + std::to_string(fd_);
  register_named(link);
  if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, link.c_str(), AT_SYMLINK_FOLLOW) != 0) {
    const int e = errno;
    unregister_named(link);
    fail("cannot write \"" + path_.string() + "\"", e);
  }
  named_tmp_ = link;
}

void AtomicFile::rename_into_place() {
  if (::rename(named_tmp_.c_str(), path_.c_str()) != 0) fail("cannot replace \"" + path_.string() + "\"", errno);
  unregister_named(named_tmp_);
  committed_ = true;
}

void AtomicFile::commit() { commit_all({this}); }

void commit_all(const std::vector<AtomicFile*>& files) {
  for (AtomicFile* f : files) f->prepare();
  const HoldInterrupts hold;
  for (AtomicFile* f : files) f->rename_into_place();
}

void write_file_atomically(const std::filesystem::path& path, const std::string& content, const std::string& option) {
  AtomicFile f(path, option);
  f.stream() << content;
  f.commit();
}

void set_interrupt_note(const std::string& note) {
  g_note_ready = false;
  const std::size_t n = std::min(note.size(), g_note.size() - 1);
  std::memcpy(g_note.data(), note.data(), n);
  g_note[n] = '\0';
  g_note_ready = true;
}

void install_interrupt_handler(const std::string& note) {
  set_interrupt_note(note);
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

}  // namespace gmpsim::models
