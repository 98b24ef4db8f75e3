// Test helpers for the tests against the real broker (ctest label kafka): where it is, and topic
// names no other run or case uses.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

namespace dispatch::testing {

// The broker ctest's kafka fixture starts (DISPATCH_KAFKA_BROKERS), or its default address.
inline std::string kafka_brokers() {
  const char* configured = std::getenv("DISPATCH_KAFKA_BROKERS");
  return configured != nullptr ? configured : "127.0.0.1:19092";
}

// "<prefix>.<pid>.<clock>": a topic of its own for every case, so runs never see each other's
// records.
inline std::string unique_topic(const std::string& prefix) {
  return prefix + "." + std::to_string(::getpid()) + "." +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
}

}  // namespace dispatch::testing
