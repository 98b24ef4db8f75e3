// The static files of the web console, served by dispatchd's HTTP server from one directory (the
// console's build output, `--web-root DIR`). Without a directory only a built-in page answers "/",
// saying the console is not built and how to build it.
//
// A request path is percent-decoded, then refused (`invalid`) when any segment is "..", "." or
// holds a backslash or NUL, so no request names a file outside the root; the file found is also
// checked to lie inside the root once symbolic links are resolved (`not_found` otherwise).
// Directories answer with their index.html.
#pragma once

#include <string>
#include <string_view>

#include "engine/status.h"

namespace dispatch::daemon {

struct StaticFile {
  std::string bytes;
  std::string content_type;  // from the extension: .html .js .css .svg .png .json .map, else
                             // application/octet-stream
  bool html = false;         // the server adds a Content-Security-Policy to HTML
};

// The Content-Type of a file name by its extension (text types with charset=utf-8).
std::string content_type_of(std::string_view name);

// Percent-decodes a URL path or query component; `plus_is_space` for query strings. `invalid`
// for a malformed escape.
Result<std::string> percent_decode(std::string_view text, bool plus_is_space);

class WebRoot {
 public:
  // `dir` empty: the built-in page only.
  explicit WebRoot(std::string dir) : dir_(std::move(dir)) {}

  // The file for the URL path `path` (without the query string, still percent-encoded).
  // `invalid` for a path that tries to leave the root, `not_found` when there is no such file,
  // `unavailable` when it cannot be read.
  Result<StaticFile> find(std::string_view path) const;

 private:
  std::string dir_;
};

}  // namespace dispatch::daemon
