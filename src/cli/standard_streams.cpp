// std::ios_base::Init without the standard streams.
//
// Under g++ 12 every translation unit that includes <iostream> holds a static
// std::ios_base::Init, and the first one constructed builds std::cout, cin,
// cerr, clog and their wide twins, and with them the classic locale and its
// facets: about fifteen page faults of every start, before main (on the
// machine of bench/RESULTS.md a fault costs 10-25 µs). contain prints through
// stdio and reads stdin with read(2); it never uses a standard stream. But
// CLI11's header and objects of libyaml-cpp include <iostream>, so the link
// redirects that constructor here (-Wl,--wrap in CMakeLists.txt), where it does
// nothing.
//
// - String and file streams do not need it: they set the classic locale up
//   themselves when first used (help and errors, topology files).
// - The destructors those translation units register still run at exit(): the
//   count they decrement never reached the value at which one flushes, so they
//   do nothing either.
// - tests/support/uses_no_standard_streams fails the tests if any function of
//   the binary other than libstdc++'s own uses a standard stream.
extern "C" void __wrap__ZNSt8ios_base4InitC1Ev(void*) {}
