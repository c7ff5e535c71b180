#pragma once
// Counts the fsyncs SQLite asks for: while a SyncCounter lives, every
// connection opened with the default VFS goes through a shim that forwards
// every call to the real VFS and counts xSync. A kill -9 cannot tell a
// commit in the page cache from one on disk; this can. Not thread-safe (nor
// are the unit tests).
#include <sqlite3.h>

#include <stdexcept>

namespace pxed::test {

class SyncCounter {
 public:
  SyncCounter() {
    real_ = sqlite3_vfs_find(nullptr);
    if (real_ == nullptr || current_ != nullptr) throw std::logic_error("SyncCounter: no VFS, or two counters");
    vfs_ = *real_;
    vfs_.szOsFile = static_cast<int>(sizeof(Shim)) + real_->szOsFile;
    vfs_.zName = "pxed-sync-counter";
    vfs_.pNext = nullptr;
    vfs_.xOpen = &open;
    current_ = this;
    if (sqlite3_vfs_register(&vfs_, 1) != SQLITE_OK) throw std::runtime_error("SyncCounter: cannot register");
  }
  SyncCounter(const SyncCounter&) = delete;
  SyncCounter& operator=(const SyncCounter&) = delete;
  // Connections opened through the shim must be closed before it goes.
  ~SyncCounter() {
    sqlite3_vfs_register(real_, 1);
    sqlite3_vfs_unregister(&vfs_);
    current_ = nullptr;
  }

  int syncs() const { return syncs_; }

 private:
  // Data before kMethods: its initializer may only name what is declared above it.
  static inline SyncCounter* current_ = nullptr;  // the one counter open() and xSync report to
  sqlite3_vfs* real_ = nullptr;
  sqlite3_vfs vfs_{};
  int syncs_ = 0;

  // The real file lives right behind the shim's header, in the space szOsFile adds.
  struct Shim {
    sqlite3_file base;
    sqlite3_file* real;
  };
  static sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<Shim*>(f)->real; }
  static const sqlite3_io_methods* of(sqlite3_file* f) { return real(f)->pMethods; }

  static int open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
    auto* shim = reinterpret_cast<Shim*>(file);
    shim->real = reinterpret_cast<sqlite3_file*>(shim + 1);
    const int rc = current_->real_->xOpen(current_->real_, name, shim->real, flags, out_flags);
    shim->base.pMethods = rc == SQLITE_OK && shim->real->pMethods != nullptr ? &kMethods : nullptr;
    return rc;
  }

  static constexpr sqlite3_io_methods kMethods = {
      3,
      [](sqlite3_file* f) { return of(f)->xClose(real(f)); },
      [](sqlite3_file* f, void* b, int n, sqlite3_int64 at) { return of(f)->xRead(real(f), b, n, at); },
      [](sqlite3_file* f, const void* b, int n, sqlite3_int64 at) { return of(f)->xWrite(real(f), b, n, at); },
      [](sqlite3_file* f, sqlite3_int64 size) { return of(f)->xTruncate(real(f), size); },
      [](sqlite3_file* f, int flags) {
        ++current_->syncs_;
        return of(f)->xSync(real(f), flags);
      },
      [](sqlite3_file* f, sqlite3_int64* size) { return of(f)->xFileSize(real(f), size); },
      [](sqlite3_file* f, int lock) { return of(f)->xLock(real(f), lock); },
      [](sqlite3_file* f, int lock) { return of(f)->xUnlock(real(f), lock); },
      [](sqlite3_file* f, int* out) { return of(f)->xCheckReservedLock(real(f), out); },
      [](sqlite3_file* f, int op, void* arg) { return of(f)->xFileControl(real(f), op, arg); },
      [](sqlite3_file* f) { return of(f)->xSectorSize(real(f)); },
      [](sqlite3_file* f) { return of(f)->xDeviceCharacteristics(real(f)); },
      [](sqlite3_file* f, int page, int size, int extend, void volatile** out) {
        return of(f)->xShmMap(real(f), page, size, extend, out);
      },
      [](sqlite3_file* f, int offset, int n, int flags) { return of(f)->xShmLock(real(f), offset, n, flags); },
      [](sqlite3_file* f) { of(f)->xShmBarrier(real(f)); },
      [](sqlite3_file* f, int remove) { return of(f)->xShmUnmap(real(f), remove); },
      [](sqlite3_file* f, sqlite3_int64 at, int n, void** out) { return of(f)->xFetch(real(f), at, n, out); },
      [](sqlite3_file* f, sqlite3_int64 at, void* page) { return of(f)->xUnfetch(real(f), at, page); },
  };
};

}  // namespace pxed::test
