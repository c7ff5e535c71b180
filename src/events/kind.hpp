#pragma once
// Every kind of event pxed emits, as data: its stable name (shared by logs,
// metrics, the history and the API), its usual level and one line of help.
// A new kind is a line here and a line in kind.cpp's table; nothing else
// spells an event's name.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace pxed::events {

enum class Level : std::uint8_t { debug, info, warn, error };

enum class Kind : std::uint8_t {
  // DHCP: answers
  dhcp_offer,
  dhcp_ack,
  dhcp_nak,
  dhcp_proxy_offer,
  dhcp_proxy_ack,
  dhcp_pxe_ack,
  // DHCP: what clients told us, and what we did not answer
  dhcp_release,
  dhcp_decline,
  dhcp_dropped,
  dhcp_ignored,
  dhcp_refused,
  dhcp_flood,
  dhcp_foreign_server,
  // DHCP: our own trouble
  dhcp_store_failed,
  dhcp_reply_truncated,
  dhcp_send_failed,
  dhcp_no_foreign_watch,
  dhcp_menu_too_large,
  dhcp_recovered_store,
  // TFTP
  tftp_done,
  tftp_refused,
  tftp_malformed,
  // HTTP
  http_request,
  http_refused,
  http_evicted,
  http_timeout,
  http_error,
  http_accept_failed,
  // Images served: files.iso_dir's, and [[files.mount]]'s for iso.identified
  iso_added,
  iso_replaced,
  iso_identified,
  iso_removed,
  iso_rejected,
  iso_dir_lost,
  iso_dir_back,
  iso_watch_failed,
  iso_program,
  // Machines
  machine_stage,
  machine_done,
  machine_reinstall,
  machine_assign,
  machine_unassign,
  machine_hook,
  machine_hook_failed,
  machines_store_failed,
  events_store_failed,
  // Answer files (kickstart, preseed, ...) served per machine
  answer_served,
  answer_refused,
  answer_failed,
  // The process
  pxed_ready,
  pxed_stop,
  pxed_reload,
  pxed_reload_failed,
  pxed_fatal,
  pxed_file_limit,
  pxed_sandbox,
  pxed_missing_file,
  pxed_no_config_watch,
  pxed_no_machine_store,
  pxed_no_event_history,
  pxed_counters,
};

// dhcp.offer ... dhcp.pxe_ack: the kinds that stand for a reply sent.
constexpr bool is_dhcp_answer(Kind kind) { return kind >= Kind::dhcp_offer && kind <= Kind::dhcp_pxe_ack; }

struct KindInfo {
  Kind kind;
  std::string_view name;  // "tftp.done": never renamed, scripts grep for it
  Level level;            // the usual level; one event may say more or less
  std::string_view help;  // one line for `pxed events --kinds` and the metrics' HELP
};

const KindInfo& info(Kind kind);
std::span<const KindInfo> kinds();
std::optional<Kind> kind_named(std::string_view name);

std::string_view to_string(Level level);
std::optional<Level> level_named(std::string_view name);

}  // namespace pxed::events
