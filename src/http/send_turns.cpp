#include "http/send_turns.hpp"

#include <algorithm>

namespace pxed::http {

bool SendTurns::ask(Sender sender, std::uint64_t bytes) {
  if (queue_.empty() && fits(bytes)) {
    spent_ += bytes;
    return true;
  }
  queue_.emplace_back(sender, bytes);
  return false;
}

std::vector<SendTurns::Sender> SendTurns::next_turn() {
  spent_ = 0;
  std::vector<Sender> go;
  while (!queue_.empty() && fits(queue_.front().second)) {
    spent_ += queue_.front().second;
    go.push_back(queue_.front().first);
    queue_.pop_front();
  }
  return go;
}

void SendTurns::forget(Sender sender) {
  std::erase_if(queue_, [sender](const auto& w) { return w.first == sender; });
}

}  // namespace pxed::http
