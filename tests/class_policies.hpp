// Typed tests over both class policies: the one that ships (QuarterClasses)
// and Zig's WasmAllocator's (PowerOfTwoClasses). A fixture derived from
// PolicyTest<Classes> gets a fresh heap of its policy from make_heap(), and
// TYPED_TEST_SUITE(Fixture, ClassPolicies, ClassPolicyNames) names each
// instance after its policy ("quarter", "pow2").
#pragma once

#include "test_heap.hpp"

#include <gtest/gtest.h>

#include <string>

namespace wasmheap::test {

using ClassPolicies = ::testing::Types<QuarterClasses, PowerOfTwoClasses>;

struct ClassPolicyNames {
  template <class Classes>
  static std::string GetName(int) {
    return Classes::name;
  }
};

template <class Classes>
class PolicyTest : public ::testing::Test {
 protected:
  static auto make_heap(std::size_t max_pages = max_memory_pages) { return test::make_heap<Classes>(max_pages); }
};

}  // namespace wasmheap::test
