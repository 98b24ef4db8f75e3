#include "connectors/kafka_source.h"

#include <condition_variable>

namespace dispatch::connectors {
namespace {
using json = nlohmann::json;
using Offsets = std::map<std::uint32_t, std::int64_t>;

constexpr auto kPollWait = std::chrono::milliseconds(200);
constexpr auto kRetryWait = std::chrono::seconds(1);
constexpr auto kEndCheckEvery = std::chrono::seconds(1);

// Sleeps `d`, or less when `stop` is requested.
void pause(const std::stop_token& stop, std::chrono::milliseconds d) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  cv.wait_for(lock, stop, d, [] { return false; });
}

json offsets_json(const Offsets& offsets) {
  json j = json::object();
  for (const auto& [partition, offset] : offsets) j[std::to_string(partition)] = offset;
  return j;
}

std::int64_t total(const Offsets& offsets) {
  std::int64_t sum = 0;
  for (const auto& [partition, offset] : offsets) sum += offset;
  return sum;
}
}  // namespace

// One topic's reading thread and what status() says of it (under the source's mutex).
struct KafkaSource::Reader {
  ConnectorTopic topic;
  std::string state = "waiting for topic";
  Offsets next;                 // stored: every record before these is done
  std::optional<Offsets> ends;  // where the topic ended when last looked at
  IngestCounts counts;
  std::string error;
};

KafkaSource::KafkaSource(Engine& engine, ConnectorStore& store, KafkaSourceOptions options,
                         Note note)
    : engine_(engine), store_(store), options_(std::move(options)), note_(std::move(note)) {
  if (!note_) note_ = [](const std::string&) {};
  for (const auto& topic : options_.topics) {
    auto reader = std::make_unique<Reader>();
    reader->topic = topic;
    readers_.push_back(std::move(reader));
  }
  for (auto& reader : readers_) {
    threads_.emplace_back([this, r = reader.get()](std::stop_token stop) { run(*r, stop); });
  }
}

KafkaSource::~KafkaSource() {
  for (auto& t : threads_) t.request_stop();
  threads_.clear();  // joins
}

json KafkaSource::status() const {
  std::lock_guard lock(mutex_);
  json topics = json::array();
  for (const auto& r : readers_) {
    json t{{"platform", r->topic.platform},
           {"topic", r->topic.topic},
           {"state", r->state},
           {"next_offsets", offsets_json(r->next)},
           {"consumed", total(r->next)},
           {"counts", r->counts.to_json()}};
    if (r->ends) {
      std::int64_t lag = 0;
      for (const auto& [partition, end] : *r->ends) {
        auto done = r->next.find(partition);
        lag += std::max<std::int64_t>(0, end - (done == r->next.end() ? 0 : done->second));
      }
      t["lag"] = lag;
    }
    if (!r->error.empty()) t["error"] = r->error;
    topics.push_back(std::move(t));
  }
  return topics;
}

void KafkaSource::run(Reader& r, const std::stop_token& stop) {
  const std::string& topic = r.topic.topic;
  auto fail = [&](const std::string& why) {
    {
      std::lock_guard lock(mutex_);
      r.state = "failing";
      r.error = why;
    }
    note_("connector topic " + topic + ": " + why + "; reading again from the stored offsets");
    pause(stop, kRetryWait);
  };
  while (!stop.stop_requested()) {
    // (Re)start from the stored offsets: after a failure, what was read and not done is read
    // again.
    auto stored = store_.consumed_offsets(topic);
    if (!stored.ok()) {
      fail(stored.error().message);
      continue;
    }
    kafka::KafkaOptions kafka = options_.kafka;
    kafka.topic = topic;
    auto partitions = kafka::topic_partitions(kafka);
    if (!partitions.ok()) {
      if (partitions.error().code == ErrorCode::not_found) {
        std::lock_guard lock(mutex_);
        r.state = "waiting for topic";
        r.next = *stored;
      } else {
        fail(partitions.error().message);
        continue;
      }
      pause(stop, kRetryWait);
      continue;
    }
    kafka.partitions = *partitions;
    auto reader = kafka::KafkaReader::open(kafka, *stored);
    if (!reader.ok()) {
      fail(reader.error().message);
      continue;
    }
    {
      std::lock_guard lock(mutex_);
      r.state = "reading";
      r.error.clear();
      r.next = *stored;
    }
    note_("reading connector topic " + topic + " (" + std::to_string(*partitions) +
          " partitions) for " + std::string(to_string(r.topic.platform)));
    Offsets next = *stored;
    auto ends_checked = std::chrono::steady_clock::time_point();
    while (!stop.stop_requested()) {
      auto records = (*reader)->poll(options_.batch, kPollWait);
      if (!records.ok()) {
        fail(records.error().message);
        break;
      }
      if (records->empty()) {
        // Idle: look where the topic ends now and then, for the lag.
        if (std::chrono::steady_clock::now() - ends_checked >= kEndCheckEvery) {
          ends_checked = std::chrono::steady_clock::now();
          auto ends = (*reader)->end_offsets();
          if (ends.ok()) {
            std::lock_guard lock(mutex_);
            r.ends = *ends;
          }
        }
        continue;
      }
      std::vector<Ingestor::Payload> payloads;
      payloads.reserve(records->size());
      for (auto& record : *records) {
        payloads.push_back(Ingestor::Payload{
            std::move(record.value), "kafka:" + topic + "/" + std::to_string(record.partition),
            static_cast<std::uint64_t>(record.offset), true});
        next[record.partition] = std::max(next[record.partition], record.offset + 1);
      }
      IngestCounts counts;
      // Made per batch: an ingestor maps with the routes as they were when it was made, and a
      // daemon runs for months while RouteRegion commands come in.
      Ingestor ingestor(engine_, store_, options_.mapping);
      Status done = ingestor.ingest_many(r.topic.platform, payloads, counts);
      if (done.ok()) done = store_.put_consumed_offsets(topic, next);
      {
        std::lock_guard lock(mutex_);
        r.counts += counts;
        if (done.ok()) r.next = next;
      }
      if (!done.ok()) {
        fail(done.error().message);
        break;
      }
    }
  }
}

}  // namespace dispatch::connectors
