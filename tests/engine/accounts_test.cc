// Passwords in the seed's account scheme (engine/accounts.h): argon2id hashes that verify only
// their own password and differ by salt, the initial password that is the account number, the
// policy for a new password, and session tokens.
#define BOOST_TEST_MODULE accounts
#include "engine/accounts.h"

#include <boost/test/unit_test.hpp>
#include <set>

#include "tests/support/print.h"

using namespace dispatch;
using accounts::HashCost;

namespace {
const AccountId kTechnician("S21009110002");

std::string hash(std::string_view password) {
  auto h = accounts::hash_password(password, HashCost::minimum);
  BOOST_TEST_REQUIRE(h.ok(), (h.ok() ? "" : h.error().message));
  return *h;
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_hash_verifies_its_own_password_and_no_other) {
  std::string h = hash("correct horse");
  BOOST_TEST(h.rfind("$argon2id$", 0) == 0, h);
  BOOST_TEST(h.find("correct horse") == std::string::npos);
  BOOST_TEST(accounts::password_matches(kTechnician, h, "correct horse"));
  BOOST_TEST(!accounts::password_matches(kTechnician, h, "correct hors"));
  BOOST_TEST(!accounts::password_matches(kTechnician, h, "correct horse "));
  BOOST_TEST(!accounts::password_matches(kTechnician, h, ""));
  // Once a password is stored, the account number is no longer it.
  BOOST_TEST(!accounts::password_matches(kTechnician, h, kTechnician.str()));
}

BOOST_AUTO_TEST_CASE(two_hashes_of_one_password_differ_by_their_salt_and_both_verify) {
  std::string a = hash("测试员2的新密码");
  std::string b = hash("测试员2的新密码");
  BOOST_TEST(a != b);
  BOOST_TEST(accounts::password_matches(kTechnician, a, "测试员2的新密码"));
  BOOST_TEST(accounts::password_matches(kTechnician, b, "测试员2的新密码"));
}

BOOST_AUTO_TEST_CASE(the_interactive_cost_hashes_and_verifies_too) {
  auto h = accounts::hash_password("interactive-password", HashCost::interactive);
  BOOST_TEST_REQUIRE(h.ok());
  BOOST_TEST(accounts::password_matches(kTechnician, *h, "interactive-password"));
  BOOST_TEST(*h != hash("interactive-password"));  // different parameters in the string
}

BOOST_AUTO_TEST_CASE(without_a_stored_hash_the_password_is_exactly_the_account_number) {
  const std::optional<std::string> none;
  BOOST_TEST(accounts::password_matches(kTechnician, none, "S21009110002"));
  BOOST_TEST(!accounts::password_matches(kTechnician, none, "S2100911000"));
  BOOST_TEST(!accounts::password_matches(kTechnician, none, "S210091100022"));
  BOOST_TEST(!accounts::password_matches(kTechnician, none, "s21009110002"));
  BOOST_TEST(!accounts::password_matches(kTechnician, none, " S21009110002"));
  BOOST_TEST(!accounts::password_matches(kTechnician, none, ""));
  BOOST_TEST(accounts::password_matches(AccountId("S2100911-01"), none, "S2100911-01"));
  BOOST_TEST(!accounts::password_matches(AccountId("S2100911-01"), none, "S21009110002"));
}

BOOST_AUTO_TEST_CASE(a_new_password_of_eight_characters_or_more_is_accepted) {
  BOOST_TEST(accounts::check_new_password(kTechnician, "abcdefgh").ok());
  BOOST_TEST(accounts::check_new_password(kTechnician, "a much longer passphrase").ok());
  // Eight Chinese characters are eight characters (24 bytes of UTF-8).
  BOOST_TEST(accounts::check_new_password(kTechnician, "珠海客服中心网点").ok());
  BOOST_TEST(accounts::check_new_password(kTechnician, std::string(256, 'x')).ok());
}

BOOST_AUTO_TEST_CASE(a_new_password_under_eight_characters_is_refused_naming_the_field) {
  for (std::string_view refused : {"", "a", "abcdefg", "珠海客服中心网", "1234567"}) {
    Status s = accounts::check_new_password(kTechnician, refused);
    BOOST_TEST_REQUIRE(!s.ok(), refused);
    BOOST_TEST(s.error().code == ErrorCode::invalid);
    BOOST_TEST(s.error().field == "new_password");
    BOOST_TEST(s.error().message.find("8 characters") != std::string::npos, s.error().message);
  }
  // Seven Chinese characters are 21 bytes but still seven characters.
  BOOST_TEST(!accounts::check_new_password(kTechnician, "珠海客服中心网").ok());
}

BOOST_AUTO_TEST_CASE(a_new_password_equal_to_the_account_number_is_refused) {
  Status s = accounts::check_new_password(kTechnician, "S21009110002");
  BOOST_TEST_REQUIRE(!s.ok());
  BOOST_TEST(s.error().code == ErrorCode::invalid);
  BOOST_TEST(s.error().field == "new_password");
  BOOST_TEST(s.error().message.find("account number") != std::string::npos, s.error().message);
  // Another account's number is only a password like any other.
  BOOST_TEST(accounts::check_new_password(AccountId("S21009110001"), "S21009110002").ok());
}

BOOST_AUTO_TEST_CASE(a_new_password_longer_than_the_limit_is_refused) {
  Status s = accounts::check_new_password(kTechnician, std::string(257, 'x'));
  BOOST_TEST_REQUIRE(!s.ok());
  BOOST_TEST(s.error().code == ErrorCode::invalid);
  BOOST_TEST(s.error().field == "new_password");
}

BOOST_AUTO_TEST_CASE(a_token_is_64_hex_digits_and_new_each_call) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string t = accounts::random_token();
    BOOST_TEST_REQUIRE(t.size() == 64u, t);
    BOOST_TEST(t.find_first_not_of("0123456789abcdef") == std::string::npos, t);
    seen.insert(t);
  }
  BOOST_TEST(seen.size() == 100u);
}
