// The 8 standard patterns of docs/expressions.md, evaluated on a few hundred random NanoAOD-like
// events (fixed seeds) and compared with hand-written loops over the same arrays.
#include <cmath>

#include <gtest/gtest.h>

#include "frame/expr/expression.h"
#include "nano_events.h"

namespace hepflow::frame::expr {
namespace {

using namespace testing;

class ExprPatterns : public ::testing::TestWithParam<std::uint32_t> {
protected:
    void SetUp() override {
        events_ = makeEvents(400, GetParam());
        batch_ = toBatch(events_);
        schema_ = schemaOf(batch_);
    }
    Column run(const char* text) const { return compile(text, schema_).evaluate(batch_); }

    NanoEvents events_;
    ColumnBatch batch_;
    Schema schema_;
};

template <class T>
std::vector<T> valuesOf(const Column& c) {
    const auto v = c.values<T>();
    return {v.begin(), v.end()};
}

template <class A, class B>
void expectClose(const std::vector<A>& actual, const std::vector<B>& expected, double rel,
                 const char* what) {
    ASSERT_EQ(actual.size(), expected.size()) << what;
    for (std::size_t i = 0; i < actual.size(); ++i) {
        const double a = static_cast<double>(actual[i]);
        const double e = static_cast<double>(expected[i]);
        if (std::isnan(e)) {
            EXPECT_TRUE(std::isnan(a)) << what << " event " << i;
        } else {
            EXPECT_NEAR(a, e, rel * std::max(1.0, std::abs(e))) << what << " event " << i;
        }
    }
}

TEST_P(ExprPatterns, Scalar) {
    const Column c = run(kPattern1);
    EXPECT_EQ(valuesOf<float>(c), events_.met_pt);
}

TEST_P(ExprPatterns, AllObjects) {
    const Column c = run(kPattern2);
    EXPECT_EQ(offsetsOf(c), events_.jet.offsets);
    EXPECT_EQ(valuesOf<float>(c), events_.jet.pt);
}

TEST_P(ExprPatterns, ObjectsPassingCut) {
    const Column c = run(kPattern3);
    const JaggedResult expected = refCentralJetPt(events_);
    EXPECT_EQ(offsetsOf(c), expected.offsets);
    EXPECT_EQ(valuesOf<float>(c), expected.values);
}

TEST_P(ExprPatterns, TwoObjectsPassingCuts) {
    const Column c = run(kPattern4);
    const auto expected = refTwoJets(events_);
    std::vector<std::uint8_t> actual;
    for (bool b : c.values<bool>()) actual.push_back(b);
    EXPECT_EQ(actual, expected);
    EXPECT_GT(std::count(expected.begin(), expected.end(), 1), 10);  // the test is not trivial
}

TEST_P(ExprPatterns, OppositeChargePairInMassWindow) {
    const Column c = run(kPattern5);
    const auto expected = refZMuMu(events_);
    std::vector<std::uint8_t> actual;
    for (bool b : c.values<bool>()) actual.push_back(b);
    EXPECT_EQ(actual, expected);
    EXPECT_GT(std::count(expected.begin(), expected.end(), 1), 5);
}

TEST_P(ExprPatterns, TrijetClosestToTopMass) {
    const TrijetResult expected = refTrijet(events_);
    expectClose(valuesOf<double>(run(kPattern6Pt)), expected.pt, 1e-9, "trijet pt");
    expectClose(valuesOf<float>(run(kPattern6Btag)), expected.btag, 0, "trijet btag");
}

TEST_P(ExprPatterns, CleanedJetHt) {
    expectClose(valuesOf<float>(run(kPattern7)), refCleanHt(events_), 1e-6, "HT");
}

TEST_P(ExprPatterns, TransverseMassAfterZCandidate) {
    const auto expected = refWzMt(events_);
    expectClose(valuesOf<float>(run(kPattern8)), expected, 1e-5, "mT");
    EXPECT_GT(
        std::count_if(expected.begin(), expected.end(), [](float v) { return !std::isnan(v); }),
        10);
}

INSTANTIATE_TEST_SUITE_P(Seeds, ExprPatterns, ::testing::Values(1u, 2u, 3u));

}  // namespace
}  // namespace hepflow::frame::expr
