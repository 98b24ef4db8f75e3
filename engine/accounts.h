// Passwords, in the seed's account scheme: an account is a unit's or a staff member's number (or
// the bootstrap `admin`), and its initial password is that same number. A changed password is
// kept only as an argon2id hash (libsodium's crypto_pwhash_str, salt and parameters inside) in the
// store's `accounts` space, written by the engine in the same atomic write as the PasswordChanged
// event and removed with PasswordReset; the log records only that it happened. An account with no
// stored hash has its initial password and must change it after logging in.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/ids.h"
#include "engine/status.h"

namespace dispatch::accounts {

inline constexpr std::size_t kMinPasswordLength = 8;
inline constexpr std::size_t kMaxPasswordLength = 256;

// How expensive a hash is. `interactive` is libsodium's interactive preset (about 64 MiB and a
// tenth of a second), for real use; `minimum` is its smallest, for tests that log in thousands of
// times. Verification uses whatever cost the stored hash names.
enum class HashCost { interactive, minimum };

// The argon2id hash of `password` as libsodium's self-describing string. `unavailable` when the
// memory it needs cannot be had. Thread-safe.
Result<std::string> hash_password(std::string_view password, HashCost cost);

// Whether `password` is the account's password: the stored hash when there is one, otherwise the
// initial password (the account number). Thread-safe.
bool password_matches(const AccountId& account, const std::optional<std::string>& stored_hash,
                      std::string_view password);

// Why `password` cannot become `account`'s password (`invalid`, field "new_password"): shorter
// than kMinPasswordLength characters, longer than kMaxPasswordLength bytes, or the account number.
Status check_new_password(const AccountId& account, std::string_view password);

// A random token of 32 bytes as 64 hexadecimal digits, for sessions.
std::string random_token();

}  // namespace dispatch::accounts
