// tools/bench's program on the embedded log, small: the report a reader of the README relies on,
// and clear refusals of arguments it cannot use.
#define BOOST_TEST_MODULE bench
#include "tests/support/bench.h"

#include <boost/test/unit_test.hpp>

using namespace dispatch::testing;

BOOST_AUTO_TEST_CASE(a_small_run_reports_every_measure_of_the_embedded_log) {
  auto report = run_bench(40, "--clients 4 --cache-mb 16", "embedded");
  BOOST_TEST(report["via"] == "engine");
  BOOST_TEST(report["cache_mb"] == 16);
}

BOOST_AUTO_TEST_CASE(a_small_run_through_the_wire_reports_every_measure) {
  auto report = run_bench(40, "--clients 4 --via zmq", "embedded");
  BOOST_TEST(report["via"] == "zmq");
}

BOOST_AUTO_TEST_CASE(arguments_it_cannot_use_are_refused_by_name) {
  struct Case {
    const char* arguments;
    const char* says;
  };
  for (const Case& c : {Case{"--log rabbitmq", "--log takes embedded (default) or kafka"},
                        Case{"--brokers 127.0.0.1:1", "Kafka flags need --log kafka"},
                        Case{"--log kafka --partitions 0", "partitions"},
                        Case{"--log kafka --deciding partitions", "tools/bench-wire"},
                        Case{"--log kafka --deciding many", "--deciding must be one or partitions"},
                        Case{"--via http", "--via takes engine (default) or zmq"},
                        Case{"--orders", "--orders needs a value"},
                        Case{"--orders many", "--orders takes a whole number from 4"},
                        Case{"--orders 0", "--orders takes a whole number from 4"},
                        Case{"--orders 10", "--orders takes a multiple of 4"},
                        Case{"--clients 0", "--clients takes a whole number from 1"},
                        Case{"--cache-mb 4", "--cache-mb takes a whole number from 8"},
                        Case{"--frobnicate", "unknown argument --frobnicate"}}) {
    BOOST_TEST_CONTEXT(c.arguments) {
      Output o = run(dispatch_bench() + " " + c.arguments + " 2>&1");
      BOOST_TEST(o.exit_code == 2);
      BOOST_TEST(o.out.find(c.says) != std::string::npos, o.out);
    }
  }
}
