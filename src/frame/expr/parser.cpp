// Lexer and recursive-descent parser of the expression language (docs/expressions.md): text to
// a syntax tree with 1-based columns. Chained comparisons are rejected here, with a hint,
// because C++ would silently give them another meaning.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <limits>
#include <numbers>

#include <fmt/format.h>

#include "common/error.h"
#include "frame/expr/detail/ast.h"
#include "frame/expr/detail/diagnostics.h"

namespace hepflow::frame::expr::detail {
namespace {

enum class TokenKind { Int, Float, Ident, Op, End };

struct Token {
    TokenKind kind = TokenKind::End;
    std::string text;
    int pos = 1;
    std::int64_t int_value = 0;
    double float_value = 0;
};

bool isIdentStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isDigit(char c) {
    return c >= '0' && c <= '9';
}

std::vector<Token> lex(std::string_view text) {
    static constexpr std::string_view kTwoCharOps[] = {"&&", "||", "==", "!=", "<=", ">=", "->"};
    static constexpr std::string_view kOneCharOps = "+-*/%<>!?:()[],.;=";
    std::vector<Token> tokens;
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        const int pos = static_cast<int>(i) + 1;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            ++i;
            continue;
        }
        if (isIdentStart(c)) {
            std::size_t j = i;
            while (j < text.size() && (isIdentStart(text[j]) || isDigit(text[j]))) ++j;
            tokens.push_back({TokenKind::Ident, std::string(text.substr(i, j - i)), pos});
            i = j;
            continue;
        }
        if (isDigit(c) || (c == '.' && i + 1 < text.size() && isDigit(text[i + 1]))) {
            std::size_t j = i;
            bool is_float = false;
            while (j < text.size() && isDigit(text[j])) ++j;
            if (j < text.size() && text[j] == '.') {
                is_float = true;
                ++j;
                while (j < text.size() && isDigit(text[j])) ++j;
            }
            if (j < text.size() && (text[j] == 'e' || text[j] == 'E')) {
                std::size_t k = j + 1;
                if (k < text.size() && (text[k] == '+' || text[k] == '-')) ++k;
                if (k < text.size() && isDigit(text[k])) {
                    is_float = true;
                    j = k;
                    while (j < text.size() && isDigit(text[j])) ++j;
                }
            }
            if (j < text.size() && (isIdentStart(text[j]) || isDigit(text[j])))
                fail(pos, fmt::format("malformed number '{}'", text.substr(i, j - i + 1)));
            Token token{is_float ? TokenKind::Float : TokenKind::Int,
                        std::string(text.substr(i, j - i)), pos};
            const char* first = text.data() + i;
            const char* last = text.data() + j;
            if (is_float) {
                // strtod, not from_chars: it is locale-independent enough here (digits, '.',
                // exponent) and clang 14's libstdc++ pairing lacks floating from_chars.
                token.float_value = std::strtod(token.text.c_str(), nullptr);
            } else {
                const auto result = std::from_chars(first, last, token.int_value);
                if (result.ec != std::errc())
                    fail(pos, fmt::format("integer literal '{}' is out of range", token.text));
            }
            tokens.push_back(std::move(token));
            i = j;
            continue;
        }
        bool matched = false;
        for (const auto op : kTwoCharOps) {
            if (text.substr(i, 2) == op) {
                tokens.push_back({TokenKind::Op, std::string(op), pos});
                i += 2;
                matched = true;
                break;
            }
        }
        if (matched) continue;
        if (kOneCharOps.find(c) != std::string_view::npos) {
            tokens.push_back({TokenKind::Op, std::string(1, c), pos});
            ++i;
            continue;
        }
        if (c == '&' || c == '|')
            fail(pos, fmt::format("unexpected '{}' (did you mean '{}{}'?)", c, c, c));
        fail(pos, fmt::format("unexpected character '{}'", c));
    }
    tokens.push_back({TokenKind::End, "", static_cast<int>(text.size()) + 1});
    return tokens;
}

