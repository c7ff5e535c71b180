#pragma once
// The event history on disk (events.sqlite3 in server.state_dir), so the API's
// events and each machine's timeline survive a restart and an upgrade: a
// sysadmin asking "what did that machine do last night?" after pxed was
// restarted still gets the answer. Each row is an event as the API writes it
// (events::format_json); ids go on from the last one kept. A record for
// people, not a decision: synchronous=NORMAL, batched by the caller, and
// trimmed to the newest `keep` rows.
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace pxed::store {

struct StoredEvent {
  std::uint64_t id = 0;
  std::string json;  // one event, events::format_json
  bool operator==(const StoredEvent&) const = default;
};

class EventStore {
 public:
  // Opens or creates <dir>/events.sqlite3 and takes <dir>/events.lock: one
  // serving pxed writes it. Errors name the file.
  static std::expected<EventStore, std::string> open(const std::filesystem::path& dir);
  ~EventStore();
  EventStore(EventStore&&) noexcept;
  EventStore& operator=(EventStore&&) noexcept;

  // Adds the events in one transaction (an id already kept is replaced),
  // then drops the oldest beyond `keep` (0 keeps everything).
  std::expected<void, std::string> append(std::span<const StoredEvent> events, std::uint64_t keep);
  // The newest `count` events, oldest first.
  std::expected<std::vector<StoredEvent>, std::string> newest(std::uint64_t count);

 private:
  struct Impl;
  explicit EventStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pxed::store
