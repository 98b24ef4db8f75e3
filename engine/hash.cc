#include "engine/hash.h"

#include <sodium.h>

namespace dispatch {
namespace {
// sodium_init is idempotent and thread-safe, but one call is enough. Its failure (no entropy
// source) does not affect hashing, which needs no randomness, so its result is not checked.
void init_sodium_once() {
  static const int result = sodium_init();  // 0, or 1 when already initialised, or -1
  (void)result;
}
}  // namespace

std::string sha256_hex(std::string_view data) {
  init_sodium_once();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);  // lowercase
  return std::string(hex, crypto_hash_sha256_BYTES * 2);
}

}  // namespace dispatch
