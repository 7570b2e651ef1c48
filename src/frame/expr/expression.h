// The expression language's public face (docs/expressions.md): compile a text once against the
// schema of the input columns, then evaluate it on any number of column batches. Compilation
// parses, resolves names and collections, type-checks and lowers the expression to a program of
// vectorized kernels; evaluation runs that program over whole columns, never per event.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "frame/columns/column.h"

namespace hepflow::frame::expr {

// What the compiler needs to know about one input column: its value type and jagged levels
// (0 per event, 1 per object; deeper columns are visible but unusable in expressions).
struct ColumnType {
    DType dtype = DType::Float64;
    std::size_t levels = 0;
};

// The columns an expression may use, by name, in a stable order (used for "did you mean").
struct Schema {
    std::vector<std::pair<std::string, ColumnType>> columns;

    const ColumnType* find(std::string_view name) const;
};

// The shape of an expression's result.
enum class ResultShape {
    PerEvent,    // a flat column, one value per event
    PerObject,   // a jagged column (one level)
    Collection,  // a collection: a Struct column whose members are its aligned jagged fields
};

struct ResultType {
    ResultShape shape = ResultShape::PerEvent;
    // Bool, Int64, Float32 or Float64; Struct for a collection.
    DType dtype = DType::Float64;
};

class CompiledExpression {
public:
    ~CompiledExpression();
    CompiledExpression(CompiledExpression&&) noexcept;
    CompiledExpression& operator=(CompiledExpression&&) noexcept;

    const std::string& text() const;
    ResultType type() const;
    // The input columns evaluate() reads (names as in the schema), sorted, no duplicates.
    const std::vector<std::string>& inputs() const;

    // Runs the program on a batch that holds (at least) inputs(). The result has
    // batch.num_entries entries: flat for PerEvent (constants are broadcast), one jagged level
    // for PerObject, a Struct column (members = field name -> jagged column; a collection
    // derived from `Muon` has the fields of `Muon` plus `index`) for Collection. Thread-safe:
    // one compiled expression may evaluate different batches concurrently. Throws UsageError
    // for a run-time shape mismatch (naming the expression and the entry).
    Column evaluate(const ColumnBatch& batch) const;

private:
    friend CompiledExpression compile(std::string_view, const Schema&);
    struct Program;
    explicit CompiledExpression(std::unique_ptr<Program> program);
    std::unique_ptr<Program> program_;
};

// Parses, type-checks and compiles `text`. Throws UsageError whose message starts with
// "col N: " (1-based character position in `text`) and, for unknown names, suggests the
// closest column or collection ("did you mean 'Muon_pt'?").
CompiledExpression compile(std::string_view text, const Schema& schema);

}  // namespace hepflow::frame::expr
