// Test helpers: run a built tool and capture its output, temporary directories, paths of the
// source and build trees (ctest sets DISPATCH_SOURCE_DIR and DISPATCH_BINARY_DIR).
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace dispatch::testing {

inline std::string source_dir() {
  const char* dir = std::getenv("DISPATCH_SOURCE_DIR");
  return dir ? dir : ".";
}
inline std::string binary_dir() {
  const char* dir = std::getenv("DISPATCH_BINARY_DIR");
  return dir ? dir : ".";
}
inline std::string dispatchctl() { return binary_dir() + "/tools/dispatchctl/dispatchctl"; }

struct Output {
  int exit_code = -1;
  std::string out;  // standard output; standard error goes to the test's log
};

// Runs a shell command line and returns its exit code and standard output.
inline Output run(const std::string& command_line) {
  Output result;
  FILE* pipe = popen(command_line.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) result.out.append(buf.data(), n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

inline std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// A fresh directory under the system's temporary folder, removed when the object goes.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "dispatch-test-XXXXXX").string();
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    path_ = mkdtemp(buf.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace dispatch::testing
