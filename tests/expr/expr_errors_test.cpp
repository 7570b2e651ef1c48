// Compile-time errors of the expression language: syntax, unknown names (with suggestions),
// shapes and types, each with its exact 1-based column; plus result types and inputs().
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/error.h"
#include "frame/expr/expression.h"

namespace hepflow::frame::expr {
namespace {

Schema nanoSchema() {
    Schema s;
    s.columns = {
        {"MET_pt", {DType::Float32, 0}},    {"MET_phi", {DType::Float32, 0}},
        {"nMuon", {DType::UInt32, 0}},      {"Muon_pt", {DType::Float32, 1}},
        {"Muon_eta", {DType::Float32, 1}},  {"Muon_phi", {DType::Float32, 1}},
        {"Muon_charge", {DType::Int32, 1}}, {"nJet", {DType::UInt32, 0}},
        {"Jet_pt", {DType::Float32, 1}},    {"Jet_eta", {DType::Float32, 1}},
        {"Jet_phi", {DType::Float32, 1}},   {"Jet_mass", {DType::Float32, 1}},
        {"Jet.PT", {DType::Float32, 1}},    {"run", {DType::UInt32, 0}},
        {"weight", {DType::Float64, 0}},    {"pass", {DType::Bool, 0}},
        {"hlt_names", {DType::String, 1}},  {"deep", {DType::Float32, 2}},
        {"Tau_pt", {DType::Float32, 1}},
    };
    return s;
}

std::string errorOf(const std::string& text) {
    try {
        compile(text, nanoSchema());
    } catch (const UsageError& e) {
        return e.message();
    }
    return "(no error)";
}

struct ErrorCase {
    const char* text;
    const char* message;
};

TEST(ExprErrors, MessagesAndPositions) {
    const ErrorCase cases[] = {
        // unknown names suggest the closest column or collection
        {"sum(Muon_ptt)", "col 5: unknown column 'Muon_ptt' \u2014 did you mean 'Muon_pt'?"},
        {"MET_pT > 10", "col 1: unknown column 'MET_pT' \u2014 did you mean 'MET_pt'?"},
        {"count(Muonn)", "col 7: unknown column 'Muonn' \u2014 did you mean 'Muon'?"},
        {"xyzzyplugh + 1", "col 1: unknown column 'xyzzyplugh'"},
        {"Muon.ptt", "col 6: collection 'Muon' has no field 'ptt' \u2014 did you mean 'pt'?"},
        {"sqr(MET_pt)", "col 1: unknown function 'sqr' \u2014 did you mean 'sqrt'?"},
        // different collections
        {"sum(Muon_pt < Jet_pt)",
         "col 5: cannot compare per-object values of 'Muon' and 'Jet' (different collections)"},
        {"Muon_pt + Jet_pt",
         "col 1: cannot combine per-object values of 'Muon' and 'Jet' (different collections)"},
        // chained comparisons
        {"60 < MET_pt < 120",
         "col 13: chained comparison 'a < b < c' is not supported; write 'a < b && b < c'"},
        // syntax
        {"MET_pt +", "col 9: unexpected end of the expression"},
        {"(MET_pt", "col 8: expected ')' to close '(', found the end of the expression"},
        {"MET_pt & 1", "col 8: unexpected '&' (did you mean '&&'?)"},
        {"MET_pt $", "col 8: unexpected character '$'"},
        {"", "col 1: empty expression"},
        {"let x = 1; ", "col 12: expected an expression after the last 'let'"},
        {"let x = 1 x", "col 11: expected ';' to end the 'let' at col 1, found 'x'"},
        {"1 2", "col 3: unexpected '2' after the end of the expression"},
        {"12abc", "col 1: malformed number '12a'"},
        // shapes and types
        {"sum(MET_pt)",
         "col 1: sum() of one argument reduces per-object values, but this one "
         "has one value per event"},
        {"MET_pt[0]",
         "col 1: only per-object values can be indexed (this one has one value "
         "per event)"},
        {"Jet_pt[1.5]", "col 8: an index must be an int, not double"},
        {"Muon + 1",
         "col 1: 'Muon' is a collection, not a value: use one of its fields "
         "('Muon.pt') or count(Muon)"},
        {"hlt_names", "col 1: column 'hlt_names' (string) cannot be used in expressions"},
        {"deep + 1", "col 1: column 'deep' (float32, 2 levels) cannot be used in expressions"},
        {"any(pairs(Muon, (a, b) -> a.pt > Jet_pt))",
         "col 27: a pairs()/triplets() body may use per-event values and the fields of its "
         "objects, not per-object values of 'Jet'"},
        {"any(pairs(Muon, (a, b, c) -> a.pt > 1))",
         "col 17: the lambda of pairs() takes 2 parameters"},
        {"pairs(Muon, 1)",
         "col 1: pairs() takes a collection (or two) and a lambda: pairs(C, "
         "(a, b) -> ...)"},
        {"mass(Muon_pt)",
         "col 6: mass() takes one collection (mass(Muon)) or objects of a "
         "pairs()/triplets() body (mass(a, b))"},
        {"sqrt(MET_pt, 1)", "col 1: sqrt() takes 1 argument, not 2"},
        {"Muon[Jet_pt > 1]",
         "col 1: cannot mask per-object values of 'Muon' and 'Jet' (different collections)"},
        {"Muon[MET_pt > 1]",
         "col 6: a collection is selected with a per-object bool mask ('Muon[Muon.pt > 10]'); "
         "index one of its fields for single objects"},
        {"mass(Tau)", "col 6: collection 'Tau' has no 'eta' field"},
    };
    for (const auto& c : cases) EXPECT_EQ(errorOf(c.text), c.message) << c.text;
}

TEST(ExprErrors, ErrorsAreUsageErrors) {
    EXPECT_THROW(compile("Muon_ptt", nanoSchema()), UsageError);
    EXPECT_THROW(compile("1 +* 2", nanoSchema()), UsageError);
}

struct TypeCase {
    const char* text;
    ResultShape shape;
    DType dtype;
};

TEST(ExprTypes, ShapesAndPromotion) {
    const TypeCase cases[] = {
        {"MET_pt", ResultShape::PerEvent, DType::Float32},
        {"run", ResultShape::PerEvent, DType::Int64},  // integers are read as int64
        {"run * 2", ResultShape::PerEvent, DType::Int64},
        {"run / 2", ResultShape::PerEvent, DType::Float64},  // `/` divides in floating point
        {"MET_pt * 2", ResultShape::PerEvent, DType::Float32},
        {"MET_pt * 2.5", ResultShape::PerEvent, DType::Float32},  // weak float literal
        {"run * 2.5", ResultShape::PerEvent, DType::Float64},
        {"MET_pt * weight", ResultShape::PerEvent, DType::Float64},
        {"run * MET_pt", ResultShape::PerEvent, DType::Float32},  // int * float is float
        {"sqrt(run)", ResultShape::PerEvent, DType::Float64},
        {"sqrt(MET_pt)", ResultShape::PerEvent, DType::Float32},
        {"pass + pass", ResultShape::PerEvent, DType::Int64},
        {"MET_pt > 10", ResultShape::PerEvent, DType::Bool},
        {"1 + 2", ResultShape::PerEvent, DType::Int64},
        {"pi", ResultShape::PerEvent, DType::Float64},
        {"Muon_pt", ResultShape::PerObject, DType::Float32},
        {"Muon.pt", ResultShape::PerObject, DType::Float32},
        {"Jet.PT", ResultShape::PerObject, DType::Float32},
        {"Muon_pt * MET_pt", ResultShape::PerObject, DType::Float32},
        {"Muon_charge", ResultShape::PerObject, DType::Int64},
        {"sum(Muon_charge)", ResultShape::PerEvent, DType::Int64},
        {"sum(Muon_pt)", ResultShape::PerEvent, DType::Float32},
        {"mean(Muon_pt)", ResultShape::PerEvent, DType::Float64},
        {"count(Muon)", ResultShape::PerEvent, DType::Int64},
        {"mass(Jet)", ResultShape::PerEvent, DType::Float64},
        {"Muon", ResultShape::Collection, DType::Struct},
        {"Muon[Muon_pt > 10]", ResultShape::Collection, DType::Struct},
        {"pairs(Muon, (a, b) -> a.pt + b.pt)", ResultShape::PerObject, DType::Float32},
        {"pairs(Muon, (a, b) -> 1)", ResultShape::PerObject, DType::Int64},
        {"MET_pt > 1 ? MET_pt : nan", ResultShape::PerEvent, DType::Float32},
    };
    for (const auto& c : cases) {
        const auto e = compile(c.text, nanoSchema());
        EXPECT_EQ(e.type().shape, c.shape) << c.text;
        EXPECT_EQ(e.type().dtype, c.dtype) << c.text;
        EXPECT_EQ(e.text(), c.text);
    }
}

TEST(ExprTypes, InputsAreSortedUsedColumnsOnly) {
    const auto e = compile("let unused = Jet_pt; let m = Muon[Muon_eta > 0]; sum(m.pt) + MET_pt",
                           nanoSchema());
    EXPECT_EQ(e.inputs(), (std::vector<std::string>{"MET_pt", "Muon_eta", "Muon_pt"}));
    EXPECT_EQ(compile("count(Muon)", nanoSchema()).inputs(), (std::vector<std::string>{"Muon_pt"}));
}

// The engine's own "#..." columns (object selection masks) are neither collections nor
// suggested for a typo.
TEST(ExprErrors, InternalColumnsAreInvisible) {
    Schema s = nanoSchema();
    s.columns.push_back({"#Good.mask", {DType::Bool, 1}});
    s.columns.push_back({"#Goodmask", {DType::Bool, 1}});
    const auto message = [&](const char* text) {
        try {
            compile(text, s);
        } catch (const UsageError& e) {
            return std::string(e.message());
        }
        return std::string("(no error)");
    };
    EXPECT_EQ(message("count(Good)"), "col 7: unknown column 'Good'") << message("count(Good)");
    EXPECT_EQ(message("Goodmask"), "col 1: unknown column 'Goodmask'") << message("Goodmask");
    EXPECT_EQ(compile("count(Muon)", s).inputs(), (std::vector<std::string>{"Muon_pt"}));
}

TEST(ExprTypes, LetShadowsColumns) {
    const auto e = compile("let MET_pt = 3; MET_pt", nanoSchema());
    EXPECT_TRUE(e.inputs().empty());
    EXPECT_EQ(e.type().dtype, DType::Int64);
}

// Found by fuzzing: deep nesting used to overflow the stack, and long `let` chains used to
// grow compile time exponentially. Both must now end quickly with a clear error or a result.
TEST(ExprErrors, DeepNestingIsAnErrorNotACrash) {
    const std::string parens = std::string(100000, '(') + "MET_pt" + std::string(100000, ')');
    EXPECT_EQ(errorOf(parens), "col 257: the expression nests deeper than 256 levels");
    std::string chain = "MET_pt";
    for (int i = 0; i < 50000; ++i) chain += " + MET_pt";
    EXPECT_NE(errorOf(chain).find("nests deeper than 256 levels"), std::string::npos);
}

TEST(ExprErrors, LongLetChainsCompile) {
    std::string text = "let a0 = MET_pt; ";
    for (int i = 1; i < 48; ++i)
        text += "let a" + std::to_string(i) + " = a" + std::to_string(i - 1) + " * a" +
                std::to_string(i - 1) + " - a" + std::to_string(i - 1) + "; ";
    text += "a47 > 0";
    const auto compiled = compile(text, nanoSchema());
    EXPECT_EQ(compiled.type().dtype, DType::Bool);
    EXPECT_EQ(compiled.inputs(), std::vector<std::string>{"MET_pt"});
}

}  // namespace
}  // namespace hepflow::frame::expr
