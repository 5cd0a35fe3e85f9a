// Outputs that appear complete or not at all, whatever stops the process.
//
// An AtomicFile's bytes go to an unnamed file in the target's directory (open(2) with O_TMPFILE): if the
// process dies before commit() (SIGKILL, a crash, a full disk) the kernel frees it and nothing is left
// behind, not even a .tmp. commit() gives it a name with linkat(2) and renames it over the target, so a
// reader sees the old file or the new one, never half of either. Where the filesystem has no O_TMPFILE
// the bytes go to a hidden named file instead (`.NAME.gmpsim-PID.tmp`), which the destructor and the
// interrupt handler remove.
//
// commit_all() renames a set of files with SIGINT, SIGTERM and SIGHUP held off, so an interrupt lands
// before the set is replaced (the previous outputs stay) or after (the new ones are complete).
#pragma once
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace gmpsim::models {

class AtomicFile {
 public:
  // Throws ScenarioError naming `option` (--out, --trace) when the directory cannot hold the file.
  AtomicFile(std::filesystem::path path, std::string option);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ostream& stream();
  const std::filesystem::path& path() const { return path_; }
  // Flushes and checks every write (a full disk is reported here, with the system's reason), then links
  // the file under a temporary name. rename_into_place() finishes; commit() does both.
  void prepare();
  void rename_into_place();
  void commit();

 private:
  struct Buf;
  std::filesystem::path path_;
  std::string option_;
  std::string named_tmp_;  // the fallback's name, or the link made by prepare()
  int fd_ = -1;
  std::unique_ptr<Buf> buf_;
  std::unique_ptr<std::ostream> os_;
  bool committed_ = false;
  [[noreturn]] void fail(const std::string& what, int err) const;
};

// Commits several files as one set: all are prepared (any failure leaves every target as it was), then
// renamed in order with interrupts held off. Put the file whose presence means "complete" last.
void commit_all(const std::vector<AtomicFile*>& files);

// Writes `content` to `path` as an AtomicFile; ScenarioError naming `option` when it cannot.
void write_file_atomically(const std::filesystem::path& path, const std::string& content, const std::string& option = "--out");

// SIGINT, SIGTERM and SIGHUP end the process at once (exit status 130, 143, 129) with one line on stderr:
// "gmpsim: interrupted (SIGINT); " + note. Uncommitted AtomicFiles vanish with the process, so `note`
// says what the outputs are left as. Called by the CLI; set_interrupt_note() updates the note.
void install_interrupt_handler(const std::string& note);
void set_interrupt_note(const std::string& note);

}  // namespace gmpsim::models
