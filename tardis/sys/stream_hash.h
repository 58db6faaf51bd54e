// The checksum of an archive stream: its 128-bit XXH3 and its length, computed as the
// bytes go by, so that writing or reading an image needs no second pass over it; for an
// authenticated image (image/authenticity.h) its SHA-256 as well.
// The hex form is XXH128's canonical (big-endian) one, what `xxhsum -H2` prints.
#ifndef TARDIS_SYS_STREAM_HASH_H_
#define TARDIS_SYS_STREAM_HASH_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <absl/strings/ascii.h>
#include <absl/strings/escaping.h>
#include <absl/strings/string_view.h>

#include "tardis/sys/hex.h"
#include "tardis/sys/sha256.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace tardis {

inline constexpr size_t kXxh3_128HexSize = 32;

class StreamHash {
 public:
  enum class Sha : bool { kNo, kAlso };

  explicit StreamHash(Sha sha = Sha::kNo) : state_(XXH3_createState()) {
    if (state_ != nullptr) XXH3_128bits_reset(state_.get());
    if (sha == Sha::kAlso) sha256_.emplace();
  }

  // False only when a hash state could not be allocated.
  bool ok() const { return state_ != nullptr && (!sha256_ || sha256_->ok()); }

  void Update(const void* data, size_t size) {
    if (size == 0) return;
    XXH3_128bits_update(state_.get(), data, size);
    if (sha256_) sha256_->Update(data, size);
    bytes_ += size;
  }

  // Lowercase hex of the SHA-256 so far, "" unless asked for.
  std::string Sha256Hex() const { return sha256_ ? sha256_->Hex() : ""; }

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
  std::optional<Sha256> sha256_;
  uint64_t bytes_ = 0;
};

inline std::string Xxh3_128Hex(absl::string_view data) {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits(data.data(), data.size()));
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(canonical.digest), sizeof canonical.digest));
}

// Whether `hex` is a digest as Hex() writes it, in either case. Upper case is accepted
// because UnpackIntoUpperdir() has always taken it (unpack_test holds it to that); no
// image can bring one, as the manifest parser has refused upper case since the first
// manifest (image/manifest.h checks with IsLowerHex()).
inline bool IsXxh3_128Hex(absl::string_view hex) {
  return IsLowerHex(absl::AsciiStrToLower(hex), kXxh3_128HexSize);
}

}  // namespace tardis

#endif  // TARDIS_SYS_STREAM_HASH_H_
