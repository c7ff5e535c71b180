#pragma once
// How pxed touches a file in server.state_dir. pxed may still be root when it
// opens them (it binds its ports first), while the directory belongs to the
// service user, who could plant `leases.sqlite3 -> /etc/shadow` or a hard link
// there. So every name is checked without following links and refused unless it
// is a regular file with one link; while opening, file-system access runs as
// the directory's owner (setfsuid), so nothing pxed opens or creates there is
// more than that user could reach anyway; files pxed creates are 0600.
#include <sys/types.h>

#include <array>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace pxed::store::state {

// The names SQLite keeps beside a database file.
inline constexpr std::array<std::string_view, 3> kSqliteCompanions = {"-wal", "-shm", "-journal"};

// While it lives, this thread's file-system identity is the owner of dir
// (setfsuid/setfsgid), when the process is root and dir belongs to someone
// else; otherwise it changes nothing. Per thread, as Linux keeps fsuid; nests.
class AsOwner {
 public:
  static std::expected<AsOwner, std::string> of(const std::filesystem::path& dir);
  AsOwner(AsOwner&& other) noexcept;
  AsOwner& operator=(AsOwner&&) = delete;
  ~AsOwner();

 private:
  AsOwner() = default;
  bool switched_ = false;
  uid_t previous_uid_ = 0;
  gid_t previous_gid_ = 0;
};

// Refuses <dir>/<name> unless it is absent or a regular file with one link,
// naming it and saying what to do. A file root made there (an older pxed)
// in a directory that is someone else's is handed to that owner, mode 0600.
std::expected<void, std::string> check_plain(const std::filesystem::path& dir, std::string_view name);
// check_plain of a database and each of its SQLite companions.
std::expected<void, std::string> check_database(const std::filesystem::path& dir, std::string_view name);
// Creates <dir>/<name> empty with mode 0600 unless it is there; never through a link.
std::expected<void, std::string> create_private(const std::filesystem::path& dir, std::string_view name);
// Opens <dir>/<name> with flags | O_NOFOLLOW | O_CLOEXEC (mode 0600 when created);
// refuses anything but a regular file. The caller closes the descriptor.
std::expected<int, std::string> open_plain(const std::filesystem::path& dir, std::string_view name, int flags);
// Replaces <dir>/<name> whole with text (written to <name>.new, fsynced, renamed),
// never through a link, mode 0600, as the directory's owner: a reader sees the old text or the new.
std::expected<void, std::string> replace(const std::filesystem::path& dir, std::string_view name,
                                         std::string_view text);
// The text of a small regular file; nullopt when it is absent.
std::expected<std::optional<std::string>, std::string> read_small(const std::filesystem::path& dir,
                                                                  std::string_view name);

}  // namespace pxed::store::state
