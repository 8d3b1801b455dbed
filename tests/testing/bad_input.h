// The message of the BadInput that `fn` throws; a test failure (and "") when it throws none.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "core/error.h"

namespace hezar::testing {

template <class Fn>
std::string bad_input_message(Fn&& fn) {
  try {
    fn();
  } catch (const BadInput& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected BadInput";
  return "";
}

}  // namespace hezar::testing
