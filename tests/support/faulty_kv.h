// A Kv for fault injection: passes everything to an in-memory Kv, but fails writes while `fail`
// is set and syncs of the log while `fail_sync` is, and counts the writes that reach it (so a
// test can see commands share writes).
#pragma once

#include <atomic>
#include <memory>

#include "engine/store/kv.h"

namespace dispatch::testing {

class FaultyKv : public ForwardingKv {
 public:
  explicit FaultyKv(std::shared_ptr<std::atomic<bool>> fail,
                    std::shared_ptr<std::atomic<int>> writes = std::make_shared<std::atomic<int>>())
      : ForwardingKv(make_memory_kv()), fail_(std::move(fail)), writes_(std::move(writes)) {}
  Status write(const WriteSet& w, bool durable) override {
    if (*fail_) return make_error(ErrorCode::unavailable, "disk full (injected)");
    ++*writes_;
    return ForwardingKv::write(w, durable);
  }
  Status sync_log() override {
    if (*fail_sync) return make_error(ErrorCode::unavailable, "fsync failed (injected)");
    return ForwardingKv::sync_log();
  }

  std::shared_ptr<std::atomic<bool>> fail_sync = std::make_shared<std::atomic<bool>>(false);

 private:
  std::shared_ptr<std::atomic<bool>> fail_;
  std::shared_ptr<std::atomic<int>> writes_;
};

}  // namespace dispatch::testing
