// Drives tftp::Session through whole read transfers, as tftp_service.cpp does:
// an RRQ (octet or netascii, with blksize, tsize, timeout and windowsize asked
// in any order, valid or not) is decoded and negotiated against fuzzed limits,
// then ACKs with any block number (duplicates, stale, future, past 65535),
// ERRORs, other and malformed datagrams and timer expiries at fuzzed times.
// Every block the session asks for is read through BlockReader from an
// in-memory file (a memfd), as the service reads it. After every call:
//   - blocks go out in order: a window starts right after the highest block
//     acknowledged, is full unless the file ends, and never passes the last block;
//   - each block's bytes are the file's (octet) or its netascii translation;
//   - an ACK advances the session exactly to the one outstanding block its
//     16-bit number names, and nothing else does;
//   - the session ends exactly once, with the outcome the events call for, only
//     ok once every block is acknowledged, and says nothing afterwards;
//   - every deadline is rto_min..rto_max away (never past the client's timeout
//     option), and retransmissions without progress are bounded by
//     idle_timeout / rto_min, so a session whose timer keeps firing ends.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "fuzz_input.hpp"
#include "tftp/block_reader.hpp"
#include "tftp/negotiation.hpp"
#include "tftp/packet.hpp"
#include "tftp/session.hpp"
#include "vfs/file.hpp"

namespace {

using namespace pxed;
using namespace pxed::tftp;
using namespace std::chrono_literals;

// A broken invariant stops the run with its line, so a finding says what broke.
void require_at(bool ok, int line) {
  if (ok) return;
  std::fprintf(stderr, "tftp_session_fuzz: invariant at line %d does not hold\n", line);
  __builtin_trap();
}
#define require(ok) require_at((ok), __LINE__)

using fuzz::Input;

// Values a client or an operator may pick, edges first.
constexpr std::uint32_t kBlksizeMax[] = {8, 9, 16, 512, 513, 1024, 1468, kMaxBlksize, 70000};
constexpr std::uint16_t kWindowsizeMax[] = {0, 1, 2, 3, 8, 16, 64, 1024, 65535};
constexpr Duration kRtoMin[] = {1ms, 2ms, 50ms, 1s, 3s};
constexpr Duration kRtoMax[] = {1ms, 5ms, 1s, 3s, 255s};
constexpr Duration kIdle[] = {1s, 5s, 20s};

template <typename T, std::size_t N>
const T& pick(const T (&table)[N], std::uint8_t b) {
  return table[b % N];
}

std::string number_text(Input& in) {
  switch (auto b = in.byte(); b % 8) {
    case 0: return "";
    case 1: return "x" + std::to_string(b);
    case 2: return "99999999999999999999999";
    case 3: return "0";
    case 4: return std::to_string(in.byte());
    case 5: return "00" + std::to_string(in.byte());
    default: return std::to_string(in.u16());
  }
}

// The RRQ as it arrives: built, encoded and decoded, so names go through the
// codec's lower-casing as in the service.
Request request(Input& in) {
  const auto flags = in.byte();
  Request r{.write = false, .filename = "pxelinux.0", .mode = (flags & 1) ? Mode::netascii : Mode::octet, .options = {}};
  const char* names[] = {"blksize", "tsize", "timeout", "windowsize", "BlkSize", "multicast"};
  for (int i = 0; i < 6; ++i) {
    if (!(flags & (2 << i))) continue;
    r.options.emplace_back(names[(i + (flags >> 7)) % 6], number_text(in));
  }
  if ((flags & 0x80) && r.options.size() > 1) std::swap(r.options.front(), r.options.back());
  auto bytes = encode(r);
  auto decoded = decode(bytes);
  require(decoded.has_value() && std::holds_alternative<Request>(*decoded));
  return std::get<Request>(std::move(*decoded));
}

// The wire bytes of `file` in `mode`, written independently of netascii_encode (RFC 764).
std::vector<std::byte> on_the_wire(const std::vector<std::byte>& file, Mode mode) {
  if (mode == Mode::octet) return file;
  std::vector<std::byte> out;
  for (auto b : file) {
    if (b == std::byte{'\n'}) {
      out.insert(out.end(), {std::byte{'\r'}, std::byte{'\n'}});
    } else if (b == std::byte{'\r'}) {
      out.insert(out.end(), {std::byte{'\r'}, std::byte{0}});
    } else {
      out.push_back(b);
    }
  }
  return out;
}

class Harness {
 public:
  // Returns false when the setup is not worth running (the memfd failed).
  bool setup(Input& in) {
    request_ = request(in);
    nlimits_ = {.blksize_max = pick(kBlksizeMax, in.byte()), .windowsize_max = pick(kWindowsizeMax, in.byte())};
    const auto l = in.byte();
    slimits_ = {.rto_min = pick(kRtoMin, l), .rto_max = pick(kRtoMax, l >> 3), .idle_timeout = pick(kIdle, l >> 6)};

    // blksize does not depend on the size, so a file can be sized in blocks.
    const auto blksize = negotiate(request_.options, 1, nlimits_).blksize;
    const auto shape = in.byte();
    std::uint64_t size = 0;
    std::vector<std::byte> content;
    if (request_.mode == Mode::octet && (shape & 0x80)) {
      // Past 65535 blocks, to roll block numbers over: a sparse file, zeros
      // after a short prefix, checked block by block against the prefix.
      size = (65535 + (shape & 3)) * std::uint64_t{blksize} + in.byte() % blksize;
      large_ = true;
    } else {
      // Small: a few blocks, or a few windows of the smallest blocks.
      size = (shape & 0x40) ? in.u16() % 4096 : shape % 64;
    }
    const auto prefix = std::min<std::size_t>(in.byte() % 64, size);
    for (std::size_t i = 0; i < prefix; ++i) content.push_back(static_cast<std::byte>(in.byte()));
    if (!large_) {
      // Repeat the prefix (or CR LF text if it is empty) up to the size.
      static constexpr char kText[] = "a\r\nb\n\rc\r";
      for (std::size_t i = content.size(); i < size; ++i) {
        content.push_back(prefix ? content[i % prefix] : static_cast<std::byte>(kText[i % (sizeof kText - 1)]));
      }
      wire_ = on_the_wire(content, request_.mode);
    } else {
      wire_ = content;  // the rest is zeros
    }

    int fd = ::memfd_create("tftp-session-fuzz", MFD_CLOEXEC);
    if (fd < 0) return false;
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0 ||
        (!content.empty() && ::pwrite(fd, content.data(), content.size(), 0) != static_cast<ssize_t>(content.size()))) {
      ::close(fd);
      return false;
    }
    file_.emplace(fd, size);
    // The server knows an octet file's size; netascii's only when its short
    // block is read (tsize is left out). The model knows both.
    auto known = BlockReader::known_size(*file_, request_.mode);
    wire_size_ = request_.mode == Mode::netascii ? wire_.size() : size;
    if (large_) wire_size_ = size;
    require(request_.mode == Mode::netascii ? !known.has_value() : known == wire_size_);

