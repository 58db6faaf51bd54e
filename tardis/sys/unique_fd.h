// UniqueFd: a file descriptor closed when its owner goes, so that no early return of a
// handler leaks one (tardis-runc is short-lived, tardis-listen is not).
#ifndef TARDIS_SYS_UNIQUE_FD_H_
#define TARDIS_SYS_UNIQUE_FD_H_

#include <unistd.h>

namespace tardis {

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

}  // namespace tardis

#endif  // TARDIS_SYS_UNIQUE_FD_H_
