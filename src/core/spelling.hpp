// "Did you mean ...?": the nearest of the names a user could have meant, for
// unknown options, topology keys and node names.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace contain {

// Levenshtein distance: insertions, deletions and substitutions of one byte.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `given` if it is at most `max_distance` edits away
// (the first of equally near ones).
template <typename Range>
std::optional<std::string> closest(std::string_view given, const Range& candidates,
                                   std::size_t max_distance) {
  std::optional<std::string> best;
  std::size_t best_distance = max_distance + 1;
  for (const auto& candidate : candidates) {
    std::string_view name(candidate);
    if (std::size_t d = edit_distance(given, name); d < best_distance) {
      best_distance = d;
      best = std::string(name);
    }
  }
  return best;
}

}  // namespace contain
