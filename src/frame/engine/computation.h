// What a filter, define, object selection or action computes: an expression of the
// expression language (docs/expressions.md), compiled against the columns known at that point
// of the graph, or a C++ function of the column batch that names the columns it reads.
// Binding one to a schema resolves its inputs and the shape of its result before any data
// is read, so that a bad configuration fails before any output exists.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "frame/columns/column.h"
#include "frame/expr/expression.h"

namespace hepflow::frame::engine {

// A C++ computation: called with a batch holding (at least) its inputs; returns a column of
// batch.num_entries entries. Must be thread-safe (units are evaluated concurrently) and must
// accept a batch of 0 entries (used to learn the result's type).
using ColumnFunction = std::function<Column(const ColumnBatch&)>;

class Computation {
public:
    Computation() = default;  // an empty expression (refused when bound)
    // An expression text (implicit, so that `analysis.filter("cut", "nMuon >= 2")` reads well).
    Computation(std::string text);  // NOLINT(google-explicit-constructor)
    Computation(const char* text);  // NOLINT(google-explicit-constructor)
    // A C++ function; `label` names it in errors and reports.
    static Computation function(std::string label, std::vector<std::string> inputs,
                                ColumnFunction function);

    bool isExpression() const { return !function_; }
    // The expression text, or the function's label.
    const std::string& text() const { return text_; }
    const std::vector<std::string>& functionInputs() const { return inputs_; }
    const ColumnFunction& function() const { return function_; }

private:
    std::string text_;
    std::vector<std::string> inputs_;
    ColumnFunction function_;
};

// A computation bound to a schema: ready to evaluate on batches. Copyable and thread-safe.
class BoundComputation {
public:
    // Compiles an expression against `schema` (UsageError "col N: ..." as expr::compile
    // throws it) or checks a function's inputs against it (UsageError naming the column), then
    // learns the result's exact type by evaluating it on an empty batch of those columns.
    static BoundComputation bind(const Computation& computation, const expr::Schema& schema);

    const std::string& text() const { return text_; }
    // The columns evaluate() reads, sorted, no duplicates.
    const std::vector<std::string>& inputs() const { return inputs_; }
    // The result of an empty batch: dtype, levels and (for collections) members.
    const Column& prototype() const { return prototype_; }
    bool isCollection() const { return prototype_.dtype() == DType::Struct; }

    // Throws UsageError (naming the text) when the result does not have batch.num_entries rows
    // or changes type between batches.
    Column evaluate(const ColumnBatch& batch) const;

private:
    std::string text_;
    std::vector<std::string> inputs_;
    ColumnFunction function_;
    Column prototype_;
};

// A batch of 0 entries with one empty column per name, typed as in `schema`.
ColumnBatch emptyBatch(const std::vector<std::string>& names, const expr::Schema& schema);

}  // namespace hepflow::frame::engine
