#include "engine/accounts.h"

#include <sodium.h>

namespace dispatch::accounts {
namespace {

// libsodium must be initialised once before use; sodium_init is itself safe to call repeatedly
// and from several threads.
bool sodium_ready() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

// Counts UTF-8 characters (not bytes), so a Chinese password's length is what its owner typed.
std::size_t characters(std::string_view text) {
  std::size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace

Result<std::string> hash_password(std::string_view password, HashCost cost) {
  if (!sodium_ready()) return make_error(ErrorCode::unavailable, "libsodium could not start");
  char out[crypto_pwhash_STRBYTES];
  unsigned long long ops = cost == HashCost::interactive ? crypto_pwhash_OPSLIMIT_INTERACTIVE
                                                         : crypto_pwhash_OPSLIMIT_MIN;
  std::size_t mem = cost == HashCost::interactive ? crypto_pwhash_MEMLIMIT_INTERACTIVE
                                                  : crypto_pwhash_MEMLIMIT_MIN;
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops, mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return make_error(ErrorCode::unavailable,
                      "the password could not be hashed: not enough memory for argon2id");
  }
  return std::string(out);
}

bool password_matches(const AccountId& account, const std::optional<std::string>& stored_hash,
                      std::string_view password) {
  if (!sodium_ready()) return false;
  if (stored_hash) {
    return crypto_pwhash_str_verify(stored_hash->c_str(), password.data(), password.size()) == 0;
  }
  const std::string& initial = account.str();
  return password.size() == initial.size() &&
         sodium_memcmp(password.data(), initial.data(), initial.size()) == 0;
}

Status check_new_password(const AccountId& account, std::string_view password) {
  if (characters(password) < kMinPasswordLength) {
    return make_error(ErrorCode::invalid,
                      "the new password must be at least " + std::to_string(kMinPasswordLength) +
                          " characters long",
                      "new_password");
  }
  if (password.size() > kMaxPasswordLength) {
    return make_error(
        ErrorCode::invalid,
        "the new password must be at most " + std::to_string(kMaxPasswordLength) + " bytes long",
        "new_password");
  }
  if (password == account.str()) {
    return make_error(ErrorCode::invalid, "the new password must differ from the account number",
                      "new_password");
  }
  return Status::success();
}

std::string random_token() {
  sodium_ready();
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char hex[sizeof bytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return std::string(hex, sizeof bytes * 2);
}

}  // namespace dispatch::accounts
