#include "dhcp/group_commit.hpp"

#include <utility>

namespace pxed::dhcp {

std::vector<GroupCommit::Action> GroupCommit::decided(core::TimePoint now, std::span<const store::Lease> leases) {
  std::vector<Action> out;
  batch_.insert(batch_.end(), leases.begin(), leases.end());
  ++batch_replies_;
  // A busy writer: these ride on the write after it (written/recounted start it).
  if (busy()) return out;
  if (limits_.gather.count() == 0) {
    start_write(out);
    return out;
  }
  if (!timer_armed_) {
    timer_armed_ = true;
    gathered_until_ = now + limits_.gather;
    out.emplace_back(ArmTimer{gathered_until_});
  }
  return out;
}

std::vector<GroupCommit::Action> GroupCommit::on_timer(core::TimePoint now) {
  std::vector<Action> out;
  if (!timer_armed_ || now < gathered_until_) return out;
  timer_armed_ = false;
  if (!busy() && batch_replies_ > 0) start_write(out);
  return out;
}

std::vector<GroupCommit::Action> GroupCommit::written(core::TimePoint now,
                                                      const std::expected<void, std::string>& result) {
  std::vector<Action> out;
  writer_ = Writer::idle;
  const std::size_t replies = std::exchange(writing_replies_, 0);
  const std::size_t leases = std::exchange(writing_leases_, 0);
  if (result && !recount_due_) {
    recount_due_ = true;
    unrecounted_since_ = now;
  }
  // The next write first: its fsync runs on the writer while this thread sends.
  next(now, out);
  if (result) {
    out.emplace_back(Send{replies});
  } else {
    out.emplace_back(Drop{replies, leases, result.error()});
  }
  return out;
}

std::vector<GroupCommit::Action> GroupCommit::recounted(core::TimePoint now) {
  std::vector<Action> out;
  writer_ = Writer::idle;
  next(now, out);
  return out;
}

void GroupCommit::next(core::TimePoint now, std::vector<Action>& out) {
  const bool leases_wait = batch_replies_ > 0;
  if (recount_due_ && (!leases_wait || now - unrecounted_since_ >= limits_.recount_every)) {
    recount_due_ = false;
    writer_ = Writer::recounting;
    out.emplace_back(Recount{});
    return;
  }
  // What gathered during the write goes at once: it has waited one write already.
  if (leases_wait) start_write(out);
}

void GroupCommit::start_write(std::vector<Action>& out) {
  timer_armed_ = false;
  writer_ = Writer::writing;
  writing_replies_ = std::exchange(batch_replies_, 0);
  writing_leases_ = batch_.size();
  out.emplace_back(Write{std::exchange(batch_, {})});
}

}  // namespace pxed::dhcp
