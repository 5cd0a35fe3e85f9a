// Catch2 v2 main for the single test binary that holds every *_test.cpp.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
