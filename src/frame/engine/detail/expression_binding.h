// The engine's one door to the expression compiler: compile a text and hand back what the
// engine needs (its inputs, its type and a thread-safe evaluator), so that the rest of the
// engine treats expressions and C++ functions alike.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "frame/engine/computation.h"
#include "frame/expr/expression.h"

namespace hepflow::frame::engine::detail {

struct CompiledText {
    std::vector<std::string> inputs;
    expr::ResultType type;
    ColumnFunction evaluate;
};

// Throws UsageError from the compiler ("col N: ...").
CompiledText compileText(std::string_view text, const expr::Schema& schema);

}  // namespace hepflow::frame::engine::detail
