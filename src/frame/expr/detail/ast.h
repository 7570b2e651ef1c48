// The syntax tree of the expression language and its parser (lexer + recursive descent).
// Every node keeps the 1-based column where it starts, so the type checker can point at the
// exact place of an error. Syntax only: names are resolved later, by the compiler.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hepflow::frame::expr::detail {

enum class NodeKind {
    IntLiteral,    // int_value
    FloatLiteral,  // float_value (also pi, inf, nan)
    BoolLiteral,   // int_value 0/1
    Name,          // text
    Unary,         // text = "-" or "!", children[0]
    Binary,        // text = operator, children[0..1]; op_pos = the operator
    Ternary,       // children = cond, then, else
    Call,          // text = function name, children = arguments (may contain Lambda)
    Index,         // children = base, index
    Member,        // children[0] = base, text = field
    Lambda,        // params, children[0] = body
};

struct Node {
    NodeKind kind = NodeKind::Name;
    int pos = 1;     // 1-based column of the node's first character
    int op_pos = 1;  // Binary: the operator's column
    std::string text;
    std::int64_t int_value = 0;
    double float_value = 0;
    std::vector<std::unique_ptr<Node>> children;
    std::vector<std::string> params;
    int height = 1;  // levels below and including this node (bounded by the parser)
};
using NodePtr = std::unique_ptr<Node>;

struct LetBinding {
    std::string name;
    int pos = 1;
    NodePtr value;
};

struct ParsedProgram {
    std::vector<LetBinding> lets;
    NodePtr result;
};

// The deepest nesting the parser accepts (parentheses, operands of operator chains, arguments):
// the compiler lowers the tree recursively, so its depth must stay far from the stack's limit.
inline constexpr int kMaxNesting = 256;

// Throws UsageError("col N: ...") on a syntax error or nesting deeper than kMaxNesting.
ParsedProgram parse(std::string_view text);

}  // namespace hepflow::frame::expr::detail
