// What a run of many commands in one process (`contain batch`) keeps from one
// command to the next: the state store's lock with its records in memory
// (StateStore::Hold), and one netlink socket per network namespace
// (kernel::NetlinkSocketCache). Commands run under it exactly as alone: they
// still take the lock and open their sockets, and get the kept ones.
#pragma once

#include <memory>

#include "core/error.hpp"
#include "engine/state.hpp"

namespace contain::kernel {
class NetlinkSocketCache;
}

namespace contain::engine {

class BatchSession {
 public:
  // Waits for the store's lock, as a command does.
  static Result<BatchSession> begin();
  BatchSession(BatchSession&&) noexcept;
  BatchSession& operator=(BatchSession&&) noexcept;
  ~BatchSession();

 private:
  explicit BatchSession(StateStore::Hold hold);
  StateStore::Hold hold_;
  std::unique_ptr<kernel::NetlinkSocketCache> sockets_;  // closed before the lock goes
};

}  // namespace contain::engine