    negotiated_ = negotiate(request_.options, known, nlimits_);
    require(negotiated_.blksize == blksize);
    require(negotiated_.windowsize >= 1);
    require(std::uint64_t{negotiated_.windowsize} * negotiated_.blksize <= std::max(kMaxWindowBytes, negotiated_.blksize));
    last_block_ = wire_size_ / blksize + 1;
    reader_.emplace(*file_, request_.mode, blksize);
    session_.emplace(negotiated_, known, slimits_, now_);
    last_progress_ = now_;
    require(!known || session_->last_block() == last_block_);
    oack_pending_ = !negotiated_.accepted.empty();
    apply(session_->start(), Event::start);
    return true;
  }

  void step(Input& in) {
    const auto op = in.byte();
    const auto when = in.byte();
    // Mostly LAN round trips, sometimes long silences.
    now_ += when < 192 ? Duration(std::chrono::microseconds(when * 50)) : Duration(std::chrono::seconds(when - 191));
    switch (op % 8) {
      case 0: ack(static_cast<std::uint16_t>(acked_ + static_cast<std::int8_t>(in.byte()))); break;
      case 1: ack(static_cast<std::uint16_t>(sent_high_)); break;  // a clean client
      case 2: ack(in.u16()); break;
      case 3: {
        // The block the client got last before a loss inside the window.
        auto outstanding = sent_high_ - acked_;
        ack(static_cast<std::uint16_t>(acked_ + 1 + (outstanding ? in.byte() % outstanding : 0)));
        break;
      }
      case 4: {
        // The timer fires when due, a little late, or spuriously early.
        auto due = session_->deadline();
        if (op & 0x80) now_ = std::max(now_, due);
        timeout();
        break;
      }
      case 5: {
        Error e{.code = static_cast<ErrorCode>(in.byte() % 10), .message = "fuzz"};
        packet(encode(e));
        break;
      }
      case 6: {
        // Raw bytes: what decodes goes in, the rest the service drops.
        std::vector<std::byte> bytes;
        for (int i = in.byte() % 32; i > 0; --i) bytes.push_back(static_cast<std::byte>(in.byte()));
        packet(std::move(bytes));
        break;
      }
      case 7: {
        // What no reader sends on a transfer port.
        switch (op >> 5 & 3) {
          case 0: packet(encode(Data{.block = acked16(), .payload = {}})); break;
          case 1: packet(encode(OptionAck{negotiated_.accepted})); break;
          case 2: packet(encode(request_)); break;
          case 3: packet(encode(Ack{acked16()})); break;
        }
        break;
      }
    }
  }

