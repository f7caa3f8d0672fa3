// What only C++ can get wrong in include/etna_auth.hpp: moves, destructors
// during and after a login, exceptions thrown by an Ask (rethrown unchanged),
// cancel() from a std::thread while the server stalls, the error classes,
// arguments, the log callback across a move, acquire_token() (the store, the
// password asked with Step::Password), versions. Against the embedded
// sandbox and a listener that never answers; built under ASan and UBSan by
// tests/cpp.sh and with MinGW for Wine by tests/windows.sh.
//
//   test_wrapper [FILTER]
#include <algorithm>
#include <cstdlib>
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
// The names live in the wrapper version's inline namespace.
static_assert(std::is_same_v<etna::Session, etna::v0_1::Session> && std::is_same_v<etna::Error, etna::v0_1::Error>);
static_assert(static_cast<int>(etna::Step::Password) == ETNA_NEED_PASSWORD);
static_assert(static_cast<int>(etna::LogLevel::Trace) == ETNA_LOG_TRACE);

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
    CHECK_EQ(status_of([&] { (void)a.login("alice", "alice-pass"); }), ETNA_ERR_STATE);
    CHECK_EQ(status_of([&] { a.set_timeout(1s); }), ETNA_ERR_STATE);
    a.cancel();  // an empty session: nothing happens

    etna::Session c(sandbox.url(), sandbox.app_key());
    (void)c.login("bob", "bob-pass", answers({"1234"}));
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
        (void)sessions.back().login("alice", "alice-pass");
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
        (void)s.login("dave", "dave-pass", answers({"4321", "654321"}));
    }
    CHECK_EQ(sandbox.request_count(), 4u);
    // While the exception of an Ask unwinds the scope that owns the session.
    struct Closed {};
    bool caught = false;
    try {
        etna::Session s(sandbox.url(), sandbox.app_key());
        (void)s.login("bob", "bob-pass", [](etna::Step, std::string_view) -> std::optional<std::string> { throw Closed{}; });
    } catch (const Closed &) {
        caught = true;
    }
    CHECK(caught);
    CHECK_EQ(sandbox.request_count(), 5u);  // nothing sent after the Ask threw
    // A session destroyed while another thread's login was just cancelled and joined.
    Staller staller;
    auto s = std::make_unique<etna::Session>(staller.url(), "key");
    std::thread t([&] { CHECK_EQ(status_of([&] { (void)s->login("u", "pw"); }), ETNA_ERR_CANCELLED); });
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
        (void)s.login("bob", "bob-pass", [&](etna::Step step, std::string_view reason) -> std::optional<std::string> {
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
        (void)s.login("bob", "bob-pass", [](etna::Step, std::string_view) -> std::optional<std::string> {
            throw etna::CancelledError("the user pressed Escape");
        });
        CHECK(!"login() did not throw");
    } catch (const etna::CancelledError &e) {
        CHECK_EQ(std::string(e.what()), std::string("the user pressed Escape"));
    }
    // std::nullopt: the library's CancelledError and message.
    try {
        (void)s.login("dave", "dave-pass", answers({"4321"}));
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
    int status = status_of([&] { (void)s.login("u", "s3cret-pw", answers({"1234"})); });
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
    CHECK_EQ(status_of([&] { (void)t.login("alice", "alice-pass"); }), ETNA_ERR_CANCELLED);
    CHECK_EQ(sandbox.request_count(), 0u);
    CHECK(!t.login("alice", "alice-pass").empty());
}

void errors() {
    etna::Sandbox sandbox;
    etna::Session s(sandbox.url(), sandbox.app_key());
    try {
        (void)s.login("dave", "wrong-pass");
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
        (void)slow.login("u", "pw");
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
    CHECK_EQ(status_of([&] { (void)s.login(std::string("ali\0ce", 6), "alice-pass"); }), ETNA_ERR_ARGUMENT);
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
    CHECK_EQ(status_of([&] { (void)s.login("bob", "bob-pass", answers({std::string("12\0" "34", 5)})); }), ETNA_ERR_ARGUMENT);
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
    (void)s.login("alice", "alice-pass");
    std::string first = *s.token();
    (void)s.login("bob", "bob-pass", [&](etna::Step, std::string_view) -> std::optional<std::string> {
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
    (void)b.login("bob", "bob-pass", answers({"1234"}));
    CHECK(lines.size() >= 4);
    std::string token = *b.token();
    const std::string url = sandbox.url();
    for (const auto &line : lines) {
        // The server's address is taken out first: a port such as 41234 holds bob's PIN.
        std::string shown = line;
        for (std::size_t at; (at = shown.find(url)) != std::string::npos;) shown.replace(at, url.size(), "<server>");
        CHECK_MSG(shown.find("bob-pass") == std::string::npos && shown.find("1234") == std::string::npos &&
                      shown.find(token) == std::string::npos,
                  "a secret in the log: " + line);
    }
    // A log function that throws does not end the login; an empty one turns the log off.
    b.set_log([](int, std::string_view) { throw std::runtime_error("log sink full"); });
    CHECK(!b.login("alice", "alice-pass").empty());
    std::size_t before = lines.size();
    b.set_log({});
    (void)b.login("alice", "alice-pass");
    CHECK_EQ(lines.size(), before);
}

// A fresh token file in a directory of its own; removed with the object.
struct TempStore {
    std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                ("etna-cpp-store-" + std::to_string(Clock::now().time_since_epoch().count()));
    TempStore() { std::filesystem::create_directories(dir); }
    ~TempStore() { std::filesystem::remove_all(dir); }
    std::string path() const { return (dir / "tokens.json").string(); }
};

void acquire_token_and_the_store() {
    etna::Sandbox sandbox;
    TempStore store;
    etna::Session s(sandbox.url(), sandbox.app_key());
    // A login (password and PIN), whose token is stored.
    std::string token = s.acquire_token("bob", "bob-pass", answers({"1234"}), 5min, store.path());
    CHECK(token.size() > 20 && s.token() == token);
    CHECK_EQ(sandbox.request_count(), 2u);
    CHECK(std::filesystem::exists(store.path()));
    // From the store: nothing sent, the ask never called, no password needed.
    etna::Session t(sandbox.url(), sandbox.app_key());
    bool asked = false;
    std::string again = t.acquire_token("bob", std::nullopt, [&](etna::Step, std::string_view) -> std::optional<std::string> {
        asked = true;
        return std::nullopt;
    }, 5min, store.path());
    CHECK(again == token && t.token() == token && !asked);
    CHECK_EQ(sandbox.request_count(), 2u);
    // No stored token for dave: a login, which with no password and no ask gives up before sending.
    CHECK_EQ(status_of([&] { (void)t.acquire_token("dave", std::nullopt, {}, 5min, store.path()); }), ETNA_ERR_CANCELLED);
    CHECK_EQ(sandbox.request_count(), 2u);
    // No password: asked with Step::Password (and a reason), then the PIN and the code.
    std::vector<etna::Step> steps;
    std::string reason;
    std::string fresh = t.acquire_token("dave", std::nullopt, [&](etna::Step step, std::string_view why) -> std::optional<std::string> {
        steps.push_back(step);
        if (step == etna::Step::Password) reason = why;
        return std::string(step == etna::Step::Password ? "dave-pass" : step == etna::Step::Pin ? "4321" : "654321");
    }, 5min, store.path());
    CHECK(steps == (std::vector<etna::Step>{etna::Step::Password, etna::Step::Pin, etna::Step::Code}));
    CHECK_MSG(!reason.empty(), "the password's reason is empty");
    CHECK(fresh != token && t.token() == fresh);
    CHECK_EQ(sandbox.request_count(), 5u);
    // Giving the password up, or throwing: nothing sent; the exception is the Ask's own.
    CHECK_EQ(status_of([&] { (void)t.acquire_token("carol", std::nullopt, answers({}), 5min, store.path()); }),
             ETNA_ERR_CANCELLED);
    try {
        (void)t.acquire_token("carol", std::nullopt, [](etna::Step, std::string_view) -> std::optional<std::string> {
            throw DialogClosed{7};
        }, 5min, store.path());
        CHECK(!"acquire_token() did not throw");
    } catch (const DialogClosed &e) {
        CHECK_EQ(e.code, 7);
    }
    CHECK_EQ(sandbox.request_count(), 5u);
    // A refused password, and bad arguments.
    CHECK_EQ(status_of([&] { (void)t.acquire_token("carol", "wrong", {}, 5min, store.path()); }), ETNA_ERR_CREDENTIALS);
    CHECK_EQ(status_of([&] { (void)t.acquire_token("dave", "dave-pass", {}, -1s, store.path()); }), ETNA_ERR_ARGUMENT);
    CHECK_EQ(status_of([&] { (void)t.acquire_token("dave", "dave-pass", {}, 25h, store.path()); }), ETNA_ERR_ARGUMENT);
    CHECK_EQ(status_of([&] { (void)t.acquire_token("dave", "dave-pass", {}, 5min, std::string("a\0b", 3)); }),
             ETNA_ERR_ARGUMENT);
    CHECK_EQ(status_of([&] { (void)t.acquire_token("dave", "dave-pass", {}, 5min, ""); }), ETNA_ERR_ARGUMENT);
    CHECK_EQ(sandbox.request_count(), 6u);  // only the refused password was sent
    CHECK_EQ(std::string(etna::to_string(etna::Step::Password)), std::string("password"));
    CHECK_EQ(std::string(etna::to_string(etna::Step::Pin)), std::string("PIN"));
    CHECK_EQ(std::string(etna::to_string(etna::Step::Code)), std::string("verification code"));
    etna::wipe(token);
    etna::wipe(again);
    etna::wipe(fresh);
}

// Sets (or, for NULL, removes) an environment variable the library reads.
void set_env(const char *name, const char *value) {
#ifdef _WIN32
    _putenv_s(name, value != nullptr ? value : "");  // "" removes it
#else
    if (value != nullptr) {
        setenv(name, value, 1);
    } else {
        unsetenv(name);
    }
#endif
}

// While one session's acquire_token() logs in (here: waits in its ask), another
// for the same user waits for its lock: set_lock_timeout() bounds that wait.
void the_lock_timeout() {
    etna::Sandbox sandbox;
    TempStore store;
    etna::Session waiter(sandbox.url(), sandbox.app_key());
    CHECK_EQ(status_of([&] { waiter.set_lock_timeout(-1ms); }), ETNA_ERR_ARGUMENT);
    waiter.set_lock_timeout(200ms);
    etna::Session holder(sandbox.url(), sandbox.app_key());
    int waited_status = ETNA_OK;
    long long waited_ms = 0;
    std::string token = holder.acquire_token("bob", std::nullopt, [&](etna::Step step, std::string_view) -> std::optional<std::string> {
        if (step == etna::Step::Password) {
            std::thread other([&] {
                auto start = Clock::now();
                waited_status = status_of([&] { (void)waiter.acquire_token("bob", "bob-pass", answers({"1234"}), 5min, store.path()); });
                waited_ms = check::ms_since(start);
            });
            other.join();
            return std::string("bob-pass");
        }
        return std::string("1234");
    }, 5min, store.path());
    CHECK_EQ(waited_status, ETNA_ERR_TIMEOUT);
    CHECK_MSG(waited_ms >= 150 && waited_ms < 5000, "waited " + std::to_string(waited_ms) + " ms for a 200 ms lock timeout");
    // The lock released, the waiter takes the stored token.
    CHECK(waiter.acquire_token("bob", std::nullopt, {}, 5min, store.path()) == token);
    etna::wipe(token);
}

void the_default_store() {
    TempStore store;
    const char *before = std::getenv("ETNA_AUTH_STORE");
    std::optional<std::string> saved = before ? std::optional<std::string>(before) : std::nullopt;
    set_env("ETNA_AUTH_STORE", store.path().c_str());
    CHECK_EQ(etna::default_store(), store.path());
    // std::nullopt: the default store, here ETNA_AUTH_STORE's file.
    etna::Sandbox sandbox;
    etna::Session s(sandbox.url(), sandbox.app_key());
    std::string token = s.acquire_token("alice", "alice-pass");
    CHECK(std::filesystem::exists(store.path()));
    etna::Session t(sandbox.url(), sandbox.app_key());
    CHECK(t.acquire_token("alice", std::nullopt) == token);
    CHECK_EQ(sandbox.request_count(), 1u);
    set_env("ETNA_AUTH_STORE", nullptr);
    std::string file = etna::default_store();
    CHECK_MSG(file.size() > 20 && file.compare(file.size() - 11, 11, "tokens.json") == 0, file);
    if (saved) set_env("ETNA_AUTH_STORE", saved->c_str());
    etna::wipe(token);
}

// A call that changes the session, from inside its own ask: StateError at
// once (the library's ETNA_ERR_STATE), not a hang; the reads work; the login
// goes on with the factor the ask then returns.
void state_error_from_inside_ask() {
    etna::Sandbox sandbox;
    TempStore store;
    etna::Session s(sandbox.url(), sandbox.app_key());
    std::vector<int> statuses;
    bool read_ok = false;
    auto reenter = [&](etna::Step step, std::string_view) -> std::optional<std::string> {
        auto start = Clock::now();
        statuses.push_back(status_of([&] { (void)s.login("alice", "alice-pass"); }));
        statuses.push_back(status_of([&] { (void)s.acquire_token("alice", "alice-pass", {}, 5min, store.path()); }));
        statuses.push_back(status_of([&] { s.set_timeout(5s); }));
        statuses.push_back(status_of([&] { s.end_login(); }));
        statuses.push_back(status_of([&] { (void)s.load_token(store.path(), "alice"); }));
        statuses.push_back(status_of([&] { s.set_lock_timeout(1s); }));
        CHECK_MSG(Clock::now() - start < 2s, "the calls from inside the ask waited");
        try {
            s.set_log({});
            CHECK(!"set_log() from inside the ask did not throw");
        } catch (const etna::StateError &e) {
            CHECK_MSG(std::string(e.what()).find("callback") != std::string::npos, e.what());
        }
        (void)s.token();  // the reads and cancel() do not wait either
        (void)s.expires_at();
        read_ok = true;
        s.cancel();  // and then the login is cancelled
        if (step == etna::Step::Password) return std::string("bob-pass");
        return std::string("1234");
    };
    CHECK_EQ(status_of([&] { (void)s.login("bob", "bob-pass", reenter); }), ETNA_ERR_CANCELLED);
    CHECK(read_ok);
    CHECK_EQ(statuses.size(), 6u);
    for (int status : statuses) CHECK_EQ(status, ETNA_ERR_STATE);
    CHECK_EQ(sandbox.request_count(), 1u);  // nothing sent by the calls from inside
    // Without the cancel, the login completes with the ask's factor; acquire_token()'s ask too.
    statuses.clear();
    std::string token = s.acquire_token("bob", std::nullopt, [&](etna::Step step, std::string_view) -> std::optional<std::string> {
        statuses.push_back(status_of([&] { (void)s.login("alice", "alice-pass"); }));
        return std::string(step == etna::Step::Password ? "bob-pass" : "1234");
    }, 5min, store.path());
    CHECK(!token.empty() && s.token() == token);
    CHECK(statuses == (std::vector<int>{ETNA_ERR_STATE, ETNA_ERR_STATE}));
    etna::wipe(token);
}

void log_levels() {
    etna::Sandbox sandbox;
    etna::Session s(sandbox.url(), sandbox.app_key());
    std::vector<etna::LogLevel> levels;
    s.set_log([&](etna::LogLevel level, std::string_view) { levels.push_back(level); }, etna::LogLevel::Info);
    (void)s.login("alice", "alice-pass");
    CHECK(!levels.empty());
    for (etna::LogLevel level : levels) CHECK(level == etna::LogLevel::Info);
    levels.clear();
    s.set_log([&](etna::LogLevel level, std::string_view) { levels.push_back(level); }, etna::LogLevel::Debug);
    (void)s.login("alice", "alice-pass");
    CHECK(std::find(levels.begin(), levels.end(), etna::LogLevel::Debug) != levels.end());
    levels.clear();
    s.set_log(etna::LogSink{}, etna::LogLevel::Trace);  // off
    (void)s.login("alice", "alice-pass");
    CHECK(levels.empty());
    CHECK_EQ(std::string(etna::to_string(etna::LogLevel::Trace)), std::string("trace"));
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
        {"acquire_token_and_the_store", acquire_token_and_the_store},
        {"the_lock_timeout", the_lock_timeout},
        {"the_default_store", the_default_store},
        {"state_error_from_inside_ask", state_error_from_inside_ask},
        {"log_levels", log_levels},
        {"versions", versions},
    };
    return check::run_tests(tests, argc > 1 ? argv[1] : nullptr);
}
