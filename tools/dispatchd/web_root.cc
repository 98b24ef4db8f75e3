#include "tools/dispatchd/web_root.h"

#include <filesystem>
#include <fstream>
#include <iterator>

namespace dispatch::daemon {
namespace {

constexpr std::string_view kNotBuiltPage = R"(<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>dispatch 派工系统</title></head>
<body>
<h1>派工系统 dispatch</h1>
<p>The web console is not built yet. Build it, then start dispatchd with
<code>--web-root DIR</code> naming the console's build output (its <code>index.html</code>).</p>
<p>The JSON API is served meanwhile under <code>/api/</code>; see the HTTP section of README.md.</p>
</body>
</html>
)";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool inside(const std::filesystem::path& root, const std::filesystem::path& file) {
  auto r = root.begin(), f = file.begin();
  for (; r != root.end(); ++r, ++f) {
    if (f == file.end() || *r != *f) return false;
  }
  return true;
}

}  // namespace

std::string content_type_of(std::string_view name) {
  struct Type {
    std::string_view extension, type;
  };
  static constexpr Type kTypes[] = {{".html", "text/html; charset=utf-8"},
                                    {".js", "text/javascript; charset=utf-8"},
                                    {".css", "text/css; charset=utf-8"},
                                    {".svg", "image/svg+xml"},
                                    {".png", "image/png"},
                                    {".jpg", "image/jpeg"},
                                    {".json", "application/json; charset=utf-8"},
                                    {".map", "application/json; charset=utf-8"},
                                    {".ico", "image/x-icon"},
                                    {".txt", "text/plain; charset=utf-8"}};
  for (const auto& t : kTypes) {
    if (name.ends_with(t.extension)) return std::string(t.type);
  }
  return "application/octet-stream";
}

Result<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+' && plus_is_space) {
      out += ' ';
    } else if (c != '%') {
      out += c;
    } else {
      int hi = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
      int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return make_error(ErrorCode::invalid,
                          "a malformed percent escape in \"" + std::string(text) + "\"");
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
  }
  return out;
}

Result<StaticFile> WebRoot::find(std::string_view path) const {
  auto decoded = percent_decode(path, /*plus_is_space=*/false);
  if (!decoded.ok()) return decoded.error();
  if (decoded->empty() || decoded->front() != '/') {
    return make_error(ErrorCode::invalid, "a request path begins with /");
  }
  std::filesystem::path relative;
  std::string_view rest(*decoded);
  while (!rest.empty()) {
    rest.remove_prefix(1);  // the '/'
    std::size_t end = rest.find('/');
    std::string_view segment = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    if (segment.empty()) continue;
    if (segment == "." || segment == ".." || segment.find('\\') != std::string_view::npos ||
        segment.find('\0') != std::string_view::npos) {
      return make_error(ErrorCode::invalid,
                        "the path \"" + std::string(path) + "\" leaves the web root");
    }
    relative /= std::string(segment);
  }
  const Error missing =
      make_error(ErrorCode::not_found, "no file " + std::string(path) + " in the web console");
  if (dir_.empty()) {
    if (!relative.empty() && relative != "index.html") return missing;
    return StaticFile{std::string(kNotBuiltPage), content_type_of(".html"), true};
  }
  std::error_code ec;
  const std::filesystem::path root = std::filesystem::canonical(dir_, ec);
  if (ec) {
    return make_error(ErrorCode::unavailable,
                      "the web root " + dir_ + " cannot be used: " + ec.message());
  }
  std::filesystem::path file = root / relative;
  if (std::filesystem::is_directory(file, ec)) file /= "index.html";
  file = std::filesystem::canonical(file, ec);
  if (ec || !inside(root, file) || !std::filesystem::is_regular_file(file, ec)) return missing;
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error(ErrorCode::unavailable, "cannot read " + file.string());
  StaticFile out;
  out.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) return make_error(ErrorCode::unavailable, "cannot read " + file.string());
  out.content_type = content_type_of(file.filename().string());
  out.html = file.extension() == ".html";
  return out;
}

}  // namespace dispatch::daemon
