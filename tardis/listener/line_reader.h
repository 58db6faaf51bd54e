// Splits a byte stream into lines, keeping at most `max_line` bytes of any line: a line
// longer than that is reported as oversized and skipped whole, so a runaway producer
// cannot make the listener's memory grow.
#ifndef TARDIS_LISTENER_LINE_READER_H_
#define TARDIS_LISTENER_LINE_READER_H_

#include <cstddef>
#include <functional>
#include <string>

#include <absl/strings/string_view.h>

namespace tardis {

class LineReader {
 public:
  explicit LineReader(size_t max_line) : max_line_(max_line) {}

  // Calls `on_line(line, oversized)` for every complete line in what has arrived.
  void Feed(absl::string_view bytes, const std::function<void(absl::string_view, bool)>& on_line) {
    while (!bytes.empty()) {
      const size_t newline = bytes.find('\n');
      const absl::string_view piece = bytes.substr(0, newline);
      if (!oversized_) {
        if (pending_.size() + piece.size() > max_line_) {
          oversized_ = true;
          pending_.clear();
        } else {
          pending_.append(piece.data(), piece.size());
        }
      }
      if (newline == absl::string_view::npos) return;
      on_line(pending_, oversized_);
      pending_.clear();
      oversized_ = false;
      bytes.remove_prefix(newline + 1);
    }
  }

 private:
  size_t max_line_;
  std::string pending_;
  bool oversized_ = false;
};

}  // namespace tardis

#endif  // TARDIS_LISTENER_LINE_READER_H_
