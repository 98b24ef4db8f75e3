// What the Kafka log's sources (kafka_log.cc, publisher.cc) share about calling librdkafka's C
// API. Internal to engine/kafka: other code uses kafka_log.h.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/kafka/kafka_log.h"

namespace dispatch::kafka::detail {

// librdkafka settings by name, in the order they are set.
using Settings = std::vector<std::pair<std::string, std::string>>;
using GroupMetadata = std::unique_ptr<rd_kafka_consumer_group_metadata_t,
                                      decltype(&rd_kafka_consumer_group_metadata_destroy)>;

// `unavailable`, saying "what: why".
Error unavailable(const std::string& what, const std::string& why);
// A duration as the int milliseconds librdkafka takes.
int milliseconds(std::chrono::milliseconds d);
// A client of `type` with the brokers and `settings`; `customize` sets what Settings cannot name
// (callbacks). `invalid` when librdkafka refuses a setting or the client.
Result<rd_kafka_t*> make_client(rd_kafka_type_t type, const KafkaOptions& options,
                                Settings settings,
                                const std::function<void(rd_kafka_conf_t*)>& customize = {});
// The message of an rd_kafka_error_t, which it frees.
std::string take_message(rd_kafka_error_t* error);
// Partitions as people read them: "0, 2 and 5".
std::string partition_list(const std::vector<std::uint32_t>& partitions);

}  // namespace dispatch::kafka::detail
