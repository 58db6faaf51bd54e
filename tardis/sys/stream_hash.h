// The checksum of an archive stream: its 128-bit XXH3 and its length, computed as the
// bytes go by, so that writing or reading an image needs no second pass over it.
// The hex form is XXH128's canonical (big-endian) one, what `xxhsum -H2` prints.
#ifndef TARDIS_SYS_STREAM_HASH_H_
#define TARDIS_SYS_STREAM_HASH_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <absl/strings/ascii.h>
#include <absl/strings/escaping.h>
#include <absl/strings/string_view.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace tardis {

inline constexpr size_t kXxh3_128HexSize = 32;

class StreamHash {
 public:
  StreamHash() : state_(XXH3_createState()) {
    if (state_ != nullptr) XXH3_128bits_reset(state_.get());
  }

  // False only when the hash state could not be allocated.
  bool ok() const { return state_ != nullptr; }

  void Update(const void* data, size_t size) {
    if (size == 0) return;
    XXH3_128bits_update(state_.get(), data, size);
    bytes_ += size;
  }

  uint64_t bytes() const { return bytes_; }

  // Lowercase hex of the digest so far.
  std::string Hex() const {
    XXH128_canonical_t canonical;
    XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(state_.get()));
    return absl::BytesToHexString(
        absl::string_view(reinterpret_cast<const char*>(canonical.digest), sizeof canonical.digest));
  }

 private:
  struct Free {
    void operator()(XXH3_state_t* state) const { XXH3_freeState(state); }
  };
  std::unique_ptr<XXH3_state_t, Free> state_;
  uint64_t bytes_ = 0;
};

inline std::string Xxh3_128Hex(absl::string_view data) {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits(data.data(), data.size()));
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(canonical.digest), sizeof canonical.digest));
}

// Whether `hex` is a digest as Hex() writes it (either case accepted).
inline bool IsXxh3_128Hex(absl::string_view hex) {
  if (hex.size() != kXxh3_128HexSize) return false;
  for (char c : hex) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace tardis

#endif  // TARDIS_SYS_STREAM_HASH_H_
