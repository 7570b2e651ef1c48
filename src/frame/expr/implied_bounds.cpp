// Lower bounds a cut implies, read off its syntax tree: only the top-level `&&` chain, whose
// every term must hold for the cut to hold.
#include "frame/expr/implied_bounds.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "frame/expr/detail/ast.h"

namespace hepflow::frame::expr {
namespace {

using detail::Node;
using detail::NodeKind;

// `name OP k` as (name, minimum); the operator as written when the name is on the left.
std::optional<ImpliedMinimum> minimumOf(const Node& term) {
    if (term.kind != NodeKind::Binary || term.children.size() != 2) return std::nullopt;
    const Node& left = *term.children[0];
    const Node& right = *term.children[1];
    std::string_view op = term.text;
    const Node* name = &left;
    const Node* literal = &right;
    if (left.kind == NodeKind::IntLiteral && right.kind == NodeKind::Name) {
        std::swap(name, literal);
        if (op == "<=")
            op = ">=";
        else if (op == "<")
            op = ">";
        else if (op != "==")
            return std::nullopt;
    }
    if (name->kind != NodeKind::Name || literal->kind != NodeKind::IntLiteral) return std::nullopt;
    const std::int64_t k = literal->int_value;
    std::int64_t minimum = 0;
    if (op == ">=" || op == "==")
        minimum = k;
    else if (op == ">" && k < std::numeric_limits<std::int64_t>::max())
        minimum = k + 1;
    else
        return std::nullopt;
    if (minimum < 1) return std::nullopt;
    return ImpliedMinimum{name->text, minimum};
}

void collect(const Node& node, std::vector<ImpliedMinimum>& out) {
    if (node.kind == NodeKind::Binary && node.text == "&&") {
        for (const auto& child : node.children) collect(*child, out);
        return;
    }
    if (auto found = minimumOf(node)) out.push_back(std::move(*found));
}

}  // namespace

std::vector<ImpliedMinimum> impliedMinimums(std::string_view cut) {
    const detail::ParsedProgram program = detail::parse(cut);
    std::vector<ImpliedMinimum> found;
    collect(*program.result, found);
    std::erase_if(found, [&](const ImpliedMinimum& bound) {
        return std::any_of(program.lets.begin(), program.lets.end(),
                           [&](const detail::LetBinding& let) { return let.name == bound.column; });
    });
    return found;
}

}  // namespace hepflow::frame::expr
