// Logged-in sessions and failed-login lockouts of dispatchd, kept in memory: a restart logs
// everyone out and forgets failed attempts (passwords themselves are in the store).
//
// A session is a random token naming an account, valid until its expiry. Five failed logins in a
// row lock an account for 15 minutes; a successful login or a password reset clears the count.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "engine/ids.h"
#include "engine/status.h"

namespace dispatch::daemon {

using TimePoint = std::chrono::system_clock::time_point;
using Now = std::function<TimePoint()>;

inline constexpr int kMaxFailedLogins = 5;
inline constexpr std::chrono::minutes kLockout{15};

struct Session {
  AccountId account;
  TimePoint expires;
  bool must_change_password = false;  // logged in with the initial password
};

// RFC 3339 in UTC with seconds, e.g. 2026-11-27T08:00:00Z.
std::string to_rfc3339(TimePoint t);

class Sessions {
 public:
  explicit Sessions(std::chrono::seconds ttl, Now now = std::chrono::system_clock::now);

  // When the account is locked now: the time it unlocks.
  std::optional<TimePoint> locked_until(const AccountId& account);
  // Counts a failed login (or a wrong old password); the fifth in a row locks the account.
  void record_failure(const AccountId& account);

  // Opens a session after a successful login (clearing the failure count); returns its token.
  std::string open(const AccountId& account, bool must_change_password);
  // The session of `token`: `unauthenticated` when there is none or it has expired.
  Result<Session> find(const std::string& token);
  void close(const std::string& token);
  // After the account's password changed: its sessions no longer need to change it.
  void password_changed(const AccountId& account);
  // After a reset: the account's sessions end and its lockout is lifted.
  void password_reset(const AccountId& account);

  TimePoint now() const { return now_(); }

 private:
  void sweep_expired(TimePoint now);  // caller holds mutex_

  struct Failures {
    int count = 0;
    TimePoint locked_until{};
  };
  std::chrono::seconds ttl_;
  Now now_;
  std::mutex mutex_;
  std::unordered_map<std::string, Session> sessions_;  // token -> session
  std::unordered_map<AccountId, Failures> failures_;
  std::uint64_t opened_ = 0;
};

}  // namespace dispatch::daemon
