// The seed's walkthrough (tools/data/walkthrough.jsonl): the commands of ../shared/DOMAIN.md's
// story, in order, as JSON.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace dispatch::testing {

inline std::string walkthrough_path() { return source_dir() + "/tools/data/walkthrough.jsonl"; }

inline std::vector<nlohmann::json> walkthrough_lines() {
  std::ifstream in(walkthrough_path());
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  }
  if (lines.empty()) throw std::runtime_error("cannot read " + walkthrough_path());
  return lines;
}

}  // namespace dispatch::testing