class Parser {
public:
    explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

    ParsedProgram parseProgram() {
        ParsedProgram program;
        while (isIdent("let")) {
            const int let_pos = peek().pos;
            advance();
            if (peek().kind != TokenKind::Ident || isKeyword(peek().text))
                fail(peek().pos,
                     fmt::format("expected a name after 'let', found {}", describe(peek())));
            LetBinding binding;
            binding.name = peek().text;
            binding.pos = peek().pos;
            advance();
            expectOp("=", "after the name of a 'let'");
            binding.value = parseExpression();
            expectOp(";", fmt::format("to end the 'let' at col {}", let_pos));
            program.lets.push_back(std::move(binding));
        }
        if (peek().kind == TokenKind::End)
            fail(peek().pos, program.lets.empty() ? "empty expression"
                                                  : "expected an expression after the last 'let'");
        program.result = parseExpression();
        if (peek().kind != TokenKind::End)
            fail(peek().pos,
                 fmt::format("unexpected {} after the end of the expression", describe(peek())));
        return program;
    }

private:
    static bool isKeyword(const std::string& word) {
        return word == "let" || word == "and" || word == "or" || word == "not" || word == "true" ||
               word == "false" || word == "pi" || word == "inf" || word == "nan";
    }
    static std::string describe(const Token& token) {
        if (token.kind == TokenKind::End) return "the end of the expression";
        return fmt::format("'{}'", token.text);
    }

    const Token& peek(std::size_t ahead = 0) const {
        return tokens_[std::min(index_ + ahead, tokens_.size() - 1)];
    }
    void advance() {
        if (index_ + 1 < tokens_.size()) ++index_;
    }
    bool isOp(std::string_view op, std::size_t ahead = 0) const {
        return peek(ahead).kind == TokenKind::Op && peek(ahead).text == op;
    }
    bool isIdent(std::string_view word) const {
        return peek().kind == TokenKind::Ident && peek().text == word;
    }
    void expectOp(std::string_view op, const std::string& context) {
        if (!isOp(op))
            fail(peek().pos,
                 fmt::format("expected '{}' {}, found {}", op, context, describe(peek())));
        advance();
    }

    // Makes `child` the next child of `parent`, refusing trees deeper than kMaxNesting.
    static void adopt(Node& parent, NodePtr child) {
        parent.height = std::max(parent.height, child->height + 1);
        if (parent.height > kMaxNesting)
            fail(parent.kind == NodeKind::Binary ? parent.op_pos : child->pos,
                 fmt::format("the expression nests deeper than {} levels", kMaxNesting));
        parent.children.push_back(std::move(child));
    }

    // Bounds the parser's own recursion (nested parentheses, unary operators, calls).
    class DepthGuard {
    public:
        explicit DepthGuard(Parser& parser) : parser_(parser) {
            if (++parser_.depth_ > 2 * kMaxNesting)  // two calls per level of parentheses
                fail(parser_.peek().pos,
                     fmt::format("the expression nests deeper than {} levels", kMaxNesting));
        }
        ~DepthGuard() { --parser_.depth_; }
        DepthGuard(const DepthGuard&) = delete;
        DepthGuard& operator=(const DepthGuard&) = delete;

    private:
        Parser& parser_;
    };

    static NodePtr makeNode(NodeKind kind, int pos) {
        auto node = std::make_unique<Node>();
        node->kind = kind;
        node->pos = pos;
        return node;
    }
    static NodePtr makeBinary(std::string op, int op_pos, NodePtr left, NodePtr right) {
        auto node = makeNode(NodeKind::Binary, left->pos);
        node->text = std::move(op);
        node->op_pos = op_pos;
        adopt(*node, std::move(left));
        adopt(*node, std::move(right));
        return node;
    }

    NodePtr parseExpression() { return parseTernary(); }

