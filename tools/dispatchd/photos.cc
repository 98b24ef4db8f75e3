#include "tools/dispatchd/photos.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "engine/accounts.h"
#include "engine/hash.h"

namespace dispatch::daemon {
namespace {

constexpr std::string_view kJpegMagic = "\xFF\xD8\xFF";
constexpr std::string_view kPngMagic = "\x89PNG\r\n\x1A\n";
constexpr std::size_t kHexDigits = 64;

Error cannot(const std::string& what, const std::string& path) {
  return make_error(ErrorCode::unavailable,
                    "cannot " + what + " " + path + ": " + std::strerror(errno));
}

// Writes `bytes` to `path` and syncs it, so the rename that follows publishes a whole file.
Status write_synced(const std::string& path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return cannot("create", path);
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Error e = cannot("write", path);
      ::close(fd);
      return e;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Error e = cannot("sync", path);
    ::close(fd);
    return e;
  }
  if (::close(fd) != 0) return cannot("close", path);
  return Status::success();
}

}  // namespace

Result<std::string> photo_content_type(std::string_view bytes) {
  if (bytes.substr(0, kJpegMagic.size()) == kJpegMagic) return std::string("image/jpeg");
  if (bytes.substr(0, kPngMagic.size()) == kPngMagic) return std::string("image/png");
  return make_error(ErrorCode::invalid,
                    "the body is not a JPEG or PNG image (judged by its bytes, whatever its name "
                    "or declared type); only JPEG and PNG photos are accepted");
}

bool is_photo_ref(std::string_view ref) {
  if (ref.size() != kPhotoRefPrefix.size() + kHexDigits || !ref.starts_with(kPhotoRefPrefix)) {
    return false;
  }
  for (char c : ref.substr(kPhotoRefPrefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<std::string> PhotoStore::put(std::string_view bytes) {
  if (bytes.empty()) return make_error(ErrorCode::invalid, "the photo is empty");
  if (bytes.size() > kMaxPhotoBytes) {
    return make_error(ErrorCode::invalid, "the photo is " + std::to_string(bytes.size()) +
                                              " bytes; at most " + std::to_string(kMaxPhotoBytes) +
                                              " are accepted");
  }
  auto type = photo_content_type(bytes);
  if (!type.ok()) return type.error();
  const std::string hex = sha256_hex(bytes);
  const std::string path = dir_ + "/" + hex;
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) {
    return make_error(ErrorCode::unavailable,
                      "cannot create the photo directory " + dir_ + ": " + ec.message());
  }
  if (std::filesystem::exists(path, ec)) return std::string(kPhotoRefPrefix) + hex;
  // A unique temporary name per upload: concurrent uploads of one photo must not share a file.
  const std::string tmp = dir_ + "/.tmp-" + hex + "-" + accounts::random_token().substr(0, 16);
  Status written = write_synced(tmp, bytes);
  if (!written.ok()) {
    std::filesystem::remove(tmp, ec);
    return written.error();
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    Error e = cannot("rename into place", path);
    std::filesystem::remove(tmp, ec);
    return e;
  }
  // The reference is about to be named in a durable command: the rename must be durable too.
  int dir_fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return cannot("open", dir_);
  int synced = ::fsync(dir_fd);
  ::close(dir_fd);
  if (synced != 0) return cannot("sync", dir_);
  return std::string(kPhotoRefPrefix) + hex;
}

Result<Photo> PhotoStore::get(std::string_view ref) const {
  if (!is_photo_ref(ref)) {
    return make_error(ErrorCode::invalid,
                      "a photo reference is \"sha256:\" followed by 64 lowercase hex digits");
  }
  const std::string path = dir_ + "/" + std::string(ref.substr(kPhotoRefPrefix.size()));
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (ec) return make_error(ErrorCode::unavailable, "cannot read " + path + ": " + ec.message());
    return make_error(ErrorCode::not_found, "no photo " + std::string(ref) + " is stored");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return cannot("read", path);
  Photo photo;
  photo.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) return cannot("read", path);
  auto type = photo_content_type(photo.bytes);
  if (!type.ok()) {
    return make_error(ErrorCode::unavailable, "the stored photo " + path + " is not an image");
  }
  photo.content_type = std::move(*type);
  return photo;
}

}  // namespace dispatch::daemon
