// A fast reader of the log's stored records (schemas/README.md) for replays, which read every
// record: it decodes the text straight into an Event instead of building a JSON document and
// reading that, which was most of what a rebuild spent per record.
//
// It knows the order events in the form the engine stores them: to_json's fields plus prev_hash
// and hash, as dump() spells them (keys sorted, no whitespace, strings without escapes). For any
// other record (the organisation's events, an escaped string, a field it does not expect, a value
// the general reader would refuse) it answers nullopt, and the caller reads the record the
// general way (json::parse and event_from_json), which also words the error. For every record it
// decodes, the Event equals the general way's.
#pragma once

#include <optional>
#include <string_view>

#include "engine/event.h"

namespace dispatch {

std::optional<Event> decode_event_record(std::string_view record);

}  // namespace dispatch