  // A session the timer keeps firing on ends, as the service's watchdog relies on.
  void drain() {
    for (int i = 0; !finished_; ++i) {
      require(i < 100000);
      check_data_ = i < 4;  // resends of one window: reading them again teaches nothing
      now_ = std::max(now_, session_->deadline());
      timeout();
    }
  }

 private:
  enum class Event { start, ack_progress, ack_ignored, error, illegal, timeout };

  std::uint16_t acked16() const { return static_cast<std::uint16_t>(acked_); }

  void ack(std::uint16_t wire) { packet(encode(Ack{wire})); }

  void packet(std::vector<std::byte> bytes) {
    auto decoded = decode(bytes);
    if (!decoded) return;
    Event event = Event::illegal;
    if (const auto* a = std::get_if<Ack>(&*decoded)) {
      event = expect_ack(a->block) ? Event::ack_progress : Event::ack_ignored;
    } else if (const auto* e = std::get_if<Error>(&*decoded)) {
      event = Event::error;
      error_code_ = e->code;
    }
    apply(session_->on_packet(now_, *decoded), event);
  }

  // The model of an ACK: true and acked_ moved when it names an outstanding block.
  bool expect_ack(std::uint16_t wire) {
    if (finished_) return false;
    if (oack_pending_) {
      if (wire != 0) return false;
      oack_pending_ = false;
      return true;
    }
    for (auto b = acked_ + 1; b <= sent_high_; ++b) {
      if (static_cast<std::uint16_t>(b) == wire) {
        acked_ = b;
        return true;
      }
    }
    ++duplicate_acks_;
    return false;
  }

  void timeout() {
    const bool due = now_ >= session_->deadline();
    apply(session_->on_timeout(now_), due ? Event::timeout : Event::ack_ignored);
  }

  void apply(const std::vector<Action>& actions, Event event) {
    const auto deadline_before = session_->deadline();
    if (finished_) {
      require(actions.empty());  // nothing after the end
      return;
    }
    if (event == Event::ack_progress) {
      last_progress_ = now_;
      sends_since_progress_ = 0;
    }
    bool sent = false;
    for (std::size_t i = 0; i < actions.size(); ++i) {
      require(!finished_);
      const auto& action = actions[i];
      if (const auto* oack = std::get_if<SendOack>(&action)) {
        require(oack_pending_ && (event == Event::start || event == Event::timeout));
        require(oack->oack.options == negotiated_.accepted);
        if (event == Event::timeout) ++retransmitted_;
        sent = true;
      } else if (const auto* blocks = std::get_if<SendBlocks>(&action)) {
        require(!oack_pending_);
        require(event == Event::start || event == Event::timeout || event == Event::ack_progress);
        check_window(*blocks, event == Event::timeout);
        sent = true;
      } else if (const auto* error = std::get_if<SendError>(&action)) {
        require(event == Event::illegal && error->code == ErrorCode::illegal_operation);
        require(i + 1 < actions.size() && std::holds_alternative<Finished>(actions[i + 1]));
      } else {
        check_finish(std::get<Finished>(action).outcome, event);
      }
    }
    // The actions each event calls for, and nothing for the rest.
    switch (event) {
      case Event::start:
      case Event::ack_progress: require(actions.size() == 1 && (sent || finished_)); break;
      case Event::ack_ignored: require(actions.empty()); break;
      case Event::error:
      case Event::illegal: require(finished_); break;
      case Event::timeout:
        // Due, and idle for idle_timeout: the transfer is over, not resent.
        require(actions.size() == 1 && (finished_ || now_ - last_progress_ < slimits_.idle_timeout));
        break;
    }
    require(session_->finished() == finished_);
    require(session_->acked() == acked_);
    require(session_->stats().retransmitted == retransmitted_);
    require(session_->stats().duplicate_acks == duplicate_acks_);
    require(session_->stats().bytes_acked == std::min<std::uint64_t>(acked_ * negotiated_.blksize, wire_size_));
    if (finished_) return;
    if (!sent) {
      require(session_->deadline() == deadline_before);
      return;
    }
    // RFC 6298 bounds, under the client's own timeout (RFC 2349).
    auto ceiling = slimits_.rto_max;
    if (negotiated_.timeout) ceiling = std::min<Duration>(ceiling, *negotiated_.timeout);
    ceiling = std::max(ceiling, slimits_.rto_min);
    const auto wait = session_->deadline() - now_;
    require(wait >= slimits_.rto_min && wait <= ceiling);
    // Without progress the timer only fires so often before idle_timeout.
    if (event == Event::timeout) require(++sends_since_progress_ <= slimits_.idle_timeout / slimits_.rto_min + 1);
  }

