#pragma once

#include <functional>
#include <utility>
#include <vector>

namespace contain {

// Collects the reverse of each completed step of a multi-step operation. Unless
// commit() is called, the steps are undone in reverse order when it goes out of
// scope. Undo steps must not fail loudly: they are best effort by nature.
class Undo {
 public:
  Undo() = default;
  Undo(const Undo&) = delete;
  Undo& operator=(const Undo&) = delete;
  ~Undo() { run(); }

  void add(std::function<void()> step) { steps_.push_back(std::move(step)); }
  void commit() { steps_.clear(); }
  // Runs the undo steps now (for callers that must roll back before returning).
  void run() {
    while (!steps_.empty()) {
      auto step = std::move(steps_.back());
      steps_.pop_back();
      step();
    }
  }

 private:
  std::vector<std::function<void()>> steps_;
};

}  // namespace contain
