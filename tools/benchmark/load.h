// The benchmark's synthetic province: the organisation and each order's lifecycle as contract
// commands, generated deterministically from a seed so two runs do the same work.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "engine/command.h"

namespace dispatch::bench {

struct Shape {
  int centers = 20;              // service centers under one sales company
  int outlets_per_center = 50;   // each outlet has one sub-outlet: 2,000 outlet units in all
  int technicians_per_sub = 20;  // 20,000 technicians
  int units() const { return centers * outlets_per_center * 2; }
  int technicians() const { return centers * outlets_per_center * technicians_per_sub; }
};

// The organisation's commands, in an order that applies.
std::vector<Command> organisation(const Shape& shape);

// Drives orders through their lifecycle by calling `send` for each command in turn (the reply
// decides nothing here: the lifecycle is fixed up front). `first` numbers the orders, so clients
// take disjoint ranges. 5% are refused once, 2% go back up by reassignment, and one group of four
// in five is dispatched by one batch command.
class Lifecycle {
 public:
  Lifecycle(const Shape& shape, std::uint64_t seed) : shape_(shape), random_(seed) {}

  // Runs orders [first, first + 4) through the whole lifecycle.
  void run_group(std::uint64_t first, const std::function<void(Command)>& send);

 private:
  Command make(const nlohmann::json& body);

  Shape shape_;
  std::mt19937_64 random_;
  std::uint64_t next_command_ = 0;
};

}  // namespace dispatch::bench
