#pragma once
// What http_service does to a socket and a file around sendfile(2): corking,
// and asking whether a file's bytes are in memory before the loop sends them.
#include <cstdint>

namespace pxed::http {

// TCP_CORK on or off (best effort): see send_support.cpp for when it pays.
void set_cork(int socket, bool on);

// Whether every page of [offset, offset + length) of fd is in the page cache.
bool in_page_cache(int fd, std::uint64_t offset, std::uint64_t length);

}  // namespace pxed::http
