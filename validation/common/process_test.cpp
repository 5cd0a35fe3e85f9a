// process::run: output, exit status, signals, timeouts, working directory and environment.
#include <catch2/catch.hpp>

#include "validation/common/process.h"

using gmpsim::process::Options;
using gmpsim::process::run;

TEST_CASE("process::run captures output and says how the child ended", "[process]") {
  Options capture;
  capture.capture_stdout = true;
  const auto echo = run({"/bin/sh", "-c", "echo hello; echo oops >&2"}, capture);
  CHECK(echo.ok());
  CHECK(echo.output == "hello\n");
  Options merged = capture;
  merged.merge_stderr = true;
  CHECK(run({"/bin/sh", "-c", "echo hello; echo oops >&2"}, merged).output == "hello\noops\n");

  const auto failed = run({"/bin/sh", "-c", "exit 3"}, capture);
  CHECK(!failed.ok());
  CHECK(failed.exit_status == 3);
  CHECK(failed.failure() == "exited with status 3");
  const auto killed = run({"/bin/sh", "-c", "kill -9 $$"}, capture);
  CHECK(killed.signal == 9);
  CHECK_THAT(killed.failure(), Catch::StartsWith("crashed: "));

  Options slow = capture;
  slow.timeout_s = 1;
  const auto timed = run({"/bin/sleep", "30"}, slow);
  CHECK(timed.timed_out);
  CHECK(timed.failure() == "timed out after 1 s");
  Options slow_quiet;
  slow_quiet.timeout_s = 1;
  CHECK(run({"/bin/sleep", "30"}, slow_quiet).timed_out);

  Options where = capture;
  where.cwd = "/";
  where.env = {"GMPSIM_PROCESS_TEST=42", "HOME=/nowhere"};
  CHECK(run({"/bin/sh", "-c", "pwd; echo $GMPSIM_PROCESS_TEST $HOME"}, where).output == "/\n42 /nowhere\n");
  CHECK_THROWS_WITH(run({"/no/such/program"}), Catch::Contains("cannot start /no/such/program"));
}
