// Entry point of the compiler (compiler.cpp): expression text + schema -> program.
#pragma once

#include <memory>
#include <string_view>

#include "frame/expr/detail/program.h"

namespace hepflow::frame::expr::detail {

// Throws UsageError("col N: ...") for any syntax, name, shape or type error.
std::unique_ptr<ProgramData> compileProgram(std::string_view text, const Schema& schema);

}  // namespace hepflow::frame::expr::detail