    NodePtr parseTernary() {
        const DepthGuard guard(*this);
        auto cond = parseOr();
        if (!isOp("?")) return cond;
        advance();
        auto then_value = parseTernary();
        expectOp(":", "in 'cond ? a : b'");
        auto else_value = parseTernary();
        auto node = makeNode(NodeKind::Ternary, cond->pos);
        adopt(*node, std::move(cond));
        adopt(*node, std::move(then_value));
        adopt(*node, std::move(else_value));
        return node;
    }

    NodePtr parseOr() {
        auto left = parseAnd();
        while (isOp("||") || isIdent("or")) {
            const int op_pos = peek().pos;
            advance();
            left = makeBinary("||", op_pos, std::move(left), parseAnd());
        }
        return left;
    }

    NodePtr parseAnd() {
        auto left = parseEquality();
        while (isOp("&&") || isIdent("and")) {
            const int op_pos = peek().pos;
            advance();
            left = makeBinary("&&", op_pos, std::move(left), parseEquality());
        }
        return left;
    }

    // One comparison per level: `a < b < c` means something else in C++ and in Python, so it is
    // an error with the rewrite to use.
    NodePtr parseComparisonLevel(const std::vector<std::string_view>& ops, bool relational) {
        auto left = relational ? parseAdditive() : parseComparisonLevel(kRelational, true);
        auto matches = [&] {
            if (peek().kind != TokenKind::Op) return false;
            for (auto op : ops)
                if (peek().text == op) return true;
            return false;
        };
        if (!matches()) return left;
        const std::string op = peek().text;
        const int op_pos = peek().pos;
        advance();
        auto right = relational ? parseAdditive() : parseComparisonLevel(kRelational, true);
        if (matches())
            fail(peek().pos, fmt::format("chained comparison 'a {} b {} c' is not supported; write "
                                         "'a {} b && b {} c'",
                                         op, peek().text, op, peek().text));
        return makeBinary(op, op_pos, std::move(left), std::move(right));
    }
    NodePtr parseEquality() { return parseComparisonLevel(kEquality, false); }

    NodePtr parseAdditive() {
        auto left = parseMultiplicative();
        while (isOp("+") || isOp("-")) {
            const std::string op = peek().text;
            const int op_pos = peek().pos;
            advance();
            left = makeBinary(op, op_pos, std::move(left), parseMultiplicative());
        }
        return left;
    }

    NodePtr parseMultiplicative() {
        auto left = parseUnary();
        while (isOp("*") || isOp("/") || isOp("%")) {
            const std::string op = peek().text;
            const int op_pos = peek().pos;
            advance();
            left = makeBinary(op, op_pos, std::move(left), parseUnary());
        }
        return left;
    }

    NodePtr parseUnary() {
        const DepthGuard guard(*this);
        if (isOp("-") || isOp("!") || isIdent("not")) {
            const int pos = peek().pos;
            const std::string op = isOp("-") ? "-" : "!";
            advance();
            auto node = makeNode(NodeKind::Unary, pos);
            node->text = op;
            adopt(*node, parseUnary());
            return node;
        }
        if (isOp("+")) {
            advance();
            return parseUnary();
        }
        return parsePostfix();
    }

    NodePtr parsePostfix() {
        auto node = parsePrimary();
        for (;;) {
            if (isOp("[")) {
                advance();
                auto index = makeNode(NodeKind::Index, node->pos);
                adopt(*index, std::move(node));
                adopt(*index, parseExpression());
                expectOp("]", "to close '['");
                node = std::move(index);
            } else if (isOp(".")) {
                advance();
                if (peek().kind != TokenKind::Ident)
                    fail(peek().pos, fmt::format("expected a field name after '.', found {}",
                                                 describe(peek())));
                auto member = makeNode(NodeKind::Member, node->pos);
                member->text = peek().text;
                member->op_pos = peek().pos;
                advance();
                adopt(*member, std::move(node));
                node = std::move(member);
            } else {
                return node;
            }
        }
    }

