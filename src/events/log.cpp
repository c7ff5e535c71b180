#include "events/log.hpp"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace pxed::events {
namespace {

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

struct Log::Impl {
  LogFormat format;
  std::shared_ptr<spdlog::logger> logger;
};

Log::Log(LogFormat format, std::string_view threshold, std::ostream* to) : impl_(std::make_unique<Impl>()) {
  impl_->format = format;
  spdlog::sink_ptr sink;
  if (to != nullptr) {
    sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*to, true);
  } else {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  }
  // Not registered with spdlog: each Log is its own, so tests can build several.
  impl_->logger = std::make_shared<spdlog::logger>("pxed", std::move(sink));
  if (format == LogFormat::json) {
    // The event's fields are the object's; time and level come from spdlog.
    impl_->logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l",%v})");
  } else {
    impl_->logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  }
  impl_->logger->set_level(spdlog::level::from_str(std::string(threshold)));
  impl_->logger->flush_on(spdlog::level::info);
}

Log::~Log() = default;

void Log::publish(const Event& event) {
  const auto level = to_spdlog(event.level);
  if (!impl_->logger->should_log(level)) return;
  impl_->logger->log(level, "{}",
                     impl_->format == LogFormat::json ? format_json_fields(event) : format_text(event));
}

}  // namespace pxed::events
