// The workload's synchronisation objects on real fibers: channels, mutexes and WaitGroups.
#pragma once
#include <cstdint>
#include <memory>

#include <boost/fiber/all.hpp>

#include "models/fiber/fiber.h"
#include "models/workload/program.h"

namespace gmpsim::fiberrun {

namespace bf = boost::fibers;
using models::ObjKind;

// Synchronisation objects, global (by index in the Workload's lists) or made by a fiber and shared with
// the fibers it spawns (held by shared_ptr in each holder's locals).
struct WaitGroup {
  bf::mutex mu;
  bf::condition_variable cv;
  std::int64_t counter = 0;
};
struct Object {
  ObjKind kind;
  std::unique_ptr<bf::unbuffered_channel<std::uint64_t>> unbuffered;
  std::unique_ptr<bf::buffered_channel<std::uint64_t>> buffered;
  std::unique_ptr<bf::mutex> mutex;
  std::unique_ptr<WaitGroup> wg;

  Object(ObjKind k, std::int64_t capacity) : kind(k) {
    switch (k) {
      case ObjKind::kChannel:
        // Boost's buffered_channel needs a power of two >= 2 and holds one item less: the model's mapping.
        if (capacity <= 0) unbuffered = std::make_unique<bf::unbuffered_channel<std::uint64_t>>();
        else buffered = std::make_unique<bf::buffered_channel<std::uint64_t>>(models::fiber::boost_channel_capacity(capacity));
        break;
      case ObjKind::kMutex: mutex = std::make_unique<bf::mutex>(); break;
      case ObjKind::kWaitGroup: wg = std::make_unique<WaitGroup>(); break;
    }
  }
  bf::channel_op_status push(std::uint64_t v) { return unbuffered ? unbuffered->push(v) : buffered->push(v); }
  bf::channel_op_status pop(std::uint64_t& v) { return unbuffered ? unbuffered->pop(v) : buffered->pop(v); }
  void close() { unbuffered ? unbuffered->close() : buffered->close(); }
};
using ObjectPtr = std::shared_ptr<Object>;

}  // namespace gmpsim::fiberrun
