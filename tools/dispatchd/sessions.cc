#include "tools/dispatchd/sessions.h"

#include <ctime>

#include "engine/accounts.h"

namespace dispatch::daemon {

std::string to_rfc3339(TimePoint t) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Sessions::Sessions(std::chrono::seconds ttl, Now now) : ttl_(ttl), now_(std::move(now)) {}

std::optional<TimePoint> Sessions::locked_until(const AccountId& account) {
  std::lock_guard lock(mutex_);
  auto it = failures_.find(account);
  if (it == failures_.end() || it->second.locked_until <= now_()) return std::nullopt;
  return it->second.locked_until;
}

void Sessions::record_failure(const AccountId& account) {
  std::lock_guard lock(mutex_);
  Failures& f = failures_[account];
  TimePoint now = now_();
  if (f.locked_until != TimePoint{} && f.locked_until <= now) f = Failures{};  // lock ran out
  if (++f.count >= kMaxFailedLogins && f.locked_until == TimePoint{}) {
    f.locked_until = now + kLockout;
  }
}

std::string Sessions::open(const AccountId& account, bool must_change_password) {
  std::string token = accounts::random_token();
  std::lock_guard lock(mutex_);
  TimePoint now = now_();
  failures_.erase(account);
  sessions_[token] = Session{account, now + ttl_, must_change_password};
  // Expired sessions are dropped now and then, so abandoned logins do not pile up.
  if (++opened_ % 1024 == 0) sweep_expired(now);
  return token;
}

Result<Session> Sessions::find(const std::string& token) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(token);
  if (it == sessions_.end()) {
    return make_error(ErrorCode::unauthenticated, "not logged in: unknown token; log in again",
                      "token");
  }
  if (it->second.expires <= now_()) {
    sessions_.erase(it);
    return make_error(ErrorCode::unauthenticated, "the session has expired; log in again", "token");
  }
  return it->second;
}

void Sessions::close(const std::string& token) {
  std::lock_guard lock(mutex_);
  sessions_.erase(token);
}

void Sessions::password_changed(const AccountId& account) {
  std::lock_guard lock(mutex_);
  for (auto& [token, session] : sessions_) {
    if (session.account == account) session.must_change_password = false;
  }
}

void Sessions::password_reset(const AccountId& account) {
  std::lock_guard lock(mutex_);
  std::erase_if(sessions_, [&](const auto& entry) { return entry.second.account == account; });
  failures_.erase(account);
}

void Sessions::sweep_expired(TimePoint now) {
  std::erase_if(sessions_, [&](const auto& entry) { return entry.second.expires <= now; });
}

}  // namespace dispatch::daemon
