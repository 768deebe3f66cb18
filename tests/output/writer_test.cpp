#include "output/writer.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>

using namespace icsim;

TEST_CASE("AsyncWriter::drain waits for the work queued so far and reports its error", "[output]") {
  AsyncWriter writer(2);
  int done = 0;  // written by the writer thread only before drain() returns
  for (int i = 0; i < 50; ++i) writer.submit([&] { ++done; });
  writer.drain();
  CHECK(done == 50);
  writer.submit([] { throw std::runtime_error("disk full"); });
  CHECK_THROWS_WITH(writer.drain(), "disk full");
}
