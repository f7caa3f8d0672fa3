// What only C++ can get wrong in include/etna_auth.hpp: moves, destructors
// during and after a login, exceptions thrown by an Ask (rethrown unchanged),
// cancel() from a std::thread while the server stalls, the error classes,
// arguments, the log callback across a move, versions. Against the embedded
// sandbox and a listener that never answers; built under ASan and UBSan by
// tests/cpp.sh and with MinGW for Wine by tests/windows.sh.
//
//   test_wrapper [FILTER]
#include <filesystem>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "check.hpp"
#include "etna_auth.hpp"
#include "net.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

static_assert(std::is_nothrow_move_constructible_v<etna::Session>);
static_assert(std::is_nothrow_move_assignable_v<etna::Session>);
static_assert(!std::is_copy_constructible_v<etna::Session> && !std::is_copy_assignable_v<etna::Session>);
static_assert(std::is_nothrow_move_constructible_v<etna::Sandbox> && !std::is_copy_constructible_v<etna::Sandbox>);
static_assert(std::is_base_of_v<etna::NetworkError, etna::TimeoutError>);
static_assert(std::is_base_of_v<std::runtime_error, etna::Error>);
static_assert(etna::library_compatible(ETNA_AUTH_VERSION_NUMBER, ETNA_AUTH_VERSION_NUMBER));

// The status of what `f` throws as etna::Error (ETNA_OK when nothing).
template <typename F>
int status_of(F &&f) {
    try {
        f();
        return ETNA_OK;
    } catch (const etna::Error &e) {
        return e.status();
    }
}

etna::Ask answers(std::vector<std::string> list) {
    auto next = std::make_shared<std::size_t>(0);
    return [list, next](etna::Step, std::string_view) -> std::optional<std::string> {
        if (*next >= list.size()) return std::nullopt;
        return list[(*next)++];
    };
}

// A listener that accepts connections (the kernel's backlog) and never answers.
struct Staller {
    int port = 0;
    net::Socket listener = net::Socket::listen_local(port);
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/api"; }
};

void moves() {
    etna::Sandbox sandbox;
    etna::Session a(sandbox.url(), sandbox.app_key());
    std::string token = a.login("alice", "alice-pass");
    EtnaSession *native = a.native();
    etna::Session b(std::move(a));
    CHECK(a.native() == nullptr && b.native() == native);
    CHECK(b.token() == token && !a.token() && !a.expires_at());
    CHECK_EQ(status_of([&] { a.login("alice", "alice-pass"); }), ETNA_ERR_STATE);
    CHECK_EQ(status_of([&] { a.set_timeout(1s); }), ETNA_ERR_STATE);
    a.cancel();  // an empty session: nothing happens

    etna::Session c(sandbox.url(), sandbox.app_key());
    c.login("bob", "bob-pass", answers({"1234"}));
    c = std::move(b);  // frees c's own session
    CHECK(c.token() == token && b.native() == nullptr);
    etna::Session &alias = c;
    c = std::move(alias);  // self-move keeps the session
    CHECK(c.token() == token);
    a = std::move(c);  // into a moved-from one
    CHECK(a.token() == token);

    std::vector<etna::Session> sessions;
    for (int i = 0; i < 8; ++i) {  // the vector's growth moves them
        sessions.emplace_back(sandbox.url(), sandbox.app_key());
        sessions.back().login("alice", "alice-pass");
    }
    for (auto &s : sessions) CHECK(s.token().has_value() && s.authorization_header().rfind("Bearer ", 0) == 0);

    etna::Sandbox other(std::move(sandbox));
    CHECK(sandbox.native() == nullptr && other.native() != nullptr);
    CHECK_EQ(status_of([&] { (void)sandbox.url(); }), ETNA_ERR_STATE);
}

