// The C++ tests' checks: CHECK counts and reports, each test is a function
// run by run_tests(), which prints "N passed, M failed" last (the line the
// test scripts add up, as for the C programs).
#ifndef ETNA_TEST_CHECK_HPP
#define ETNA_TEST_CHECK_HPP

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace check {

inline std::atomic<int> passed{0};
inline std::atomic<int> failed{0};

inline void record(bool ok, const char *file, int line, const std::string &what) {
    if (ok) {
        ++passed;
    } else {
        ++failed;
        std::fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what.c_str());
        std::fflush(stderr);
    }
}

inline long long ms_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
}

using Test = std::pair<const char *, std::function<void()>>;

// Runs each test whose name contains `filter` (all for NULL); an exception
// escaping a test is one failure. Returns the exit code.
inline int run_tests(const std::vector<Test> &tests, const char *filter) {
    for (const auto &test : tests) {
        if (filter != nullptr && std::strstr(test.first, filter) == nullptr) {
            continue;
        }
        int before = failed;
        auto start = std::chrono::steady_clock::now();
        try {
            test.second();
        } catch (const std::exception &e) {
            record(false, test.first, 0, std::string("unexpected exception: ") + e.what());
        } catch (...) {
            record(false, test.first, 0, "unexpected exception of an unknown type");
        }
        std::printf("%s %s (%lld ms)\n", failed == before ? "ok  " : "FAIL", test.first, ms_since(start));
        std::fflush(stdout);
    }
    std::printf("%d passed, %d failed\n", passed.load(), failed.load());
    return failed == 0 ? 0 : 1;
}

}  // namespace check

#define CHECK(cond) ::check::record(static_cast<bool>(cond), __FILE__, __LINE__, #cond)
#define CHECK_MSG(cond, msg) ::check::record(static_cast<bool>(cond), __FILE__, __LINE__, std::string(#cond) + ": " + (msg))
#define CHECK_EQ(a, b) ::check::equal((a), (b), __FILE__, __LINE__, #a " == " #b)

namespace check {
inline std::string show(const std::string &s) { return "\"" + s + "\""; }
inline std::string show(const char *s) { return s ? show(std::string(s)) : "NULL"; }
template <typename T>
std::string show(const T &v) { return std::to_string(v); }

// Each side evaluated once (a side may be a call with effects).
template <typename A, typename B>
void equal(const A &a, const B &b, const char *file, int line, const char *what) {
    bool ok = a == b;
    record(ok, file, line, ok ? std::string() : std::string(what) + ": got " + show(a) + ", want " + show(b));
}
}  // namespace check

#endif
