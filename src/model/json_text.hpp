// JSON as text, for every place contain writes JSON (records, --json, CNI).
// Strings come from users (commands, hostnames, CNI_ARGS) and need not be
// UTF-8; nlohmann's dump() throws on such bytes and would abort a command
// half-way. Here an invalid byte becomes U+FFFD instead.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace contain::model {

inline std::string json_text(const nlohmann::json& value, int indent = -1) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace contain::model
