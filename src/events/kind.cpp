#include "events/kind.hpp"

#include <array>

namespace pxed::events {
namespace {

constexpr auto kTable = std::to_array<KindInfo>({
    {Kind::dhcp_offer, "dhcp.offer", Level::info, "an address offered (full mode)"},
    {Kind::dhcp_ack, "dhcp.ack", Level::info, "an address acknowledged and written to the lease store"},
    {Kind::dhcp_nak, "dhcp.nak", Level::info, "a request for an address the client may not have"},
    {Kind::dhcp_proxy_offer, "dhcp.proxy_offer", Level::info, "boot information offered beside another DHCP server"},
    {Kind::dhcp_proxy_ack, "dhcp.proxy_ack", Level::info, "boot information acknowledged beside another DHCP server"},
    {Kind::dhcp_pxe_ack, "dhcp.pxe_ack", Level::info, "a boot server (port 4011) answer"},
    {Kind::dhcp_release, "dhcp.release", Level::info, "a client gave its address back"},
    {Kind::dhcp_decline, "dhcp.decline", Level::warn, "a client found its address in use; it is quarantined"},
    {Kind::dhcp_dropped, "dhcp.dropped", Level::debug, "a packet that could not be read or was not for us"},
    {Kind::dhcp_ignored, "dhcp.ignored", Level::debug, "a request pxed chose not to answer, and why"},
    {Kind::dhcp_refused, "dhcp.refused", Level::debug, "a request over a client's or interface's rate"},
    {Kind::dhcp_flood, "dhcp.flood", Level::warn, "refused requests in the last interval, counted"},
    {Kind::dhcp_foreign_server, "dhcp.foreign_server", Level::info, "another DHCP server answers on this network"},
    {Kind::dhcp_store_failed, "dhcp.store_failed", Level::error, "the lease store could not be written; no ACK left"},
    {Kind::dhcp_reply_truncated, "dhcp.reply_truncated", Level::warn, "a reply did not fit the client's size"},
    {Kind::dhcp_send_failed, "dhcp.send_failed", Level::warn, "a reply could not be sent"},
    {Kind::dhcp_no_foreign_watch, "dhcp.no_foreign_watch", Level::warn, "other DHCP servers cannot be watched"},
    {Kind::dhcp_menu_too_large, "dhcp.menu_too_large", Level::warn, "a PXE menu did not fit option 43; it was cut"},
    {Kind::dhcp_recovered_store, "dhcp.recovered_store", Level::warn, "the lease store was recovered recently"},
    {Kind::tftp_done, "tftp.done", Level::info, "a TFTP transfer ended (result says how)"},
    {Kind::tftp_refused, "tftp.refused", Level::info, "a TFTP request was refused"},
    {Kind::tftp_malformed, "tftp.malformed", Level::debug, "a TFTP packet that could not be read"},
    {Kind::http_request, "http.request", Level::info, "an HTTP request was answered"},
    {Kind::http_refused, "http.refused", Level::warn, "an HTTP connection was refused at the cap"},
    {Kind::http_evicted, "http.evicted", Level::info, "an idle HTTP connection made room for another"},
    {Kind::http_timeout, "http.timeout", Level::info, "an HTTP connection timed out"},
    {Kind::http_error, "http.error", Level::error, "an HTTP connection failed"},
    {Kind::http_accept_failed, "http.accept-failed", Level::error, "accepting HTTP connections failed"},
    {Kind::iso_added, "iso.added", Level::info, "an image in files.iso_dir is served"},
    {Kind::iso_replaced, "iso.replaced", Level::info, "an image in files.iso_dir changed and is served anew"},
    {Kind::iso_identified, "iso.identified", Level::info,
     "the OS in an image served since start-up is known, once osinfo-db has loaded"},
    {Kind::iso_removed, "iso.removed", Level::info, "an image left files.iso_dir"},
    {Kind::iso_rejected, "iso.rejected", Level::warn, "a file in files.iso_dir is not a readable image"},
    {Kind::iso_dir_lost, "iso.dir_lost", Level::warn, "files.iso_dir went away"},
    {Kind::iso_dir_back, "iso.dir_back", Level::info, "files.iso_dir is back"},
    {Kind::iso_watch_failed, "iso.watch_failed", Level::error, "files.iso_dir cannot be watched"},
    {Kind::iso_program, "iso.program", Level::info,
     "wimboot or memdisk is served from the tree now, or no longer: the images that boot through it follow"},
    {Kind::machine_stage, "machine.stage", Level::info,
     "a machine reached a boot stage: dhcp, loader, config, kernel, initrd, installer, done"},
    {Kind::machine_done, "machine.done", Level::info, "a machine reported its install done (by=api: marked through the API)"},
    {Kind::machine_reinstall, "machine.reinstall", Level::info, "a machine's install was asked for again through the API"},
    {Kind::machine_assign, "machine.assign", Level::info, "a profile was assigned to a machine through the API"},
    {Kind::machine_unassign, "machine.unassign", Level::info, "a machine's assigned profile was removed through the API"},
    {Kind::machine_hook, "machine.hook", Level::info, "[server] done_hook answered the POST for a machine's done install"},
    {Kind::machine_hook_failed, "machine.hook_failed", Level::warn,
     "[server] done_hook could not be reached, timed out or answered other than 2xx"},
    {Kind::machines_store_failed, "machines.store_failed", Level::error, "the machine store could not be written"},
    {Kind::events_store_failed, "events.store_failed", Level::error, "the event history could not be written"},
    {Kind::answer_served, "answer.served", Level::info, "a machine's answer file was rendered and sent (to it, or to the API's token)"},
    {Kind::answer_refused, "answer.refused", Level::warn,
     "404 for an answer file: asked by someone other than the machine without its token or the API's, or not in its profile"},
    {Kind::answer_failed, "answer.failed", Level::error, "a machine's answer file could not be rendered: 500"},
    {Kind::pxed_ready, "pxed.ready", Level::info, "pxed serves"},
    {Kind::pxed_stop, "pxed.stop", Level::info, "pxed stops on a signal"},
    {Kind::pxed_reload, "pxed.reload", Level::info, "the configuration was reloaded"},
    {Kind::pxed_reload_failed, "pxed.reload_failed", Level::error, "a reload was refused; the old configuration stays"},
    {Kind::pxed_fatal, "pxed.fatal", Level::error, "pxed cannot start"},
    {Kind::pxed_file_limit, "pxed.file_limit", Level::warn, "the open-file limit is below what the caps need"},
    {Kind::pxed_sandbox, "pxed.sandbox", Level::warn, "the syscall filter could not be loaded; serving without it"},
    {Kind::pxed_missing_file, "pxed.missing_file", Level::warn, "a file the configuration names is missing"},
    {Kind::pxed_no_config_watch, "pxed.no_config_watch", Level::warn, "edits reload on SIGHUP only"},
    {Kind::pxed_no_machine_store, "pxed.no_machine_store", Level::warn, "machines are not remembered"},
    {Kind::pxed_no_event_history, "pxed.no_event_history", Level::warn, "events are not kept across restarts"},
    {Kind::pxed_counters, "pxed.counters", Level::info, "every counter (SIGUSR1)"},
});

// The table is indexed by kind: a line out of order is a build error, not a wrong name.
constexpr bool in_order() {
  for (std::size_t i = 0; i < kTable.size(); ++i) {
    if (static_cast<std::size_t>(kTable[i].kind) != i) return false;
  }
  return true;
}
static_assert(in_order(), "kTable must list kinds in the enum's order");
static_assert(kTable.size() == static_cast<std::size_t>(Kind::pxed_counters) + 1, "a kind without a line");

constexpr std::array<std::string_view, 4> kLevels{"debug", "info", "warn", "error"};

}  // namespace

const KindInfo& info(Kind kind) { return kTable[static_cast<std::size_t>(kind)]; }

std::span<const KindInfo> kinds() { return kTable; }

std::optional<Kind> kind_named(std::string_view name) {
  for (const auto& k : kTable) {
    if (k.name == name) return k.kind;
  }
  return std::nullopt;
}

std::string_view to_string(Level level) { return kLevels[static_cast<std::size_t>(level)]; }

std::optional<Level> level_named(std::string_view name) {
  for (std::size_t i = 0; i < kLevels.size(); ++i) {
    if (kLevels[i] == name) return static_cast<Level>(i);
  }
  return std::nullopt;
}

}  // namespace pxed::events
