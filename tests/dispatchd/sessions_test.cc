// dispatchd's sessions and lockouts (tools/dispatchd/sessions.h) on a clock the test moves: tokens
// valid until their expiry, five failed logins locking an account for 15 minutes, and what a
// password change or reset does to the account's sessions.
#define BOOST_TEST_MODULE sessions
#include "tools/dispatchd/sessions.h"

#include <boost/test/unit_test.hpp>

#include "tests/support/print.h"

using namespace dispatch;
using namespace dispatch::daemon;
using namespace std::chrono_literals;

namespace {
const AccountId kTechnician("S21009110002");
const AccountId kHelper("S21009110001");

struct Fixture {
  TimePoint now = TimePoint(std::chrono::sys_days(std::chrono::year(2015) / 1 / 8)) + 9h;
  Sessions sessions{std::chrono::hours(1), [this] { return now; }};

  ErrorCode code_of(const std::string& token) {
    auto s = sessions.find(token);
    BOOST_TEST_REQUIRE(!s.ok(), "the session of " + token + " is still valid");
    return s.error().code;
  }
  void fail(const AccountId& account, int times) {
    for (int i = 0; i < times; ++i) sessions.record_failure(account);
  }
};
}  // namespace

BOOST_AUTO_TEST_CASE(times_are_written_in_rfc3339_utc) {
  TimePoint t = TimePoint(std::chrono::sys_days(std::chrono::year(2015) / 1 / 8)) + 1h + 30min;
  BOOST_TEST(to_rfc3339(t) == "2015-01-08T01:30:00Z");
}

BOOST_FIXTURE_TEST_CASE(a_token_is_valid_until_its_ttl_then_unauthenticated, Fixture) {
  std::string token = sessions.open(kTechnician, false);
  BOOST_TEST(token.size() == 64u);
  auto s = sessions.find(token);
  BOOST_TEST_REQUIRE(s.ok());
  BOOST_TEST(s->account == kTechnician);
  BOOST_TEST((s->expires == now + 1h));
  BOOST_TEST(!s->must_change_password);

  now += 59min + 59s;
  BOOST_TEST(sessions.find(token).ok());
  now += 1s;  // exactly the expiry
  auto expired = sessions.find(token);
  BOOST_TEST_REQUIRE(!expired.ok());
  BOOST_TEST(expired.error().code == ErrorCode::unauthenticated);
  BOOST_TEST(expired.error().message.find("expired") != std::string::npos);
  // Gone for good: turning the clock back does not revive it.
  now -= 30min;
  BOOST_TEST(code_of(token) == ErrorCode::unauthenticated);
}

BOOST_FIXTURE_TEST_CASE(an_unknown_token_is_unauthenticated, Fixture) {
  BOOST_TEST(code_of("") == ErrorCode::unauthenticated);
  BOOST_TEST(code_of(std::string(64, '0')) == ErrorCode::unauthenticated);
  std::string token = sessions.open(kTechnician, false);
  BOOST_TEST(code_of(token + "0") == ErrorCode::unauthenticated);
}

BOOST_FIXTURE_TEST_CASE(each_login_gets_its_own_token_and_logout_closes_only_that_one, Fixture) {
  std::string phone = sessions.open(kTechnician, false);
  std::string desk = sessions.open(kTechnician, false);
  BOOST_TEST(phone != desk);
  sessions.close(phone);
  BOOST_TEST(code_of(phone) == ErrorCode::unauthenticated);
  BOOST_TEST(sessions.find(desk).ok());
  sessions.close("no such token");  // harmless
}

BOOST_FIXTURE_TEST_CASE(four_failures_then_a_success_clear_the_count, Fixture) {
  fail(kTechnician, 4);
  BOOST_TEST(!sessions.locked_until(kTechnician).has_value());
  (void)sessions.open(kTechnician, false);
  // The count starts again: four more failures still do not lock.
  fail(kTechnician, 4);
  BOOST_TEST(!sessions.locked_until(kTechnician).has_value());
  fail(kTechnician, 1);
  BOOST_TEST(sessions.locked_until(kTechnician).has_value());
}

BOOST_FIXTURE_TEST_CASE(five_failures_in_a_row_lock_the_account_for_15_minutes, Fixture) {
  fail(kTechnician, 5);
  auto until = sessions.locked_until(kTechnician);
  BOOST_TEST_REQUIRE(until.has_value());
  BOOST_TEST((*until == now + 15min));
  BOOST_TEST(!sessions.locked_until(kHelper).has_value());  // only that account

  TimePoint locked_at = now;
  now += 14min + 59s;
  BOOST_TEST_REQUIRE(sessions.locked_until(kTechnician).has_value());
  BOOST_TEST((*sessions.locked_until(kTechnician) == locked_at + 15min));
  now = locked_at + 15min;
  BOOST_TEST(!sessions.locked_until(kTechnician).has_value());

  // After the lock ran out the count starts afresh: one failure does not lock again.
  fail(kTechnician, 1);
  BOOST_TEST(!sessions.locked_until(kTechnician).has_value());
  fail(kTechnician, 4);
  BOOST_TEST(sessions.locked_until(kTechnician).has_value());
}

BOOST_FIXTURE_TEST_CASE(failures_while_locked_do_not_extend_the_lock, Fixture) {
  fail(kTechnician, 5);
  TimePoint locked_at = now;
  now += 10min;
  fail(kTechnician, 3);
  BOOST_TEST_REQUIRE(sessions.locked_until(kTechnician).has_value());
  BOOST_TEST((*sessions.locked_until(kTechnician) == locked_at + 15min));
}

BOOST_FIXTURE_TEST_CASE(a_password_reset_ends_the_sessions_and_lifts_the_lock, Fixture) {
  std::string phone = sessions.open(kTechnician, false);
  std::string desk = sessions.open(kTechnician, false);
  std::string helper = sessions.open(kHelper, false);
  fail(kTechnician, 5);
  BOOST_TEST(sessions.locked_until(kTechnician).has_value());

  sessions.password_reset(kTechnician);
  BOOST_TEST(code_of(phone) == ErrorCode::unauthenticated);
  BOOST_TEST(code_of(desk) == ErrorCode::unauthenticated);
  BOOST_TEST(!sessions.locked_until(kTechnician).has_value());
  BOOST_TEST(sessions.find(helper).ok());  // other accounts keep theirs
  // The count is gone too: four failures after the reset do not lock.
  fail(kTechnician, 4);
  BOOST_TEST(!sessions.locked_until(kTechnician).has_value());
}

BOOST_FIXTURE_TEST_CASE(a_password_change_clears_must_change_on_the_accounts_sessions, Fixture) {
  std::string first = sessions.open(kTechnician, true);
  std::string second = sessions.open(kTechnician, true);
  std::string helper = sessions.open(kHelper, true);
  BOOST_TEST(sessions.find(first)->must_change_password);

  sessions.password_changed(kTechnician);
  BOOST_TEST(!sessions.find(first)->must_change_password);
  BOOST_TEST(!sessions.find(second)->must_change_password);
  BOOST_TEST(sessions.find(helper)->must_change_password);
  // A change does not end sessions nor move their expiry.
  BOOST_TEST((sessions.find(first)->expires == now + 1h));
}
