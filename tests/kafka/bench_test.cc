// tools/bench's program with --log kafka against the real broker, small: the report's row for
// Kafka, where a transaction is the durable unit the baseline repeats.
#define BOOST_TEST_MODULE kafka_bench
#include "tests/support/bench.h"

#include <boost/test/unit_test.hpp>

#include "tests/support/kafka.h"

using namespace dispatch::testing;

BOOST_AUTO_TEST_CASE(a_small_run_through_kafka_reports_every_measure) {
  auto report = run_bench(20,
                          "--clients 4 --log kafka --brokers " + kafka_brokers() + " --topic " +
                              unique_topic("bench") + " --kafka-timeout 20000",
                          "kafka");
  // One transaction per batch, and a batch never holds more commands than there are clients.
  BOOST_TEST(report["writes"] == report["syncs"]);
  BOOST_TEST(report["events_per_sync"].get<double>() <=
             4 * report["events"].get<double>() / report["commands"].get<double>() + 1);
}
