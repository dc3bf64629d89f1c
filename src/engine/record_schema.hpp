// What each kind of state record must look like. Every record the store reads
// is checked by its kind's typed from_json (engine/record/) before anyone looks
// inside, so that code reading a field always finds it with the type it reads
// it as: a hand-edited or truncated file is an error naming the file, never an
// exception.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "core/error.hpp"

namespace contain::engine {

// Written into every record as "schema"; a record without it is of version 1.
// Version 2 added "phase" (engine/records.hpp) to records, their links and
// attachments; a version 1 record has none, which means whole, and is read as is.
inline constexpr int kRecordSchemaVersion = 2;

// Fails with the reason ("field \"pid\" is not an integer") if `record` is not
// a valid record of `kind`. Kinds without a type of their own need an object.
Status validate_record(std::string_view kind, const nlohmann::json& record);

}  // namespace contain::engine
