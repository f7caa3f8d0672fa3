/*
 * The C ABI from C++, the way a C++ trading app uses it: the header
 * included by a C++ compiler (extern "C" linkage, no warnings under
 * -Wall -Wextra -Werror -pedantic), handles owned by std::unique_ptr,
 * the token copied into a std::string, sessions used from std::thread.
 * Runs against the embedded sandbox.
 *
 * Build: g++ -std=c++11 -Wall -Wextra -Werror -pedantic -Iinclude \
 *            tests/c/test_cpp.cpp -Ltarget/release -letna_auth -pthread
 */
#include <atomic>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "etna_auth.h"

namespace {

std::atomic<int> passed(0);
std::atomic<int> failed(0);

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (cond) {                                                              \
            ++passed;                                                            \
        } else {                                                                 \
            ++failed;                                                            \
            std::fprintf(stderr, "FAIL %s:%d: %s (last error: %s)\n", __FILE__, \
                         __LINE__, #cond, etna_last_error());                    \
        }                                                                        \
    } while (0)

struct SessionDeleter {
    void operator()(EtnaSession *s) const { etna_free(s); }
};
struct SandboxDeleter {
    void operator()(EtnaSandbox *s) const { etna_sandbox_stop(s); }
};
using Session = std::unique_ptr<EtnaSession, SessionDeleter>;
using Sandbox = std::unique_ptr<EtnaSandbox, SandboxDeleter>;

Session open_session(const EtnaSandbox *sandbox) {
    return Session(etna_new(etna_sandbox_url(sandbox), etna_sandbox_app_key(sandbox)));
}

/* The token as a std::string; empty when there is none. */
std::string token_of(const EtnaSession *s) {
    int n = etna_get_token(s, nullptr, 0);
    if (n < 0) {
        return std::string();
    }
    std::vector<char> buf(static_cast<size_t>(n) + 1);
    if (etna_get_token(s, buf.data(), buf.size()) != n) {
        return std::string();
    }
    return std::string(buf.data(), static_cast<size_t>(n));
}

void pin_then_code(const EtnaSandbox *sandbox) {
    Session s = open_session(sandbox);
    CHECK(s != nullptr);
    CHECK(etna_begin_auth(s.get(), "dave", "dave-pass") == ETNA_NEED_PIN);
    CHECK(etna_supply_pin(s.get(), "4321") == ETNA_NEED_CODE);
    CHECK(etna_supply_code(s.get(), "654321") == ETNA_OK);
    std::string token = token_of(s.get());
    CHECK(!token.empty());
    const long long now = static_cast<long long>(std::time(nullptr));
    const long long expires = static_cast<long long>(etna_token_expires_at(s.get()));
    CHECK(expires >= now + 24 * 3600 - 60 && expires <= now + 24 * 3600 + 60);
}

void errors(const EtnaSandbox *sandbox) {
    Session s = open_session(sandbox);
    CHECK(etna_begin_auth(s.get(), "alice", "not-her-password") == ETNA_ERR_CREDENTIALS);
    const std::string message = etna_last_error();
    CHECK(!message.empty() && message.find("not-her-password") == std::string::npos);
    CHECK(std::string(etna_status_str(ETNA_ERR_CREDENTIALS)) != etna_status_str(ETNA_OK));
    CHECK(etna_supply_pin(s.get(), "1234") == ETNA_ERR_STATE);
    CHECK(token_of(s.get()).empty());
    /* A C++ nullptr is a NULL argument like any other. */
    CHECK(etna_begin_auth(nullptr, "alice", "alice-pass") == ETNA_ERR_ARGUMENT);
    CHECK(etna_new(nullptr, "key") == nullptr);
}

/* Separate sessions on separate threads, each logging in several times. */
void threads(const EtnaSandbox *sandbox) {
    std::vector<std::thread> workers;
    for (int t = 0; t < 4; ++t) {
        workers.emplace_back([sandbox] {
            Session s = open_session(sandbox);
            for (int i = 0; i < 10; ++i) {
                CHECK(etna_begin_auth(s.get(), "carol", "carol-pass") == ETNA_NEED_CODE);
                CHECK(etna_supply_code(s.get(), "123456") == ETNA_OK);
                CHECK(!token_of(s.get()).empty());
            }
        });
    }
    for (std::thread &worker : workers) {
        worker.join();
    }
}

}  // namespace

int main() {
    Sandbox sandbox(etna_sandbox_start(nullptr));
    CHECK(sandbox != nullptr);
    if (!sandbox) {
        std::printf("%d passed, %d failed\n", passed.load(), failed.load());
        return 1;
    }
    CHECK(std::string(etna_version()).size() > 0);
    pin_then_code(sandbox.get());
    errors(sandbox.get());
    threads(sandbox.get());
    std::printf("%d passed, %d failed\n", passed.load(), failed.load());
    return failed.load() == 0 ? 0 : 1;
}