    // `(a, b) -> body`: recognised by scanning ahead for the parameter list and the arrow.
    bool atLambda() const {
        if (!isOp("(")) return false;
        std::size_t ahead = 1;
        for (;;) {
            if (peek(ahead).kind != TokenKind::Ident) return false;
            ++ahead;
            if (isOp(")", ahead)) return isOp("->", ahead + 1);
            if (!isOp(",", ahead)) return false;
            ++ahead;
        }
    }

    NodePtr parseLambda() {
        auto node = makeNode(NodeKind::Lambda, peek().pos);
        advance();  // (
        while (!isOp(")")) {
            if (isKeyword(peek().text))
                fail(peek().pos, fmt::format("'{}' cannot name a parameter", peek().text));
            for (const auto& existing : node->params)
                if (existing == peek().text)
                    fail(peek().pos, fmt::format("parameter '{}' appears twice", existing));
            node->params.push_back(peek().text);
            advance();
            if (isOp(",")) advance();
        }
        advance();  // )
        advance();  // ->
        adopt(*node, parseExpression());
        return node;
    }

    NodePtr parsePrimary() {
        const Token& token = peek();
        const int pos = token.pos;
        switch (token.kind) {
            case TokenKind::Int: {
                auto node = makeNode(NodeKind::IntLiteral, pos);
                node->int_value = token.int_value;
                node->text = token.text;
                advance();
                return node;
            }
            case TokenKind::Float: {
                auto node = makeNode(NodeKind::FloatLiteral, pos);
                node->float_value = token.float_value;
                node->text = token.text;
                advance();
                return node;
            }
            case TokenKind::Ident: {
                const std::string name = token.text;
                if (name == "true" || name == "false") {
                    auto node = makeNode(NodeKind::BoolLiteral, pos);
                    node->int_value = name == "true" ? 1 : 0;
                    node->text = name;
                    advance();
                    return node;
                }
                if (name == "pi" || name == "inf" || name == "nan") {
                    auto node = makeNode(NodeKind::FloatLiteral, pos);
                    node->float_value = name == "pi"    ? std::numbers::pi
                                        : name == "inf" ? std::numeric_limits<double>::infinity()
                                                        : std::numeric_limits<double>::quiet_NaN();
                    node->text = name;
                    advance();
                    return node;
                }
                if (isKeyword(name)) fail(pos, fmt::format("unexpected keyword '{}'", name));
                advance();
                if (!isOp("(")) {
                    auto node = makeNode(NodeKind::Name, pos);
                    node->text = name;
                    return node;
                }
                advance();
                auto call = makeNode(NodeKind::Call, pos);
                call->text = name;
                if (!isOp(")")) {
                    for (;;) {
                        adopt(*call, atLambda() ? parseLambda() : parseExpression());
                        if (isOp(",")) {
                            advance();
                            continue;
                        }
                        break;
                    }
                }
                expectOp(")", fmt::format("to close the call of '{}'", name));
                return call;
            }
            case TokenKind::Op:
                if (token.text == "(") {
                    if (atLambda())
                        fail(pos,
                             "a lambda '(a, b) -> ...' may only be an argument of pairs() "
                             "or triplets()");
                    advance();
                    auto inner = parseExpression();
                    expectOp(")", "to close '('");
                    return inner;
                }
                fail(pos, fmt::format("expected a value, found {}", describe(token)));
            case TokenKind::End: fail(pos, "unexpected end of the expression");
        }
        fail(pos, "unexpected token");
    }

    static inline const std::vector<std::string_view> kRelational = {"<", "<=", ">", ">="};
    static inline const std::vector<std::string_view> kEquality = {"==", "!="};
    std::vector<Token> tokens_;
    std::size_t index_ = 0;
    int depth_ = 0;
};

}  // namespace

ParsedProgram parse(std::string_view text) {
    return Parser(lex(text)).parseProgram();
}

}  // namespace hepflow::frame::expr::detail