void destructor_during_and_after_a_login() {
    etna::Sandbox sandbox;
    {  // during: a login waits for the PIN when the session goes
        etna::Session s(sandbox.url(), sandbox.app_key());
        CHECK_EQ(etna_begin_auth(s.native(), "bob", "bob-pass"), ETNA_NEED_PIN);
    }
    CHECK_EQ(sandbox.request_count(), 1u);
    {  // after a login
        etna::Session s(sandbox.url(), sandbox.app_key());
        s.login("dave", "dave-pass", answers({"4321", "654321"}));
    }
    CHECK_EQ(sandbox.request_count(), 4u);
    // While the exception of an Ask unwinds the scope that owns the session.
    struct Closed {};
    bool caught = false;
    try {
        etna::Session s(sandbox.url(), sandbox.app_key());
        s.login("bob", "bob-pass", [](etna::Step, std::string_view) -> std::optional<std::string> { throw Closed{}; });
    } catch (const Closed &) {
        caught = true;
    }
    CHECK(caught);
    CHECK_EQ(sandbox.request_count(), 5u);  // nothing sent after the Ask threw
    // A session destroyed while another thread's login was just cancelled and joined.
    Staller staller;
    auto s = std::make_unique<etna::Session>(staller.url(), "key");
    std::thread t([&] { CHECK_EQ(status_of([&] { s->login("u", "pw"); }), ETNA_ERR_CANCELLED); });
    std::this_thread::sleep_for(100ms);
    s->cancel();
    t.join();
    s.reset();
}

struct DialogClosed {  // not a std::exception
    int code;
};

void ask_exceptions_are_rethrown_unchanged() {
    etna::Sandbox sandbox;
    etna::Session s(sandbox.url(), sandbox.app_key());
    const void *thrown = nullptr;
    try {
        s.login("bob", "bob-pass", [&](etna::Step step, std::string_view reason) -> std::optional<std::string> {
            CHECK(step == etna::Step::Pin && reason == "Expecting security pin");
            try {
                throw DialogClosed{42};
            } catch (const DialogClosed &e) {
                thrown = &e;
                throw;
            }
        });
        CHECK(!"login() did not throw");
    } catch (const DialogClosed &e) {
        CHECK(&e == thrown && e.code == 42);
    }
    // The login was ended: a PIN now is a state error, and nothing was sent after the first request.
    CHECK_EQ(etna_supply_pin(s.native(), "1234"), ETNA_ERR_STATE);
    CHECK_EQ(sandbox.request_count(), 1u);
    CHECK(!s.token());

    // An etna::Error thrown by the Ask stays itself (not the library's "abandoned" CancelledError).
    try {
        s.login("bob", "bob-pass", [](etna::Step, std::string_view) -> std::optional<std::string> {
            throw etna::CancelledError("the user pressed Escape");
        });
        CHECK(!"login() did not throw");
    } catch (const etna::CancelledError &e) {
        CHECK_EQ(std::string(e.what()), std::string("the user pressed Escape"));
    }
    // std::nullopt: the library's CancelledError and message.
    try {
        s.login("dave", "dave-pass", answers({"4321"}));
        CHECK(!"login() did not throw");
    } catch (const etna::CancelledError &e) {
        CHECK_EQ(std::string(e.what()), std::string("the login was abandoned: no verification code was given"));
        CHECK_EQ(std::string(e.what()), std::string(etna_last_error()));  // verbatim
    }
    // The session logs in afterwards.
    std::string token = s.login("bob", "bob-pass", answers({"1234"}));
    CHECK(s.token() == token);
}

void cancel_from_a_thread_while_the_server_stalls() {
    Staller staller;
    etna::Session s(staller.url(), "the-key");
    s.set_timeout(10s);
    Clock::time_point cancelled_at;
    std::thread canceller([&] {
        std::this_thread::sleep_for(300ms);
        cancelled_at = Clock::now();
        s.cancel();
    });
    auto start = Clock::now();
    int status = status_of([&] { s.login("u", "s3cret-pw", answers({"1234"})); });
    auto end = Clock::now();
    canceller.join();
    CHECK_EQ(status, ETNA_ERR_CANCELLED);
    long long after_cancel = std::chrono::duration_cast<std::chrono::milliseconds>(end - cancelled_at).count();
    CHECK_MSG(after_cancel < 100, "login() threw " + std::to_string(after_cancel) + " ms after cancel()");
    CHECK(end - start < 2s);
    std::printf("    cancel() to CancelledError: %lld ms\n", after_cancel);

    // A cancel before the login stops it before anything is sent; the next one runs.
    etna::Sandbox sandbox;
    etna::Session t(sandbox.url(), sandbox.app_key());
    t.cancel();
    CHECK_EQ(status_of([&] { t.login("alice", "alice-pass"); }), ETNA_ERR_CANCELLED);
    CHECK_EQ(sandbox.request_count(), 0u);
    CHECK(!t.login("alice", "alice-pass").empty());
}

