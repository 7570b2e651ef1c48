// Throws an error of the given class with file and offset context attached. Needed because
// Error::at() returns Error&, so `throw IoError(...).at(...)` would throw a sliced Error that
// `catch (const IoError&)` never sees.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace hepflow::io::detail {

template <class E>
[[noreturn]] void throwAt(std::string message, std::string_view file,
                          std::optional<std::uint64_t> offset = std::nullopt) {
    E error(std::move(message));
    error.at(file, {}, offset);
    throw error;
}

}  // namespace hepflow::io::detail
