// Golden files: a value's JSON compared with tests/unit/golden/NAME.json.
// UPDATE_GOLDEN=1 writes the files instead (then review them with git diff).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "core/error.hpp"
#include "model/json_text.hpp"

namespace contain::golden {

inline std::filesystem::path dir() { return CONTAIN_GOLDEN_DIR; }

inline bool updating() {
  const char* update = std::getenv("UPDATE_GOLDEN");
  return update && std::string_view(update) == "1";
}

// What a user sees for a refused input: the line contain prints, and the exit status.
inline nlohmann::json error_json(const Error& e) {
  return {{"error", "contain: " + e.for_user()}, {"exit_code", e.exit_code()}};
}

template <class T, class ToJson>
nlohmann::json result_json(const Result<T>& result, ToJson to_json) {
  return result ? to_json(*result) : error_json(result.error());
}

inline void expect_matches(const std::string& name, const nlohmann::json& actual) {
  std::string text = model::json_text(actual, 2) + "\n";
  auto path = dir() / (name + ".json");
  if (updating()) {
    std::ofstream(path) << text;
    return;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << path << " is missing: run the unit tests with UPDATE_GOLDEN=1 to write it";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(expected.str(), text) << "differs from " << path
                                  << " (UPDATE_GOLDEN=1 rewrites it, if the change is meant)";
}

}  // namespace contain::golden