void errors() {
    etna::Sandbox sandbox;
    etna::Session s(sandbox.url(), sandbox.app_key());
    try {
        s.login("dave", "wrong-pass");
        CHECK(!"no error");
    } catch (const etna::CredentialsError &e) {
        CHECK_EQ(e.status(), ETNA_ERR_CREDENTIALS);
        CHECK(!e.retryable());
        CHECK_EQ(std::string(e.what()), std::string(etna_last_error()));
        CHECK(std::string(e.what()).find("wrong-pass") == std::string::npos);
    }
    Staller staller;
    etna::Session slow(staller.url(), "the-key");
    slow.set_timeout(300ms);
    try {
        slow.login("u", "pw");
        CHECK(!"no error");
    } catch (const etna::NetworkError &e) {  // a timeout is a network failure
        CHECK(dynamic_cast<const etna::TimeoutError *>(&e) != nullptr);
        CHECK_EQ(e.status(), ETNA_ERR_TIMEOUT);
        CHECK(e.retryable());
    }
    // Every error status throws its class, caught as etna::Error; an unknown one is etna::Error itself.
    for (int status : {-1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12, -13, -99, -50}) {
        try {
            etna::throw_error(status, "m");
        } catch (const etna::Error &e) {
            CHECK(e.status() == status && std::string(e.what()) == "m");
            CHECK((typeid(e) == typeid(etna::Error)) == (status == -50));
        }
    }
}

void arguments() {
    etna::Sandbox sandbox;
    etna::Session s(sandbox.url(), sandbox.app_key());
    CHECK_EQ(status_of([&] { s.login(std::string("ali\0ce", 6), "alice-pass"); }), ETNA_ERR_ARGUMENT);
    CHECK_EQ(status_of([] { etna::Session("ftp://example.com/api", "k"); }), ETNA_ERR_ARGUMENT);
    CHECK_EQ(status_of([] { etna::Session("http://example.com/api", "k"); }), ETNA_ERR_ARGUMENT);  // http off loopback
    CHECK_EQ(status_of([&] { s.set_timeout(0ms); }), ETNA_ERR_ARGUMENT);
    CHECK_EQ(status_of([&] { s.set_timeout(std::chrono::hours(24 * 60)); }), ETNA_ERR_ARGUMENT);
    CHECK_EQ(status_of([&] { s.set_timeout(2s); }), ETNA_OK);
    CHECK_EQ(status_of([&] { s.set_ca_file("/nonexistent/ca.pem"); }), ETNA_ERR_IO);
    CHECK_EQ(status_of([&] { s.set_proxy("ftp://proxy:21"); }), ETNA_ERR_ARGUMENT);
    CHECK_EQ(status_of([&] { s.set_proxy("http://proxy.example:3128"); }), ETNA_OK);
    CHECK_EQ(status_of([&] { s.disable_proxy(); }), ETNA_OK);
    CHECK_EQ(status_of([] { etna::Sandbox("{not json"); }), ETNA_ERR_ARGUMENT);
    CHECK_EQ(sandbox.request_count(), 0u);  // nothing was sent

    // A factor with a NUL: the wrapper's ArgumentError, the login ended after one request.
    CHECK_EQ(status_of([&] { s.login("bob", "bob-pass", answers({std::string("12\0" "34", 5)})); }), ETNA_ERR_ARGUMENT);
    CHECK_EQ(etna_supply_pin(s.native(), "1234"), ETNA_ERR_STATE);
    CHECK_EQ(sandbox.request_count(), 1u);

    // A sandbox of its own configuration.
    etna::Sandbox custom(R"({"app_key": "desk-key", "accounts": [{"username": "trader", "password": "pw-1", "pin": "9999"}]})");
    CHECK_EQ(custom.app_key(), std::string("desk-key"));
    etna::Session t(custom.url(), custom.app_key());
    CHECK(!t.login("trader", "pw-1", answers({"9999"})).empty());
}

