// compileText over expr::compile: the compiled program is shared by every copy of the
// evaluator (CompiledExpression::evaluate is thread-safe).
#include "frame/engine/detail/expression_binding.h"

#include <memory>

namespace hepflow::frame::engine::detail {

CompiledText compileText(std::string_view text, const expr::Schema& schema) {
    auto compiled = std::make_shared<expr::CompiledExpression>(expr::compile(text, schema));
    CompiledText result;
    result.inputs = compiled->inputs();
    result.type = compiled->type();
    result.evaluate = [compiled](const ColumnBatch& batch) { return compiled->evaluate(batch); };
    return result;
}

}  // namespace hepflow::frame::engine::detail