  void check_window(const SendBlocks& blocks, bool retransmission) {
    require(blocks.first == acked_ + 1);
    require(blocks.count >= 1 && blocks.count <= negotiated_.windowsize);
    // Netascii's end is unknown until its short block is read: a full window
    // until then, of which the service sends up to that block (end_at).
    const bool known = session_->size_known();
    if (known) {
      require(blocks.count == std::min<std::uint64_t>(negotiated_.windowsize, last_block_ - acked_));
      require(blocks.first + blocks.count - 1 <= last_block_);
    } else {
      require(blocks.count == negotiated_.windowsize);
    }
    if (retransmission) {
      retransmitted_ += blocks.count;
      require(blocks.first + blocks.count - 1 <= sent_high_);  // only what went out before
    }
    sent_high_ = std::max(sent_high_, blocks.first + blocks.count - 1);
    // Coverage counts how often an edge runs (in buckets up to 128), not how
    // far a transfer got: one pass per 4096 blocks sent rewards inputs that
    // get further, up to and past the 65536th block where numbers roll over.
    for (auto i = sent_high_ >> 12; i > 0; --i) progress_ = i;
    // Read them as the service does: in order, then forget what is acknowledged.
    std::vector<std::byte> slot(negotiated_.blksize);
    for (std::uint32_t i = 0; i < blocks.count; ++i) {
      const auto block = blocks.first + i;
      const auto offset = (block - 1) * negotiated_.blksize;
      if (block > last_block_) break;  // past the short block: never sent
      const auto length = offset >= wire_size_ ? 0 : std::min<std::uint64_t>(negotiated_.blksize, wire_size_ - offset);
      if (session_->size_known()) require(session_->block_length(block) == length);
      require(length == negotiated_.blksize || block == last_block_);
      if (!session_->size_known() && length < negotiated_.blksize) {
        session_->end_at(block, static_cast<std::uint32_t>(length));
        require(session_->last_block() == last_block_);
      }
      // A huge window of a large file: its edges are enough (octet reads need no order).
      if (large_ && i >= 8 && i + 8 < blocks.count) continue;
      if (!check_data_) continue;
      auto got = reader_->read(block, std::span(slot).first(length));
      require(got.has_value() && *got == length);
      for (std::size_t j = 0; j < length; ++j) {
        const auto at = offset + j;
        require(slot[j] == (at < wire_.size() ? wire_[at] : std::byte{0}));
      }
    }
    sent_high_ = std::min(sent_high_, last_block_);
    reader_->forget_before(session_->acked() + 1);
  }

  void check_finish(Outcome outcome, Event event) {
    finished_ = true;
    switch (event) {
      case Event::ack_progress:
        require(outcome == Outcome::ok && acked_ == last_block_ && sent_high_ == last_block_);
        break;
      case Event::error:
        if (outcome == Outcome::tsize_probe || outcome == Outcome::options_refused) {
          require(error_code_ == ErrorCode::option_refused && sent_high_ == 0);
          require((outcome == Outcome::tsize_probe) == negotiated_.tsize);
        } else {
          // RFC 2347: ERROR 8 before the first block refuses the OACK, not the file.
          require(outcome == Outcome::client_error && !(error_code_ == ErrorCode::option_refused && oack_pending_));
        }
        break;
      case Event::illegal: require(outcome == Outcome::protocol_error); break;
      case Event::timeout:
        require(outcome == Outcome::timeout && now_ - last_progress_ >= slimits_.idle_timeout);
        break;
      default: require(false);
    }
  }

  Request request_;
  NegotiationLimits nlimits_;
  SessionLimits slimits_;
  Negotiated negotiated_;
  bool large_ = false;
  bool check_data_ = true;
  std::vector<std::byte> wire_;  // what the client must receive (a large file: its prefix)
  std::uint64_t wire_size_ = 0;
  std::optional<vfs::File> file_;
  std::optional<BlockReader> reader_;
  std::optional<Session> session_;

  TimePoint now_ = TimePoint{} + std::chrono::hours(1);
  TimePoint last_progress_;
  std::uint64_t last_block_ = 0;
  bool oack_pending_ = false;
  bool finished_ = false;
  std::uint64_t acked_ = 0;
  std::uint64_t sent_high_ = 0;
  std::uint64_t retransmitted_ = 0;
  std::uint64_t duplicate_acks_ = 0;
  std::int64_t sends_since_progress_ = 0;
  volatile std::uint64_t progress_ = 0;
  ErrorCode error_code_ = ErrorCode::not_defined;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Harness h;
  Input in{std::span(data, size)};
  if (!h.setup(in)) return 0;
  for (int steps = 0; !in.rest.empty() && steps < 512; ++steps) h.step(in);
  h.drain();
  return 0;
}
