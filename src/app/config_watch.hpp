#pragma once
// Reload when the config or inventory file changes, as on SIGHUP: inotify on
// each file's directory (editors and config management replace files by
// rename, which a watch on the file itself would lose), a short quiet period
// so one save is one reload, then the callback on the io_context's thread.
#include <chrono>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace pxed::app {

inline constexpr std::chrono::milliseconds kConfigQuietPeriod{300};

class ConfigWatch {
 public:
  ConfigWatch(boost::asio::io_context& io, std::vector<std::filesystem::path> files, std::function<void()> changed);
  ~ConfigWatch();
  ConfigWatch(const ConfigWatch&) = delete;
  ConfigWatch& operator=(const ConfigWatch&) = delete;

  // Before privileges drop: the directories may be readable by root only.
  std::expected<void, std::string> open();
  void start();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pxed::app
