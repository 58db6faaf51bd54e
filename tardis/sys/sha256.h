// SHA-256 and HMAC-SHA256 (libcrypto): what authenticated images are built on. XXH3,
// the images' everyday checksum, finds corruption fast but is not collision-resistant,
// so an image signed with a key (image/authenticity.h) names every file by its SHA-256.
#ifndef TARDIS_SYS_SHA256_H_
#define TARDIS_SYS_SHA256_H_

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <memory>
#include <string>

#include <absl/strings/ascii.h>
#include <absl/strings/escaping.h>
#include <absl/strings/string_view.h>

#include "tardis/sys/hex.h"

namespace tardis {

inline constexpr size_t kSha256HexSize = 64;

// libcrypto without the host's openssl.cnf: these two primitives need nothing from it,
// and a node's crypto policy (providers to load dynamically into a static binary) must
// not decide whether images verify. Once per process, before the first use.
inline void InitCrypto() {
  static const bool done = OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr) == 1;
  (void)done;
}

// A running SHA-256, fed as the bytes go by.
class Sha256 {
 public:
  Sha256() : context_((InitCrypto(), EVP_MD_CTX_new())) {
    if (context_ != nullptr && EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr) != 1) context_.reset();
  }

  // False when libcrypto could not set one up.
  bool ok() const { return context_ != nullptr; }

  void Update(const void* data, size_t size) {
    if (ok() && size > 0) EVP_DigestUpdate(context_.get(), data, size);
  }

  // Lowercase hex of the digest of everything fed so far ("" when !ok()).
  std::string Hex() const {
    if (!ok()) return "";
    std::unique_ptr<EVP_MD_CTX, Free> copy(EVP_MD_CTX_new());
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (copy == nullptr || EVP_MD_CTX_copy_ex(copy.get(), context_.get()) != 1 ||
        EVP_DigestFinal_ex(copy.get(), digest, &size) != 1) {
      return "";
    }
    return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), size));
  }

 private:
  struct Free {
    void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> context_;
};

// Lowercase hex of HMAC-SHA256(key, data); "" if libcrypto failed.
inline std::string HmacSha256Hex(absl::string_view key, absl::string_view data) {
  InitCrypto();
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
           data.size(), mac, &size) == nullptr) {
    return "";
  }
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(mac), size));
}

// Whether `a` and `b` are equal, in time that does not depend on where they differ
// (a MAC compared byte by byte with an early exit tells a forger how much was right).
inline bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Whether `hex` is a SHA-256 as Hex() writes it.
inline bool IsSha256Hex(absl::string_view hex) { return IsLowerHex(hex, kSha256HexSize); }

}  // namespace tardis

#endif  // TARDIS_SYS_SHA256_H_
