// One field of a parsed JSON object, read only when it is there with the expected type:
// the getters every record reader (state records, the install record, acted.json,
// metadata answers) uses, so that "present and of this type" means the same everywhere.
#ifndef TARDIS_SYS_JSON_FIELDS_H_
#define TARDIS_SYS_JSON_FIELDS_H_

#include <string>

#include <nlohmann/json.hpp>

namespace tardis::json_fields {

inline bool GetString(const nlohmann::json& json, const char* key, std::string* out) {
  const auto it = json.find(key);
  if (it == json.end() || !it->is_string()) return false;
  *out = it->get<std::string>();
  return true;
}

// `Int`: int64_t, int, ...
template <typename Int>
bool GetInt(const nlohmann::json& json, const char* key, Int* out) {
  const auto it = json.find(key);
  if (it == json.end() || !it->is_number_integer()) return false;
  *out = it->get<Int>();
  return true;
}

inline bool GetBool(const nlohmann::json& json, const char* key, bool* out) {
  const auto it = json.find(key);
  if (it == json.end() || !it->is_boolean()) return false;
  *out = it->get<bool>();
  return true;
}

}  // namespace tardis::json_fields

#endif  // TARDIS_SYS_JSON_FIELDS_H_