void token_and_header() {
    etna::Sandbox sandbox;
    etna::Session s(sandbox.url(), sandbox.app_key());
    CHECK(!s.token() && !s.expires_at());
    CHECK_EQ(status_of([&] { (void)s.authorization_header(); }), ETNA_ERR_STATE);
    std::string token = s.login("carol", "carol-pass", answers({"123456"}));
    CHECK_EQ(s.authorization_header(), "Bearer " + token);
    auto left = *s.expires_at() - std::chrono::system_clock::now();
    CHECK(left > 23h && left <= 24h);
    // The token cache: saved, loaded into another session, forgotten.
    auto dir = std::filesystem::temp_directory_path() / ("etna-cpp-" + std::to_string(Clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(dir);
    std::string cache = (dir / "tokens.json").string();
    s.save_token(cache);
    etna::Session again(sandbox.url(), sandbox.app_key());
    CHECK(again.load_token(cache, "carol") && again.token() == token);
    CHECK(!again.load_token(cache, "nobody"));
    CHECK(!again.load_token(cache, "carol", 25h));  // expires too soon
    etna::Session::forget_token(cache, sandbox.url(), "carol");
    CHECK(!again.load_token(cache, "carol"));
    std::filesystem::remove_all(dir);
    s.end_login();
    CHECK(!s.token());
    etna::wipe(token);
    CHECK(token.empty());
}

void threads() {
    etna::Sandbox sandbox;
    std::vector<std::thread> workers;
    std::mutex mutex;
    std::vector<std::string> tokens;
    for (int i = 0; i < 4; ++i) {
        workers.emplace_back([&] {
            etna::Session s(sandbox.url(), sandbox.app_key());
            std::string token = s.login("dave", "dave-pass", answers({"4321", "654321"}));
            std::lock_guard<std::mutex> lock(mutex);
            tokens.push_back(token);
        });
    }
    for (auto &w : workers) w.join();
    CHECK_EQ(tokens.size(), 4u);
    CHECK_EQ(sandbox.request_count(), 12u);
    // token() from another thread while a login waits in its Ask: it never waits for the login.
    etna::Session s(sandbox.url(), sandbox.app_key());
    s.login("alice", "alice-pass");
    std::string first = *s.token();
    s.login("bob", "bob-pass", [&](etna::Step, std::string_view) -> std::optional<std::string> {
        std::optional<std::string> seen;
        std::thread reader([&] { seen = s.token(); });
        reader.join();
        CHECK(!seen || *seen == first);  // the last completed call's token, or none: never blocked
        return "1234";
    });
}

void log_survives_a_move() {
    etna::Sandbox sandbox;
    std::vector<std::string> lines;
    etna::Session a(sandbox.url(), sandbox.app_key());
    a.set_log([&](int level, std::string_view line) {
        CHECK(level >= ETNA_LOG_INFO && level <= ETNA_LOG_DEBUG);
        lines.emplace_back(line);
    });
    etna::Session b(std::move(a));  // the function given to C stays where it is
    b.login("bob", "bob-pass", answers({"1234"}));
    CHECK(lines.size() >= 4);
    std::string token = *b.token();
    for (const auto &line : lines) {
        CHECK_MSG(line.find("bob-pass") == std::string::npos && line.find("1234") == std::string::npos &&
                      line.find(token) == std::string::npos,
                  "a secret in the log: " + line);
    }
    // A log function that throws does not end the login; an empty one turns the log off.
    b.set_log([](int, std::string_view) { throw std::runtime_error("log sink full"); });
    CHECK(!b.login("alice", "alice-pass").empty());
    std::size_t before = lines.size();
    b.set_log({});
    b.login("alice", "alice-pass");
    CHECK_EQ(lines.size(), before);
}

void versions() {
    CHECK_EQ(etna::version_number(), ETNA_AUTH_VERSION_NUMBER);
    CHECK_EQ(etna::version(), std::string(ETNA_AUTH_VERSION));
    CHECK(etna::library_compatible(100, 105));    // 0.1.0 header, 0.1.5 library
    CHECK(!etna::library_compatible(100, 200));   // before 1.0 the minor is the ABI
    CHECK(!etna::library_compatible(105, 5));     // 0.0.5
    CHECK(etna::library_compatible(10100, 10300)); // 1.1 header, 1.3 library
    CHECK(!etna::library_compatible(10300, 10100)); // an older minor
    CHECK(!etna::library_compatible(10100, 20100)); // another major
    etna::check_library_version();  // the loaded one is fine
}

}  // namespace

int main(int argc, char **argv) {
    std::vector<check::Test> tests = {
        {"moves", moves},
        {"destructor_during_and_after_a_login", destructor_during_and_after_a_login},
        {"ask_exceptions_are_rethrown_unchanged", ask_exceptions_are_rethrown_unchanged},
        {"cancel_from_a_thread_while_the_server_stalls", cancel_from_a_thread_while_the_server_stalls},
        {"errors", errors},
        {"arguments", arguments},
        {"token_and_header", token_and_header},
        {"threads", threads},
        {"log_survives_a_move", log_survives_a_move},
        {"versions", versions},
    };
    return check::run_tests(tests, argc > 1 ? argv[1] : nullptr);
}
