// The hash-chained event log (engine/log.h): staging and committing, version conflicts, reading
// back, recovering the head on reopen, and verify_chain naming the exact position of each kind of
// tampering.
#define BOOST_TEST_MODULE log
#include "engine/log.h"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "engine/hash.h"
#include "engine/store/rocks_kv.h"
#include "tests/support/print.h"
#include "tests/support/process.h"

namespace dispatch {
std::ostream& boost_test_print_type(std::ostream& os, const LogHead& head) {
  return os << "{position " << head.position.value() << ", hash " << head.hash << "}";
}
}  // namespace dispatch

using namespace dispatch;
using dispatch::testing::TempDir;
using json = nlohmann::json;

namespace {

Event created(const std::string& order, std::uint64_t version = 1) {
  ev::OrderCreated body;
  body.order_id = OrderId(order);
  body.kind = OrderKind::installation;
  body.unit = UnitId("ZHKF");
  body.customer = Customer{"张三", "13800000000", "广东省", "珠海市", "香洲区", "情侣路 1 号"};
  body.items = {Item{"KFR-35GW", 1}};
  Event e;
  e.stream = order_stream(body.order_id);
  e.actor = AccountId("ZHKF");
  e.at = "2015-01-08T09:30:00+08:00";
  e.command_id = CommandId("cmd-" + order);
  e.version = Version(version);
  e.body = std::move(body);
  return e;
}

Event feedback(const std::string& order, std::uint64_t version, const std::string& text) {
  Event e;
  e.stream = order_stream(OrderId(order));
  e.actor = AccountId("S2100911");
  e.at = "2015-01-09T10:00:00+08:00";
  e.command_id = CommandId("cmd-fb-" + order + "-" + std::to_string(version));
  e.version = Version(version);
  e.body = ev::FeedbackAdded{OrderId(order), text};
  return e;
}

// Stages and commits one batch; the events come back with their positions.
std::vector<Event> append(Kv& kv, EventLog& log, std::vector<Event> events) {
  WriteSet writes;
  Status staged = log.stage(events, writes);
  BOOST_TEST_REQUIRE(staged.ok(), (staged.ok() ? "" : staged.error().message));
  BOOST_TEST_REQUIRE(kv.write(writes, true).ok());
  log.commit_staged();
  return events;
}

// A log of 10 events over three orders: A (1, 4, 7, 10), B (2, 5, 8), C (3, 6, 9).
void fill(Kv& kv, EventLog& log) {
  append(kv, log, {created("A"), created("B"), created("C")});
  for (std::uint64_t v = 2; v <= 4; ++v) {
    for (const char* order : {"A", "B", "C"}) {
      if (v == 4 && std::string(order) != "A") continue;
      append(kv, log, {feedback(order, v, std::string("note ") + order + std::to_string(v))});
    }
  }
}

std::vector<std::uint64_t> positions(const std::vector<Event>& events) {
  std::vector<std::uint64_t> out;
  for (const auto& e : events) out.push_back(e.position.value());
  return out;
}

std::string record_at(const Kv& kv, std::uint64_t position) {
  auto r = kv.get(Space::log, log_key(Position(position)));
  BOOST_TEST_REQUIRE(r.ok());
  BOOST_TEST_REQUIRE(r->has_value());
  return **r;
}

void put_record(Kv& kv, std::uint64_t position, const std::string& record) {
  WriteSet w;
  w.put(Space::log, log_key(Position(position)), record);
  BOOST_TEST_REQUIRE(kv.write(w, true).ok());
}

void remove_record(Kv& kv, std::uint64_t position) {
  WriteSet w;
  w.del(Space::log, log_key(Position(position)));
  BOOST_TEST_REQUIRE(kv.write(w, true).ok());
}

ChainReport verify(const Kv& kv) {
  auto report = verify_chain(kv);
  BOOST_TEST_REQUIRE(report.ok());
  return std::move(report.value());
}

// The positions the problems name, in report order, and all problems as text for messages.
std::vector<std::uint64_t> problem_positions(const ChainReport& report) {
  std::vector<std::uint64_t> out;
  for (const auto& p : report.problems) out.push_back(p.position.value());
  return out;
}
std::string describe(const ChainReport& report) {
  std::string out;
  for (const auto& p : report.problems) {
    out += "\n  " + std::to_string(p.position.value()) + ": " + p.what;
  }
  return out;
}

using Positions = std::vector<std::uint64_t>;

struct MemoryLog {
  std::unique_ptr<Kv> kv = make_memory_kv();
  EventLog log{*kv};
  MemoryLog() { BOOST_TEST_REQUIRE(log.open().ok()); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(event_log, MemoryLog)

// The chain's hashes are the standard SHA-256 (FIPS 180-2's examples), so an auditor's own tool
// recomputes them, and stores written before a change of library still verify.
BOOST_AUTO_TEST_CASE(record_hashes_are_standard_sha256) {
  BOOST_TEST(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  BOOST_TEST(sha256_hex("abc") ==
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  BOOST_TEST(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  BOOST_TEST(sha256_hex(std::string(1000000, 'a')) ==
             "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

BOOST_AUTO_TEST_CASE(an_empty_log_has_the_genesis_head) {
  BOOST_TEST(log.head().position.value() == 0u);
  BOOST_TEST(log.head().hash == std::string(kGenesisHash));
  BOOST_TEST(kGenesisHash.size() == 64u);
  auto report = verify(*kv);
  BOOST_TEST(report.events == 0u);
  BOOST_TEST(report.problems.empty());
}

BOOST_AUTO_TEST_CASE(staged_events_get_positions_and_chained_records) {
  // Text that JSON escapes, in members on both sides of "hash".
  std::vector<Event> events{created("A"), created("B"), feedback("A", 2, "先 \"call\" first\n")};
  WriteSet writes;
  std::vector<std::string> raw;
  BOOST_TEST_REQUIRE(log.stage(events, writes, &raw).ok());
  BOOST_TEST(positions(events) == (Positions{1, 2, 3}));
  BOOST_TEST(raw.size() == 3u);
  BOOST_TEST(writes.size() == 6u);                // a log record and a streams entry each
  BOOST_TEST(log.head().position.value() == 0u);  // not committed yet
  BOOST_TEST(!kv->get(Space::log, log_key(Position(1)))->has_value());

  // The record format: to_json(event) + prev_hash + hash over the dump without hash.
  json first = json::parse(raw[0]);
  BOOST_TEST(first["prev_hash"] == std::string(kGenesisHash));
  BOOST_TEST(first["position"] == 1);
  BOOST_TEST(first["type"] == "OrderCreated");
  std::string hash = first["hash"];
  for (const std::string& text : raw) {
    json record = json::parse(text);
    BOOST_TEST(text == record.dump());
    json without = record;
    without.erase("hash");
    BOOST_TEST(record["hash"] == sha256_hex(without.dump()));
  }
  BOOST_TEST(json::parse(raw[1])["prev_hash"] == hash);
  BOOST_TEST(writes.pending(Space::streams, stream_key("order/A", Version(2))) ==
             std::optional<std::optional<std::string>>(encode_be64(3)));

  BOOST_TEST_REQUIRE(kv->write(writes, true).ok());
  log.commit_staged();
  BOOST_TEST(log.head().position.value() == 3u);
  BOOST_TEST(log.head().hash == json::parse(raw[2])["hash"].get<std::string>());
}

BOOST_AUTO_TEST_CASE(read_returns_committed_events_from_a_position) {
  fill(*kv, log);
  std::vector<std::uint64_t> seen;
  Status s = log.read(Position(7), [&](const Event& e, std::string_view raw) {
    seen.push_back(e.position.value());
    BOOST_TEST(json::parse(raw)["position"] == e.position.value());
    return true;
  });
  BOOST_TEST(s.ok());
  BOOST_TEST(seen == (Positions{7, 8, 9, 10}));
  seen.clear();
  s = log.read(Position(0), [&](const Event& e, std::string_view) {
    seen.push_back(e.position.value());
    return seen.size() < 3;  // stops
  });
  BOOST_TEST(s.ok());
  BOOST_TEST(seen == (Positions{1, 2, 3}));
}

BOOST_AUTO_TEST_CASE(read_stream_returns_one_streams_events_oldest_first) {
  fill(*kv, log);
  auto a = log.read_stream("order/A");
  BOOST_TEST_REQUIRE(a.ok());
  BOOST_TEST(positions(*a) == (Positions{1, 4, 7, 10}));
  BOOST_TEST(std::get<ev::FeedbackAdded>((*a)[3].body).text == "note A4");
  auto none = log.read_stream("order/Z");
  BOOST_TEST_REQUIRE(none.ok());
  BOOST_TEST(none->empty());
}

BOOST_AUTO_TEST_CASE(a_wrong_version_is_a_conflict_and_stages_nothing) {
  append(*kv, log, {created("A")});
  std::vector<Event> good{feedback("A", 2, "ok")};
  WriteSet writes;
  BOOST_TEST_REQUIRE(log.stage(good, writes).ok());
  const std::size_t staged_ops = writes.size();

  // A (staged at version 2) is not at version 1; nothing of this call is staged, even B.
  std::vector<Event> stale{created("B"), feedback("A", 2, "stale")};
  Status s = log.stage(stale, writes);
  BOOST_TEST_REQUIRE(!s.ok());
  BOOST_TEST(s.error().code == ErrorCode::conflict);
  BOOST_TEST(s.error().message.find("order/A") != std::string::npos, s.error().message);
  BOOST_TEST(s.error().message.find("version 2") != std::string::npos, s.error().message);
  BOOST_TEST(writes.size() == staged_ops);
  BOOST_TEST(positions(stale) == (Positions{0, 0}));

  // A stream that is new must start at version 1.
  std::vector<Event> skipping{feedback("C", 2, "too far")};
  BOOST_TEST(log.stage(skipping, writes).error().code == ErrorCode::conflict);

  // Staging continues right after what was staged before the refusal.
  std::vector<Event> next{created("B"), feedback("A", 3, "after")};
  BOOST_TEST_REQUIRE(log.stage(next, writes).ok());
  BOOST_TEST(positions(next) == (Positions{3, 4}));
  BOOST_TEST_REQUIRE(kv->write(writes, true).ok());
  log.commit_staged();
  BOOST_TEST(log.head().position.value() == 4u);
  BOOST_TEST(verify(*kv).problems.empty());
}

BOOST_AUTO_TEST_CASE(abort_forgets_everything_staged) {
  append(*kv, log, {created("A")});
  const LogHead before = log.head();
  std::vector<Event> events{feedback("A", 2, "lost"), created("B")};
  WriteSet writes;
  BOOST_TEST_REQUIRE(log.stage(events, writes).ok());
  log.abort_staged();  // e.g. the write failed
  BOOST_TEST(log.head() == before);

  // The same versions and positions are staged again.
  std::vector<Event> again{feedback("A", 2, "kept"), created("B")};
  WriteSet retry;
  BOOST_TEST_REQUIRE(log.stage(again, retry).ok());
  BOOST_TEST(positions(again) == (Positions{2, 3}));
  BOOST_TEST_REQUIRE(kv->write(retry, true).ok());
  log.commit_staged();
  auto a = log.read_stream("order/A");
  BOOST_TEST_REQUIRE(a.ok());
  BOOST_TEST(std::get<ev::FeedbackAdded>((*a)[1].body).text == "kept");
  BOOST_TEST(verify(*kv).problems.empty());
}

BOOST_AUTO_TEST_CASE(an_unrecordable_event_is_invalid_and_stages_nothing) {
  std::vector<Event> events{created("A"), feedback("A", 2, "bad \xff utf-8")};
  WriteSet writes;
  Status s = log.stage(events, writes);
  BOOST_TEST_REQUIRE(!s.ok());
  BOOST_TEST(s.error().code == ErrorCode::invalid);
  BOOST_TEST(writes.empty());
  BOOST_TEST(positions(events) == (Positions{0, 0}));
  std::vector<Event> nul{created(std::string("A\0B", 3))};
  BOOST_TEST(log.stage(nul, writes).error().code == ErrorCode::invalid);
}

BOOST_AUTO_TEST_CASE(a_damaged_record_is_an_invalid_read_naming_its_position) {
  fill(*kv, log);
  put_record(*kv, 5, "{not json");
  std::vector<std::uint64_t> seen;
  Status s = log.read(Position(1), [&](const Event& e, std::string_view) {
    seen.push_back(e.position.value());
    return true;
  });
  BOOST_TEST_REQUIRE(!s.ok());
  BOOST_TEST(s.error().code == ErrorCode::invalid);
  BOOST_TEST(s.error().message.find("position 5") != std::string::npos, s.error().message);
  BOOST_TEST(seen == (Positions{1, 2, 3, 4}));
  BOOST_TEST(log.read_stream("order/B").error().code == ErrorCode::invalid);
}

BOOST_AUTO_TEST_CASE(read_ahead_visits_what_read_visits) {
  fill(*kv, log);
  std::vector<std::uint64_t> seen;
  Status s = log.read_ahead(Position(7), [&](Event& e) {
    seen.push_back(e.position.value());
    return true;
  });
  BOOST_TEST(s.ok());
  BOOST_TEST(seen == (Positions{7, 8, 9, 10}));
  seen.clear();
  s = log.read_ahead(Position(0), [&](Event& e) {
    seen.push_back(e.position.value());
    return seen.size() < 3;  // stops
  });
  BOOST_TEST(s.ok());
  BOOST_TEST(seen == (Positions{1, 2, 3}));
}

BOOST_AUTO_TEST_CASE(read_ahead_reports_a_damaged_record_after_every_earlier_one) {
  fill(*kv, log);
  put_record(*kv, 5, "{not json");
  std::vector<std::uint64_t> seen;
  Status s = log.read_ahead(Position(1), [&](Event& e) {
    seen.push_back(e.position.value());
    return true;
  });
  BOOST_TEST_REQUIRE(!s.ok());
  BOOST_TEST(s.error().code == ErrorCode::invalid);
  BOOST_TEST(s.error().message.find("position 5") != std::string::npos, s.error().message);
  BOOST_TEST(seen == (Positions{1, 2, 3, 4}));
  // A visitor that stops before the damage does not hear of it.
  seen.clear();
  s = log.read_ahead(Position(1), [&](Event& e) {
    seen.push_back(e.position.value());
    return seen.size() < 2;
  });
  BOOST_TEST(s.ok());
  BOOST_TEST(seen == (Positions{1, 2}));
}

// ---- verify_chain ----

BOOST_AUTO_TEST_CASE(a_good_log_verifies) {
  fill(*kv, log);
  std::vector<std::uint64_t> progress;
  auto report = verify_chain(*kv, [&](std::uint64_t done) { progress.push_back(done); });
  BOOST_TEST_REQUIRE(report.ok());
  BOOST_TEST(report->events == 10u);
  BOOST_TEST(report->problems.empty(), describe(*report));
  BOOST_TEST(report->head == log.head());
  BOOST_TEST(progress.empty());  // only every 10,000 records
}

BOOST_AUTO_TEST_CASE(a_flipped_byte_is_named_at_its_position) {
  fill(*kv, log);
  std::string record = record_at(*kv, 6);
  auto at = record.find("note C2");
  BOOST_TEST_REQUIRE(at != std::string::npos);
  record[at + 5] = 'D';  // still JSON, a different fact
  put_record(*kv, 6, record);
  auto report = verify(*kv);
  BOOST_TEST(problem_positions(report) == (Positions{6}), describe(report));

  record[0] = '[';  // no longer JSON
  put_record(*kv, 6, record);
  report = verify(*kv);
  BOOST_TEST(problem_positions(report) == (Positions{6}), describe(report));
}

BOOST_AUTO_TEST_CASE(a_removed_record_is_named_at_its_position) {
  fill(*kv, log);
  remove_record(*kv, 4);  // A's version 2
  auto report = verify(*kv);
  BOOST_TEST(report.events == 9u);
  BOOST_TEST(problem_positions(report) == (Positions{4}), describe(report));
  BOOST_TEST(report.problems[0].what.find("missing") != std::string::npos);

  remove_record(*kv, 1);  // the first one, too
  report = verify(*kv);
  BOOST_TEST(problem_positions(report) == (Positions{1, 4}), describe(report));
}

BOOST_AUTO_TEST_CASE(two_swapped_records_are_named_at_their_positions) {
  fill(*kv, log);
  std::string fifth = record_at(*kv, 5);
  std::string sixth = record_at(*kv, 6);
  put_record(*kv, 5, sixth);
  put_record(*kv, 6, fifth);
  auto report = verify(*kv);
  BOOST_TEST_REQUIRE(!report.problems.empty());
  for (auto p : problem_positions(report)) BOOST_TEST((p == 5u || p == 6u), describe(report));
  Positions named = problem_positions(report);
  BOOST_TEST(std::count(named.begin(), named.end(), 5u) >= 1);
  BOOST_TEST(std::count(named.begin(), named.end(), 6u) >= 1);
}

BOOST_AUTO_TEST_CASE(a_cut_off_tail_shows_only_against_a_remembered_head) {
  fill(*kv, log);
  const LogHead remembered = verify(*kv).head;
  BOOST_TEST(remembered.position.value() == 10u);

  // Cutting records 9 and 10 with their index entries leaves a valid, shorter chain.
  WriteSet cut;
  cut.del(Space::log, log_key(Position(9)));
  cut.del(Space::log, log_key(Position(10)));
  cut.del(Space::streams, stream_key("order/C", Version(3)));
  cut.del(Space::streams, stream_key("order/A", Version(4)));
  BOOST_TEST_REQUIRE(kv->write(cut, true).ok());
  auto report = verify(*kv);
  BOOST_TEST(report.problems.empty(), describe(report));
  BOOST_TEST(report.head.position.value() == 8u);
  BOOST_TEST(report.head != remembered);
  BOOST_TEST(report.head.hash == json::parse(record_at(*kv, 8))["hash"].get<std::string>());
}

BOOST_AUTO_TEST_CASE(a_cut_off_tail_with_its_index_left_behind_is_named) {
  fill(*kv, log);
  remove_record(*kv, 10);
  remove_record(*kv, 9);
  auto report = verify(*kv);
  Positions named = problem_positions(report);
  std::sort(named.begin(), named.end());
  BOOST_TEST(named == (Positions{9, 10}), describe(report));
}

BOOST_AUTO_TEST_CASE(a_rewritten_record_with_a_recomputed_hash_is_caught_by_the_next_link) {
  fill(*kv, log);
  json record = json::parse(record_at(*kv, 5));
  record["text"] = "a different note";
  record.erase("hash");
  record["hash"] = sha256_hex(record.dump());
  put_record(*kv, 5, record.dump());
  auto report = verify(*kv);
  BOOST_TEST_REQUIRE(problem_positions(report) == (Positions{6}), describe(report));
  BOOST_TEST(report.problems[0].what.find("position 5") != std::string::npos, describe(report));
}

BOOST_AUTO_TEST_CASE(a_wrong_streams_index_entry_is_named) {
  fill(*kv, log);
  WriteSet w;
  w.put(Space::streams, stream_key("order/B", Version(2)), encode_be64(6));
  BOOST_TEST_REQUIRE(kv->write(w, true).ok());
  auto report = verify(*kv);
  BOOST_TEST(problem_positions(report) == (Positions{5}), describe(report));
}

BOOST_AUTO_TEST_CASE(progress_is_reported_every_ten_thousand_records) {
  std::vector<Event> batch;
  for (int i = 0; i < 10001; ++i) batch.push_back(created("O" + std::to_string(i)));
  append(*kv, log, std::move(batch));
  std::vector<std::uint64_t> progress;
  auto report = verify_chain(*kv, [&](std::uint64_t done) { progress.push_back(done); });
  BOOST_TEST_REQUIRE(report.ok());
  BOOST_TEST(report->problems.empty(), describe(*report));
  BOOST_TEST(progress == (Positions{10000}));
}

BOOST_AUTO_TEST_SUITE_END()

// ---- on disk ----

BOOST_AUTO_TEST_CASE(reopening_recovers_the_head) {
  TempDir dir;
  LogHead head;
  {
    auto kv = open_rocks_kv(dir.path(), RocksOptions{});
    BOOST_TEST_REQUIRE(kv.ok());
    EventLog log(**kv);
    BOOST_TEST_REQUIRE(log.open().ok());
    fill(**kv, log);
    head = log.head();
  }
  auto kv = open_rocks_kv(dir.path(), RocksOptions{});
  BOOST_TEST_REQUIRE(kv.ok());
  EventLog log(**kv);
  BOOST_TEST_REQUIRE(log.open().ok());
  BOOST_TEST(log.head() == head);
  BOOST_TEST(head.position.value() == 10u);

  // Appending continues the chain and the stream versions.
  auto appended = append(**kv, log, {feedback("B", 4, "after reopening")});
  BOOST_TEST(appended[0].position.value() == 11u);
  std::vector<Event> stale{feedback("B", 4, "again")};
  WriteSet w;
  BOOST_TEST(log.stage(stale, w).error().code == ErrorCode::conflict);
  auto report = verify_chain(**kv);
  BOOST_TEST_REQUIRE(report.ok());
  BOOST_TEST(report->problems.empty(), describe(*report));
  BOOST_TEST(report->events == 11u);
}
