// Photos of captured units (数据采集), uploaded over HTTP and named in CaptureUnit and
// ReportCompletion commands by their reference "sha256:<64 lowercase hex digits>", the SHA-256 of
// their bytes. The store keeps one file per distinct photo, so an upload is idempotent.
//
// Only real JPEG (bytes FF D8 FF first) and PNG (the 8-byte PNG signature first) are accepted,
// judged by content alone: a file's name or declared type says nothing about what a browser
// would make of its bytes. Who may fetch a photo is not decided here (see http_api.h).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "engine/status.h"

namespace dispatch::daemon {

inline constexpr std::size_t kMaxPhotoBytes = 10 * 1024 * 1024;
inline constexpr std::string_view kPhotoRefPrefix = "sha256:";

// "image/jpeg" or "image/png" from the bytes; `invalid` saying what is accepted otherwise.
Result<std::string> photo_content_type(std::string_view bytes);

// Whether `ref` is a reference this store gives: "sha256:" then 64 lowercase hex digits. Nothing
// else can name a file, so a reference can never leave the photo directory.
bool is_photo_ref(std::string_view ref);

struct Photo {
  std::string bytes;
  std::string content_type;
};

// Thread-safe: files are written under a temporary name and renamed into place, so a reader sees
// a photo whole or not at all, and two uploads of the same bytes both succeed.
class PhotoStore {
 public:
  // `dir` is created on the first upload.
  explicit PhotoStore(std::string dir) : dir_(std::move(dir)) {}

  // Stores the photo and returns its reference. `invalid` for an empty, oversized (above
  // kMaxPhotoBytes) or non-JPEG/PNG body; `unavailable` naming the file when it cannot be written.
  Result<std::string> put(std::string_view bytes);
  // The photo `ref` names: `invalid` for a malformed reference, `not_found` when none is stored,
  // `unavailable` when it cannot be read.
  Result<Photo> get(std::string_view ref) const;

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace dispatch::daemon
