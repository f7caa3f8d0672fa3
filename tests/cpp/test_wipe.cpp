// No secret in a block the wrapper frees: this program replaces the global
// operator new and delete (every form the wrapper's std::string can use), and
// while a wrapper call runs it keeps a copy of each block freed on the calling
// thread; once the call has returned, those copies are searched for the token
// it gave, the password and the factors. A string the wrapper reallocates
// (the old buffer freed as it is) or drops without etna::wipe() is found.
// The library's own memory is Rust's (malloc, wiped by zeroize) and is not
// seen here: this is the C++ header's part.
//
// Built without sanitizers (they replace operator new and delete themselves)
// by tests/cpp.sh, with g++ and clang++; glibc (malloc_usable_size).
//
//   test_wipe [FILTER]
#include <malloc.h>

#include <cstdlib>
#include <filesystem>
#include <new>
#include <string>
#include <vector>

#include "check.hpp"
#include "etna_auth.hpp"

namespace freed {

// The freed blocks' contents, in memory of malloc's (never operator new's).
struct Block {
    char *data;
    std::size_t size;
};
Block *blocks = nullptr;
std::size_t count = 0, capacity = 0;
thread_local bool recording = false;

void keep(void *p, std::size_t size) {
    if (!recording || p == nullptr) {
        return;
    }
    if (count == capacity) {
        capacity = capacity == 0 ? 1024 : capacity * 2;
        blocks = static_cast<Block *>(std::realloc(blocks, capacity * sizeof(Block)));
        if (blocks == nullptr) std::abort();
    }
    char *copy = static_cast<char *>(std::malloc(size == 0 ? 1 : size));
    if (copy == nullptr) std::abort();
    std::memcpy(copy, p, size);
    blocks[count++] = Block{copy, size};
}

void clear() {
    for (std::size_t i = 0; i < count; ++i) {
        std::memset(blocks[i].data, 0, blocks[i].size);
        std::free(blocks[i].data);
    }
    count = 0;
}

// How many kept blocks hold `secret`.
int holding(const std::string &secret) {
    int n = 0;
    for (std::size_t i = 0; i < count; ++i) {
        std::string_view block(blocks[i].data, blocks[i].size);
        if (!secret.empty() && block.find(secret) != std::string_view::npos) ++n;
    }
    return n;
}

}  // namespace freed

void *operator new(std::size_t size) {
    void *p = std::malloc(size == 0 ? 1 : size);
    if (p == nullptr) throw std::bad_alloc();
    return p;
}
void *operator new[](std::size_t size) { return ::operator new(size); }
void *operator new(std::size_t size, const std::nothrow_t &) noexcept { return std::malloc(size == 0 ? 1 : size); }
void *operator new[](std::size_t size, const std::nothrow_t &) noexcept { return std::malloc(size == 0 ? 1 : size); }
void operator delete(void *p) noexcept {
    freed::keep(p, p == nullptr ? 0 : malloc_usable_size(p));
    std::free(p);
}
void operator delete[](void *p) noexcept { ::operator delete(p); }
void operator delete(void *p, std::size_t) noexcept { ::operator delete(p); }  // the whole block, not only `size`
void operator delete[](void *p, std::size_t) noexcept { ::operator delete(p); }
void operator delete(void *p, const std::nothrow_t &) noexcept { ::operator delete(p); }
void operator delete[](void *p, const std::nothrow_t &) noexcept { ::operator delete(p); }

namespace {

// Long enough that no std::string keeps them inside itself (small-string buffers).
const char *const kPassword = "correct-horse-battery-staple-password";
const char *const kCode = "918273645546372819";

const char *kConfig = R"({"accounts": [
    {"username": "alice", "password": "correct-horse-battery-staple-password"},
    {"username": "carol", "password": "correct-horse-battery-staple-password", "code": "918273645546372819"}]})";

etna::Ask code_ask() {
    return [](etna::Step, std::string_view) -> std::optional<std::string> { return std::string(kCode); };
}

// Runs `call` (which returns the token it got) with the freed blocks kept;
// then none of them may hold the token, the password or the code.
template <typename F>
void no_secret_freed(const char *what, F &&call) {
    freed::clear();
    freed::recording = true;
    std::string token = call();
    freed::recording = false;
    CHECK_MSG(token.size() > 20, std::string(what) + ": no token");
    int with_token = freed::holding(token), with_password = freed::holding(kPassword), with_code = freed::holding(kCode);
    std::printf("    %s: %zu blocks freed, %d with the token, %d with the password, %d with the code\n", what,
                freed::count, with_token, with_password, with_code);
    CHECK_MSG(with_token == 0, std::string(what) + ": the token is in a freed block");
    CHECK_MSG(with_password == 0, std::string(what) + ": the password is in a freed block");
    CHECK_MSG(with_code == 0, std::string(what) + ": the code is in a freed block");
    freed::clear();
    etna::wipe(token);
}

// The scan itself: a string freed without etna::wipe() is seen.
void the_scan_sees_an_unwiped_string() {
    freed::clear();
    freed::recording = true;
    { std::string unwiped(kPassword); }
    freed::recording = false;
    CHECK_EQ(freed::holding(kPassword), 1);
    freed::clear();
}

void login_and_header() {
    etna::Sandbox sandbox(kConfig);
    etna::Session s(sandbox.url(), sandbox.app_key());
    no_secret_freed("login()", [&] { return s.login("alice", kPassword); });
    no_secret_freed("login() with a code", [&] { return s.login("carol", kPassword, code_ask()); });
    no_secret_freed("token()", [&] { return *s.token(); });
    no_secret_freed("authorization_header()", [&] {
        std::string header = s.authorization_header();
        std::string token = header.substr(std::strlen("Bearer "));  // reserved once: no reallocation
        etna::wipe(header);
        return token;
    });
    // A move of the session: the token stays in the library.
    no_secret_freed("a moved Session", [&] {
        etna::Session moved(std::move(s));
        return *moved.token();
    });
}

void acquire() {
    etna::Sandbox sandbox(kConfig);
    auto dir = std::filesystem::temp_directory_path() /
               ("etna-wipe-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(dir);
    std::string store = (dir / "tokens.json").string();
    etna::Session s(sandbox.url(), sandbox.app_key());
    no_secret_freed("acquire_token() logging in", [&] {
        return s.acquire_token("carol", kPassword, code_ask(), std::chrono::minutes(5), store);
    });
    no_secret_freed("acquire_token() from the store", [&] {
        return s.acquire_token("carol", std::nullopt, {}, std::chrono::minutes(5), store);
    });
    no_secret_freed("acquire_token() asking for the password", [&] {
        etna::Session t(sandbox.url(), sandbox.app_key());
        return t.acquire_token("carol", std::nullopt,
                               [](etna::Step step, std::string_view) -> std::optional<std::string> {
                                   return std::string(step == etna::Step::Password ? kPassword : kCode);
                               },
                               std::chrono::hours(24), store);  // longer than the stored one: a login
    });
    std::filesystem::remove_all(dir);
}

}  // namespace

int main(int argc, char **argv) {
    std::vector<check::Test> tests = {
        {"the_scan_sees_an_unwiped_string", the_scan_sees_an_unwiped_string},
        {"login_and_header", login_and_header},
        {"acquire", acquire},
    };
    int status = check::run_tests(tests, argc > 1 ? argv[1] : nullptr);
    freed::clear();
    std::free(freed::blocks);
    return status;
}
