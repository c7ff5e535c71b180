#include "app/http_routes.hpp"

#include <algorithm>
#include <iterator>

#include "api/ui.hpp"
#include "boot/answers.hpp"

namespace pxed::app {

HttpRoutes http_routes(const config::Config& cfg, const api::Api* api, api::Metrics* metrics, Machines* machines,
                       const AnswerFiles* answers) {
  http::Routes own;
  if (api != nullptr) std::ranges::move(api->routes(), std::back_inserter(own));
  if (metrics != nullptr) std::ranges::move(metrics->routes(), std::back_inserter(own));
  if (api != nullptr) std::ranges::move(api::ui_routes(), std::back_inserter(own));
  HttpRoutes out;
  if (cfg.api.listen && api != nullptr) {
    // Not on the boot network: those paths are nobody's there (404), and a
    // file of the tree by the same name stays unreachable as before.
    for (const auto& r : own) {
      out.boot.push_back({r.path, [](const http::Call&) -> std::optional<http::Answer> { return std::nullopt; }});
    }
    out.api = std::move(own);
  } else {
    out.boot = std::move(own);
  }
  // Before /pxed/: the first route that matches answers.
  if (answers != nullptr) {
    out.boot.push_back({std::string(boot::kAnswersPath),
                        [answers](const http::Call& call) { return answers->answer(call); }});
  }
  if (machines != nullptr) {
    out.boot.push_back({std::string(http::kActionPrefix),
                        [machines](const http::Call& call) { return machines->action(call); }});
  }
  return out;
}

api::MetricSources metric_sources(const config::Config& cfg, const std::optional<tftp::Service>& tftp,
                                  const std::optional<http::Service>& http, const std::optional<dhcp::Service>& dhcp,
                                  const std::optional<vfs::IsoDirService>& iso_dir, const ImageCatalogue& images,
                                  const api::MachineTable& machines, const api::Stream& stream) {
  api::MetricSources sources;
  if (tftp) sources.tftp_transfers = [&tftp] { return tftp->active_transfers(); };
  if (http) sources.http_connections = [&http] { return http->active_connections(); };
  if (dhcp && cfg.dhcp.mode == config::DhcpMode::full) {
    sources.leases = [&dhcp] {
      std::vector<api::SubnetLeases> out;
      for (const auto& [network, use] : dhcp->range_use()) out.push_back({network.to_string(), use.used, use.free});
      return out;
    };
  }
  if (!cfg.files.root.empty()) {
    const auto fixed = static_cast<std::size_t>(
        std::ranges::count_if(cfg.files.mounts, [](const config::Mount& m) { return m.dir.empty(); }));
    sources.images = [fixed, &iso_dir] { return fixed + (iso_dir ? iso_dir->images() : 0); };
    sources.images_by_os = [&images] { return images.catalogue().count_by_os(); };
  }
  sources.stream_subscribers = [&stream] { return stream.subscribers(); };
  sources.machines = &machines;
  return sources;
}

}  // namespace pxed::app
