#pragma once
// Which of pxed's own paths each HTTP listener answers: the installer's done
// call always on [http] listen (the machines call it), and the API, metrics
// and dashboard there too, or only on [api] listen when that is set.
#include <optional>

#include "api/api.hpp"
#include "api/metrics.hpp"
#include "app/answer_files.hpp"
#include "app/image_catalogue.hpp"
#include "app/machines.hpp"
#include "config/config.hpp"
#include "dhcp/dhcp_service.hpp"
#include "http/http_service.hpp"
#include "tftp/tftp_service.hpp"
#include "vfs/iso_dir_service.hpp"

namespace pxed::app {

struct HttpRoutes {
  http::Routes boot;  // [http] listen
  http::Routes api;   // [api] listen; empty when it is unset
};

// api, metrics: null when [api] is off; machines: null without a machine store;
// answers: the machines' answer files (/pxed/v1/answers/), on [http] listen always.
HttpRoutes http_routes(const config::Config& cfg, const api::Api* api, api::Metrics* metrics, Machines* machines,
                       const AnswerFiles* answers = nullptr);

// What /metrics asks the services at scrape time; a service that is off has no gauge.
api::MetricSources metric_sources(const config::Config& cfg, const std::optional<tftp::Service>& tftp,
                                  const std::optional<http::Service>& http, const std::optional<dhcp::Service>& dhcp,
                                  const std::optional<vfs::IsoDirService>& iso_dir, const ImageCatalogue& images,
                                  const api::MachineTable& machines, const api::Stream& stream);

}  // namespace pxed::app
