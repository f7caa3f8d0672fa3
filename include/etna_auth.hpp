/*
 * etna_auth.hpp: the C++17 interface of etna-auth, header-only, over the C ABI
 * of etna_auth.h (the one ABI: no C++ symbol is exported by the library, and
 * this header compiles into the application).
 *
 * Usage:
 *
 *     #include <etna_auth.hpp>
 *
 *     etna::Session session("https://pub-api-et-demo-prod.etnasoft.us/api", app_key);
 *     std::string token = session.acquire_token(username, std::nullopt,
 *         [](etna::Step step, std::string_view reason) -> std::optional<std::string> {
 *             return prompt(etna::to_string(step), reason);  // std::nullopt gives up
 *         });
 *     std::string header = session.authorization_header();
 *     request.add_header("Authorization", header);
 *     etna::wipe(header);  // the application's copies of the token: wiped when done
 *     etna::wipe(token);
 *
 * Link the C library (CMake: target etna_auth::etna_auth_cpp, which also asks
 * for C++17, or etna_auth::etna_auth, etna_auth::etna_auth_static;
 * pkg-config: etna_auth). C++17 and exceptions are needed.
 *
 * Conventions:
 * - Errors are exceptions: etna::Error (a std::runtime_error) with the C
 *   status (status(), an ETNA_ERR_* code) and the library's message
 *   verbatim (what(), etna_last_error(): one line, never a secret). Each
 *   status has its subclass (etna::CredentialsError, etna::TimeoutError...,
 *   generated from the status table, bindings/status_codes.json); a timeout
 *   is also an etna::NetworkError. A status this header does not know (from a
 *   newer library) is thrown as etna::Error itself.
 * - Strings are UTF-8. Arguments are copied; a string with a NUL character is
 *   etna::ArgumentError, and nothing is sent.
 * - Handles: etna::Session and etna::Sandbox own their C handle; they are
 *   move-only (moves are noexcept and leave the source empty: there token()
 *   and expires_at() give std::nullopt, cancel() does nothing, native() is
 *   NULL and the other calls throw etna::StateError), and the destructor
 *   frees the handle (etna_free() wipes credentials and tokens).
 * - Threads: as in C, calls on one session from several threads are
 *   serialized inside the library; cancel(), token(), expires_at() and
 *   authorization_header() never wait for a call in flight. Destroying,
 *   moving or assigning a Session must not race with any other call on it
 *   (including cancel()): end the other threads' use first, as for
 *   etna_free().
 * - Callbacks (the Ask of login(), the Log of set_log()) are called through C
 *   frames of the library: an exception must never unwind through them. The
 *   wrapper catches everything a callback throws: from Ask, it gives the
 *   login up and rethrows the very same exception object from login() once
 *   the C call has returned (std::exception_ptr); from Log, it drops it.
 * - Secrets: see login() for the factor's path through memory. The strings an
 *   application passes or gets (password, factors, the token) are its own;
 *   etna::wipe() overwrites a std::string's characters before it is released.
 * - The names are in an inline namespace of the wrapper's version
 *   (etna::v0_1::Session, written etna::Session), as fmt's fmt::v11: two
 *   parts of one program built against different wrapper versions do not
 *   silently share one definition of a class that differs between them.
 *   The exception classes have default visibility, so that code built with
 *   -fvisibility=hidden (a plugin) throws and catches the same types as the
 *   rest of the program.
 * - Versions: this header needs etna_auth.h of the same major version (and,
 *   before 1.0, the same minor: the ABI version, docs/abi-policy.md), else it
 *   does not compile. A Session checks at construction that the library
 *   loaded at run time is not older and of the same major (minor before 1.0)
 *   version as etna_auth.h, else throws etna::LibraryVersionError.
 */

#ifndef ETNA_AUTH_HPP
#define ETNA_AUTH_HPP

#if !defined(__cplusplus) || (__cplusplus < 201703L && !(defined(_MSVC_LANG) && _MSVC_LANG >= 201703L))
#error "etna_auth.hpp needs C++17 (-std=c++17, /std:c++17); from C or older C++ include etna_auth.h"
#endif

/* Errors are exceptions: without them the wrapper cannot report one. */
#if defined(_MSC_VER) && !defined(__clang__)
#if !defined(_CPPUNWIND)
#error "etna_auth.hpp needs C++ exceptions (/EHsc); without them include etna_auth.h and use the C API"
#endif
#elif !defined(__cpp_exceptions) && !defined(__EXCEPTIONS)
#error "etna_auth.hpp needs C++ exceptions (not -fno-exceptions); without them include etna_auth.h and use the C API"
#endif

/* The exception classes' type information is shared across shared objects
 * built with -fvisibility=hidden (Windows matches exception types by name). */
#if defined(__GNUC__) && !defined(_WIN32) && !defined(__CYGWIN__)
#define ETNA_AUTH_HPP_VISIBLE __attribute__((visibility("default")))
#else
#define ETNA_AUTH_HPP_VISIBLE
#endif

#include "etna_auth.h"

/** The C header's version this wrapper is written for: major, and (before 1.0) minor. */
#define ETNA_AUTH_HPP_VERSION_MAJOR 0
#define ETNA_AUTH_HPP_VERSION_MINOR 1

#if !defined(ETNA_AUTH_VERSION_MAJOR) || !defined(ETNA_AUTH_VERSION_NUMBER)
#error "etna_auth.hpp: the etna_auth.h found first has no version macros: it is not etna-auth's C header"
#elif ETNA_AUTH_VERSION_MAJOR != ETNA_AUTH_HPP_VERSION_MAJOR
#error "etna_auth.hpp and etna_auth.h are of different major versions: use the two headers of one etna-auth release"
#elif ETNA_AUTH_VERSION_MAJOR == 0 && ETNA_AUTH_VERSION_MINOR != ETNA_AUTH_HPP_VERSION_MINOR
#error "etna_auth.hpp and etna_auth.h are of different 0.x versions (before 1.0 the minor is the ABI version): use the two headers of one etna-auth release"
#endif

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace etna {
// The wrapper's version, major and (before 1.0) minor: ETNA_AUTH_HPP_VERSION_*
// (tests/cpp.sh checks that they agree).
inline namespace v0_1 {

/**
 * What the server (or, for the password, Session::acquire_token()) asks
 * the application for.
 */
enum class Step { Pin = ETNA_NEED_PIN, Code = ETNA_NEED_CODE, Password = ETNA_NEED_PASSWORD };

/** "PIN", "verification code" or "password": for prompts. Static; never NULL. */
inline const char *to_string(Step step) noexcept {
    switch (step) {
    case Step::Pin: return "PIN";
    case Step::Password: return "password";
    default: return "verification code";
    }
}

/**
 * Asks the application for a second factor during Session::login() and
 * Session::acquire_token() (which also asks with Step::Password for the
 * password when it was not given): `step` says which, `reason` is the
 * server's Reason for asking ("Expecting security pin" the first time,
 * "Invalid pin" after a wrong one; for the password, why a login is needed),
 * valid during the call only. Returns the answer, or std::nullopt to give
 * the login up.
 */
using Ask = std::function<std::optional<std::string>(Step step, std::string_view reason)>;

/** The level of a log line, and the most detailed level a session logs. */
enum class LogLevel { Info = ETNA_LOG_INFO, Debug = ETNA_LOG_DEBUG, Trace = ETNA_LOG_TRACE };

/** "info", "debug" or "trace". Static; never NULL. */
inline const char *to_string(LogLevel level) noexcept {
    switch (level) {
    case LogLevel::Info: return "info";
    case LogLevel::Trace: return "trace";
    default: return "debug";
    }
}

/**
 * Receives the session's log (Session::set_log()): the line's level and the
 * line, valid during the call only. Secrets never appear in a line.
 */
using LogSink = std::function<void(LogLevel level, std::string_view line)>;

/** A LogSink with the level as its ETNA_LOG_* number (the first set_log()). */
using Log = std::function<void(int level, std::string_view line)>;

/**
 * Overwrites the characters of `s` with zeros through volatile writes (which
 * the compiler does not remove), then empties it: for the application's own
 * copies of a password, a factor or a token. Only the string's current buffer
 * is wiped: copies made by earlier reallocations (a string that grew) are
 * not, so reserve() first where a secret is built piece by piece.
 */
inline void wipe(std::string &s) noexcept {
    volatile char *p = s.empty() ? nullptr : &s[0];
    for (std::size_t i = 0; i < s.size(); ++i) {
        p[i] = 0;
    }
    s.clear();
}

/**
 * An error of the library: what() is its message verbatim (etna_last_error(),
 * one line, never a secret), status() its ETNA_ERR_* code.
 */
class ETNA_AUTH_HPP_VISIBLE Error : public std::runtime_error {
public:
    Error(int status, const std::string &message) : std::runtime_error(message), status_(status) {}
    /** The ETNA_ERR_* status code. */
    int status() const noexcept { return status_; }
    /**
     * True for the statuses after which the same call may be repeated
     * (network failure, timeout, server error): the "retry" column of the
     * status table.
     */
    bool retryable() const noexcept;

private:
    int status_;
};

// BEGIN generated by tests/cpp/status_classes.py from bindings/status_codes.json: do not edit by hand.
/** A bad argument (NULL, invalid UTF-8, a control character in a header value...). Nothing was sent. */
class ETNA_AUTH_HPP_VISIBLE ArgumentError : public Error {
public:
    explicit ArgumentError(const std::string &message, int status = ETNA_ERR_ARGUMENT) : Error(status, message) {}
};
/** The call is not valid now (e.g. etna_supply_pin() when no PIN was asked for). Nothing was sent. */
class ETNA_AUTH_HPP_VISIBLE StateError : public Error {
public:
    explicit StateError(const std::string &message, int status = ETNA_ERR_STATE) : Error(status, message) {}
};
/** The server does not know the application key ("Application key is not defined or does not exist"). */
class ETNA_AUTH_HPP_VISIBLE AppKeyError : public Error {
public:
    explicit AppKeyError(const std::string &message, int status = ETNA_ERR_APP_KEY) : Error(status, message) {}
};
/** Wrong user name or password (401 Failed at step BaseAuthentication). */
class ETNA_AUTH_HPP_VISIBLE CredentialsError : public Error {
public:
    explicit CredentialsError(const std::string &message, int status = ETNA_ERR_CREDENTIALS) : Error(status, message) {}
};
/** The server ended the login: second factor refused for good, "Corrupted ticket", any other Failed answer. */
class ETNA_AUTH_HPP_VISIBLE RejectedError : public Error {
public:
    explicit RejectedError(const std::string &message, int status = ETNA_ERR_REJECTED) : Error(status, message) {}
};
/** Network failure: DNS, connect, reset, truncated answer. */
class ETNA_AUTH_HPP_VISIBLE NetworkError : public Error {
public:
    explicit NetworkError(const std::string &message, int status = ETNA_ERR_NETWORK) : Error(status, message) {}
};
/** The exchange did not complete within the session's timeout, or a wait for another login's or writer's lock file outlasted the lock timeout. (A NetworkError.) */
class ETNA_AUTH_HPP_VISIBLE TimeoutError : public NetworkError {
public:
    explicit TimeoutError(const std::string &message, int status = ETNA_ERR_TIMEOUT) : NetworkError(message, status) {}
};
/** An answer that is not understood: not JSON, missing/empty/unsafe Token, unknown State or Step, a redirect (never followed), a body over 64 KiB, or an unexpected HTTP status. */
class ETNA_AUTH_HPP_VISIBLE ProtocolError : public Error {
public:
    explicit ProtocolError(const std::string &message, int status = ETNA_ERR_PROTOCOL) : Error(status, message) {}
};
/** A server error: HTTP 5xx or 429. */
class ETNA_AUTH_HPP_VISIBLE ServerError : public Error {
public:
    explicit ServerError(const std::string &message, int status = ETNA_ERR_SERVER) : Error(status, message) {}
};
/** A local error: a file that cannot be read or written (CA file, token cache), or a port that cannot be bound (sandbox). */
class ETNA_AUTH_HPP_VISIBLE IOError : public Error {
public:
    explicit IOError(const std::string &message, int status = ETNA_ERR_IO) : Error(status, message) {}
};
/** A TLS failure: untrusted certificate, host name mismatch, handshake failure, no trust store. */
class ETNA_AUTH_HPP_VISIBLE TlsError : public Error {
public:
    explicit TlsError(const std::string &message, int status = ETNA_ERR_TLS) : Error(status, message) {}
};
/** No stored token valid long enough (none, expired, or no store file): etna_load_token(), and the CLI's token --no-prompt when a login would need input. */
class ETNA_AUTH_HPP_VISIBLE NoTokenError : public Error {
public:
    explicit NoTokenError(const std::string &message, int status = ETNA_ERR_NO_TOKEN) : Error(status, message) {}
};
/** The call was cancelled by etna_cancel(), from another thread or before the call began; nothing more was sent. */
class ETNA_AUTH_HPP_VISIBLE CancelledError : public Error {
public:
    explicit CancelledError(const std::string &message, int status = ETNA_ERR_CANCELLED) : Error(status, message) {}
};
/** An internal error (a bug in etna-auth, caught before it could cross into C). */
class ETNA_AUTH_HPP_VISIBLE InternalError : public Error {
public:
    explicit InternalError(const std::string &message, int status = ETNA_ERR_INTERNAL) : Error(status, message) {}
};

/** Throws the exception of `status` (an error status) with `message`. */
[[noreturn]] inline void throw_error(int status, const std::string &message) {
    switch (status) {
    case ETNA_ERR_ARGUMENT: throw ArgumentError(message);
    case ETNA_ERR_STATE: throw StateError(message);
    case ETNA_ERR_APP_KEY: throw AppKeyError(message);
    case ETNA_ERR_CREDENTIALS: throw CredentialsError(message);
    case ETNA_ERR_REJECTED: throw RejectedError(message);
    case ETNA_ERR_NETWORK: throw NetworkError(message);
    case ETNA_ERR_TIMEOUT: throw TimeoutError(message);
    case ETNA_ERR_PROTOCOL: throw ProtocolError(message);
    case ETNA_ERR_SERVER: throw ServerError(message);
    case ETNA_ERR_IO: throw IOError(message);
    case ETNA_ERR_TLS: throw TlsError(message);
    case ETNA_ERR_NO_TOKEN: throw NoTokenError(message);
    case ETNA_ERR_CANCELLED: throw CancelledError(message);
    case ETNA_ERR_INTERNAL: throw InternalError(message);
    default: throw Error(status, message);
    }
}

inline bool Error::retryable() const noexcept {
    return status_ == ETNA_ERR_NETWORK || status_ == ETNA_ERR_TIMEOUT || status_ == ETNA_ERR_SERVER;
}
// END generated

/**
 * The library loaded at run time is not one this program can use: another
 * major version (before 1.0, another minor), or an older one than the
 * header it was compiled with. status() is ETNA_ERR_STATE.
 */
class ETNA_AUTH_HPP_VISIBLE LibraryVersionError : public StateError {
public:
    explicit LibraryVersionError(const std::string &message) : StateError(message) {}
};

/** The loaded library's version as ETNA_AUTH_VERSION_NUMBER gives the header's (etna_version_number()). */
inline int version_number() noexcept { return etna_version_number(); }

/** The loaded library's version, e.g. "0.1.0" (etna_version()). */
inline std::string version() { return etna_version(); }

/**
 * Whether a library of version number `library` can serve a program compiled
 * against the header of version number `header` (both major * 10000 +
 * minor * 100 + patch): same major, not an older minor, and before 1.0 the
 * same minor.
 */
constexpr bool library_compatible(int header, int library) noexcept {
    return library / 10000 == header / 10000 &&
           (header / 10000 == 0 ? library / 100 % 100 == header / 100 % 100
                                : library / 100 % 100 >= header / 100 % 100);
}

/** Throws LibraryVersionError unless library_compatible(ETNA_AUTH_VERSION_NUMBER, version_number()). */
inline void check_library_version() {
    const int library = version_number();
    if (!library_compatible(ETNA_AUTH_VERSION_NUMBER, library)) {
        throw LibraryVersionError(std::string("the etna_auth library loaded is version ") + etna_version() +
                                  " but this program was compiled against etna_auth.h " ETNA_AUTH_VERSION
                                  ": it needs a library of the same major version (before 1.0, the same minor)"
                                  " and not older; install the matching etna_auth library");
    }
}

namespace detail {

/** Throws the exception of `status` with this thread's etna_last_error(). */
[[noreturn]] inline void throw_last(int status) {
    throw_error(status, etna_last_error());
}

/** Throws for an error status (< 0); returns a success or ETNA_NEED_* status. */
inline int check(int status) {
    if (status < 0) {
        throw_last(status);
    }
    return status;
}

/** A NUL-terminated copy of `value`; ArgumentError for a NUL inside. */
inline std::string c_string(std::string_view value, const char *what) {
    if (value.find('\0') != std::string_view::npos) {
        throw ArgumentError(std::string(what) + " contains a NUL character");
    }
    return std::string(value);
}

/** `value` in whole seconds as the C API's uint32_t; ArgumentError outside 0 ... UINT32_MAX. */
inline std::uint32_t seconds_u32(std::chrono::seconds value, const char *what) {
    if (value.count() < 0 || value.count() > static_cast<long long>(UINT32_MAX)) {
        throw ArgumentError(std::string(what) + " must be from 0 to " + std::to_string(UINT32_MAX) + " s");
    }
    return static_cast<std::uint32_t>(value.count());
}

/** A std::string that is wiped when it goes, also on the way out by an exception. */
struct Wiped {
    std::string value;
    ~Wiped() { wipe(value); }
};

/** What the ask trampoline needs, and what it leaves for login() and acquire_token(). */
struct AskContext {
    const Ask *ask;
    std::exception_ptr error;  // what ask threw, rethrown once the C call has returned

    /** The C call's callback: the trampoline, or none without an Ask. */
    EtnaAskCallback callback() const noexcept;

    /** After the C call: rethrows what ask threw, else throws for an error `status`. */
    void rethrow_or_check(int status) const {
        if (error) {
            std::rethrow_exception(error);
        }
        check(status);
    }
};

/**
 * The EtnaAskCallback of login(): calls the Ask, copies the factor into the
 * library's buffer and wipes the Ask's string. Nothing unwinds out of it.
 */
inline int ask_trampoline(void *user_data, int step, const char *reason, char *answer,
                          std::size_t answer_size) noexcept {
    auto *context = static_cast<AskContext *>(user_data);
    try {
        Wiped factor;
        {
            std::optional<std::string> given = (*context->ask)(static_cast<Step>(step), reason);
            if (!given) {
                return 1;  // gives up: the library ends the login, ETNA_ERR_CANCELLED
            }
            factor.value = std::move(*given);
            wipe(*given);  // a string moved from may keep its characters (small strings)
        }
        if (factor.value.find('\0') != std::string::npos) {
            throw ArgumentError(std::string("the ") + to_string(static_cast<Step>(step)) +
                                " given by the ask callback contains a NUL character");
        }
        // Too long: what fits, without the NUL, which the library refuses
        // with ETNA_ERR_ARGUMENT ("does not fit"), naming the factor.
        std::size_t n = factor.value.size() < answer_size ? factor.value.size() : answer_size;
        std::memcpy(answer, factor.value.data(), n);
        if (n < answer_size) {
            answer[n] = '\0';
        }
        return 0;
    } catch (...) {
        context->error = std::current_exception();
        return 1;
    }
}

inline EtnaAskCallback AskContext::callback() const noexcept { return *ask ? &ask_trampoline : nullptr; }

/** The EtnaLogCallback of set_log(): nothing unwinds out of it. */
inline void log_trampoline(void *user_data, int level, const char *line) noexcept {
    try {
        (*static_cast<const Log *>(user_data))(level, line);
    } catch (...) {
        // Dropped: a log line must not end a login.
    }
}

}  // namespace detail

/**
 * A login session: one server (base URL), one application key, one login at
 * a time (etna_new() ... etna_free()). Move-only.
 */
class Session {
public:
    /**
     * A session for the API at `base_url`, e.g.
     * "https://pub-api-et-demo-prod.etnasoft.us/api" (https, or http to a
     * loopback host), with the company's application key. No network is
     * used. First checks the loaded library's version (LibraryVersionError).
     * Throws ArgumentError for a URL or key the library does not accept.
     * Timeout ETNA_DEFAULT_TIMEOUT_MS; the system's trust store; the
     * https_proxy environment (see etna_new()).
     */
    Session(std::string_view base_url, std::string_view app_key) {
        check_library_version();
        handle_ = etna_new(detail::c_string(base_url, "base_url").c_str(), detail::c_string(app_key, "app_key").c_str());
        if (handle_ == nullptr) {
            detail::throw_last(etna_last_status());
        }
    }

    /** Frees the session (etna_free()), wiping its credentials and tokens. */
    ~Session() { etna_free(handle_); }

    Session(Session &&other) noexcept
        : handle_(std::exchange(other.handle_, nullptr)), log_(std::move(other.log_)) {}

    Session &operator=(Session &&other) noexcept {
        if (this != &other) {
            etna_free(handle_);  // before the log function it may call goes
            handle_ = std::exchange(other.handle_, nullptr);
            log_ = std::move(other.log_);
        }
        return *this;
    }

    Session(const Session &) = delete;
    Session &operator=(const Session &) = delete;

    /**
     * Logs in from start to end by the one login policy
     * (docs/login-policy.md) through etna_login(): the user name and
     * password, then `ask` for each second factor the server asks for, as
     * often as it asks. Returns the session token (also in token()).
     *
     * - `ask` returning std::nullopt gives the login up: CancelledError with
     *   the library's message ("the login was abandoned: no PIN was given").
     *   No `ask` (the default) gives up the same way when a factor is asked.
     * - An exception thrown by `ask` gives the login up as well, and login()
     *   rethrows that very exception object once the library has returned.
     * - Any other failure throws the error of its status (CredentialsError,
     *   RejectedError, NetworkError, TimeoutError, CancelledError after
     *   cancel()...), with the library's message verbatim.
     * After a failure the login is ended: the session holds no credentials,
     * nothing more is sent, and it can log in again.
     *
     * Secrets: the factor `ask` returns is moved into a string of the
     * wrapper's, copied into the library's answer buffer (which the library
     * wipes after sending it) and the wrapper's string is wiped (volatile
     * writes) before the callback returns; so is the wrapper's NUL-terminated
     * copy of the password. What the application made itself stays its own:
     * read the factor into a string it returns by value (moved, not copied),
     * and etna::wipe() its own copies of the password and of the token.
     * A factor longer than the buffer (ETNA_ANSWER_BUFFER_SIZE bytes with
     * the NUL) is ArgumentError; one with a NUL character too.
     *
     * The token returned is the caller's copy ([[nodiscard]]: a discarded
     * one is freed unwiped): etna::wipe() it when done.
     *
     * `ask` runs on the calling thread, while the login holds the session:
     * there it may call cancel(), token(), expires_at() and
     * authorization_header(); a call that changes the session (login(),
     * acquire_token(), end_login(), the set_*() functions...) throws
     * StateError at once (the library's ETNA_ERR_STATE). Blocks for the
     * whole login: up to the timeout per exchange, plus the time `ask`
     * takes; cancel() ends it at once.
     */
    [[nodiscard]] std::string login(std::string_view username, std::string_view password, Ask ask = {}) {
        EtnaSession *session = live();
        std::string user = detail::c_string(username, "username");
        detail::Wiped pass{detail::c_string(password, "password")};
        detail::AskContext context{&ask, nullptr};
        context.rethrow_or_check(etna_login(session, user.c_str(), pass.value.c_str(), context.callback(), &context));
        return token_or_throw();
    }

    /**
     * A token valid `min_valid` more, the way a long-running application
     * wants one before each use (etna_acquire_token()): the stored token of
     * `username` for this session's base URL when it stays valid that long
     * (nothing is sent; `password` and `ask` are not used), else a login by
     * the policy of login(), whose token is then stored. Returns the token
     * (also in token()); wipe() it when done.
     *
     * - `store`: std::nullopt for the default store (default_store():
     *   ETNA_AUTH_STORE, else the user's token file), "keyring" for the
     *   OS credential store, or the path of a token file.
     * - `password` std::nullopt: `ask` is asked for it with Step::Password,
     *   and only when a login is needed. With neither a password nor `ask`,
     *   a needed login throws CancelledError and sends nothing.
     * - `ask` is then asked for each second factor as by login(); what it
     *   throws is rethrown as by login().
     * - `min_valid` from 0 to 24 hours (ArgumentError otherwise).
     * One login at a time per store, base URL and user, across threads and
     * processes: the others wait in this call and take the token it stored.
     * Errors as login()'s, and IOError for a store that cannot be read or
     * written; IOError too when the login succeeded but its token could not
     * be stored (then the session holds the token: token()).
     */
    [[nodiscard]] std::string acquire_token(std::string_view username, std::optional<std::string_view> password,
                                            Ask ask = {}, std::chrono::seconds min_valid = std::chrono::minutes(5),
                                            std::optional<std::string_view> store = std::nullopt) {
        EtnaSession *session = live();
        std::uint32_t min_valid_s = detail::seconds_u32(min_valid, "min_valid");
        std::string user = detail::c_string(username, "username");
        std::optional<std::string> where;
        if (store) {
            where = detail::c_string(*store, "store");
        }
        detail::Wiped pass{password ? detail::c_string(*password, "password") : std::string()};
        detail::AskContext context{&ask, nullptr};
        context.rethrow_or_check(etna_acquire_token(session, where ? where->c_str() : nullptr, user.c_str(),
                                                    password ? pass.value.c_str() : nullptr, min_valid_s,
                                                    context.callback(), &context));
        return token_or_throw();
    }

    /**
     * Interrupts the login or exchange in flight on this session, from any
     * thread: it throws CancelledError at once. With none in flight, the next
     * one is cancelled before it sends anything (etna_cancel()). Never
     * blocks. Does nothing on an empty (moved-from) session.
     */
    void cancel() noexcept {
        if (handle_ != nullptr) {
            etna_cancel(handle_);
        }
    }

    /**
     * The deadline of each exchange with the server, from 1 ms to about 49
     * days (ArgumentError otherwise); seconds convert implicitly. Waits for a
     * call in flight on the session.
     */
    void set_timeout(std::chrono::milliseconds timeout) {
        if (timeout.count() <= 0 || timeout.count() > static_cast<long long>(UINT32_MAX)) {
            throw ArgumentError("the timeout must be from 1 ms to " + std::to_string(UINT32_MAX) + " ms");
        }
        detail::check(etna_set_timeout_ms(live(), static_cast<std::uint32_t>(timeout.count())));
    }

    /**
     * How long acquire_token() waits for the lock of a login another caller
     * (thread or process) runs for the same store, URL and user, or of a
     * token file writer: then TimeoutError, naming the lock file
     * (etna_set_lock_timeout_ms()). Two minutes until set
     * (ETNA_DEFAULT_LOCK_TIMEOUT_MS); 0: no wait at all. From 0 ms to about
     * 49 days (ArgumentError otherwise). cancel() ends a wait at once.
     */
    void set_lock_timeout(std::chrono::milliseconds timeout) {
        if (timeout.count() < 0 || timeout.count() > static_cast<long long>(UINT32_MAX)) {
            throw ArgumentError("the lock timeout must be from 0 to " + std::to_string(UINT32_MAX) + " ms");
        }
        detail::check(etna_set_lock_timeout_ms(live(), static_cast<std::uint32_t>(timeout.count())));
    }

    /**
     * Trusts exactly the certificates of the PEM file at `pem_path` for https
     * (etna_set_ca_file()): IOError when it cannot be read, ArgumentError
     * when it holds no certificate.
     */
    void set_ca_file(const std::string &pem_path) {
        detail::check(etna_set_ca_file(live(), detail::c_string(pem_path, "pem_path").c_str()));
    }

    /**
     * Uses the HTTP proxy at `proxy_url` ("http://host:port", optionally with
     * user:password@); ArgumentError for another scheme (etna_set_proxy()).
     */
    void set_proxy(const std::string &proxy_url) {
        detail::check(etna_set_proxy(live(), detail::c_string(proxy_url, "proxy_url").c_str()));
    }

    /** No proxy at all, whatever https_proxy says (etna_set_proxy(NULL)). */
    void disable_proxy() { detail::check(etna_set_proxy(live(), nullptr)); }

    /**
     * Sends the session's log to `sink`, up to `max_level`; an empty function
     * turns it off. The function runs on the thread of each call into the
     * session; what it throws is dropped. Not to be called while another
     * thread uses the session.
     */
    void set_log(LogSink sink, LogLevel max_level) {
        Log log;
        if (sink) {
            log = [sink = std::move(sink)](int level, std::string_view line) { sink(static_cast<LogLevel>(level), line); };
        }
        set_log(std::move(log), static_cast<int>(max_level));
    }

    /** set_log() with the level as its ETNA_LOG_* number (ETNA_LOG_INFO, _DEBUG, _TRACE). */
    void set_log(Log log, int max_level = ETNA_LOG_DEBUG) {
        EtnaSession *session = live();
        if (!log) {
            detail::check(etna_set_log_callback(session, nullptr, nullptr, max_level));
            log_.reset();
            return;
        }
        auto next = std::make_unique<Log>(std::move(log));
        detail::check(etna_set_log_callback(session, &detail::log_trampoline, next.get(), max_level));
        log_ = std::move(next);  // the old one is no longer called
    }

    /**
     * The session token after a login (or load_token()), std::nullopt
     * without one. The string is the caller's: wipe() it when done. Never
     * waits for a call in flight (it shows the last completed one).
     */
    std::optional<std::string> token() const {
        if (handle_ == nullptr) {
            return std::nullopt;
        }
        for (;;) {
            int n = etna_get_token(handle_, nullptr, 0);
            if (n < 0) {
                return std::nullopt;
            }
            std::string token(static_cast<std::size_t>(n), '\0');
            // n + 1: the library writes the NUL into std::string's own terminator.
            if (etna_get_token(handle_, &token[0], token.size() + 1) == n) {
                return token;
            }
            wipe(token);  // another thread's login changed it meanwhile: again
        }
    }

    /**
     * When the token expires (the login time plus the documented 24 hours),
     * std::nullopt without a token. Never waits for a call in flight.
     */
    std::optional<std::chrono::system_clock::time_point> expires_at() const {
        std::int64_t at = handle_ == nullptr ? 0 : etna_token_expires_at(handle_);
        if (at == 0) {
            return std::nullopt;
        }
        return std::chrono::system_clock::time_point(std::chrono::seconds(at));
    }

    /**
     * "Bearer <token>", the Authorization header's value; StateError without
     * a token. Built in one allocation, and the wrapper's copy of the token
     * wiped: wipe() the header when done.
     */
    std::string authorization_header() const {
        detail::Wiped token{token_or_throw()};
        static constexpr std::string_view bearer = "Bearer ";
        std::string header;
        header.reserve(bearer.size() + token.value.size());
        header.append(bearer).append(token.value);
        return header;
    }

    /**
     * Ends the login: abandons one in progress, forgets the token and wipes
     * what the session held (etna_end_login()); the settings stay. A logout.
     */
    void end_login() { detail::check(etna_end_login(live())); }

    /**
     * Saves the token in the token cache file at `path` (etna_save_token():
     * mode 0600, atomic, locked): StateError without a token, IOError for a
     * file that cannot be written or is not a private etna-auth cache.
     */
    void save_token(const std::string &path) const {
        detail::check(etna_save_token(live(), detail::c_string(path, "path").c_str()));
    }

    /**
     * Takes the cached token of `username` from the cache file at `path` if it
     * stays valid for `min_valid` more (60 s by default, as in Python): true,
     * and the session holds it as after a login; false when there is none
     * (or it expires too soon). IOError for a file that cannot be read or is
     * not a private cache.
     */
    bool load_token(const std::string &path, std::string_view username,
                    std::chrono::seconds min_valid = std::chrono::seconds(60)) {
        std::uint32_t min_valid_s = detail::seconds_u32(min_valid, "min_valid");
        int status = etna_load_token(live(), detail::c_string(path, "path").c_str(),
                                     detail::c_string(username, "username").c_str(), min_valid_s);
        if (status == ETNA_ERR_NO_TOKEN) {
            return false;
        }
        detail::check(status);
        return true;
    }

    /** Removes the cached token of `username` at `base_url` from the cache file (a logout). */
    static void forget_token(const std::string &path, std::string_view base_url, std::string_view username) {
        detail::check(etna_forget_token(detail::c_string(path, "path").c_str(),
                                        detail::c_string(base_url, "base_url").c_str(),
                                        detail::c_string(username, "username").c_str()));
    }

    /**
     * The C handle, for what the wrapper does not cover; still owned by this
     * Session (do not etna_free() it). NULL after a move.
     */
    EtnaSession *native() noexcept { return handle_; }
    const EtnaSession *native() const noexcept { return handle_; }

private:
    EtnaSession *live() const {
        if (handle_ == nullptr) {
            throw StateError("this etna::Session was moved from: it has no session");
        }
        return handle_;
    }

    std::string token_or_throw() const {
        std::optional<std::string> token = this->token();
        if (!token) {
            detail::check(etna_get_token(live(), nullptr, 0));  // StateError with the library's message
            throw StateError("the session has no token");      // (a logout raced with this call)
        }
        return std::move(*token);
    }

    EtnaSession *handle_ = nullptr;
    std::unique_ptr<Log> log_;  // on the heap: its address, given to C, survives moves
};

/**
 * The store Session::acquire_token() uses for std::nullopt
 * (etna_default_store()): ETNA_AUTH_STORE when set ("keyring" or a path),
 * else the default token file's path. Nothing is created. IOError when there
 * is no default place (no HOME; APPDATA on Windows).
 */
inline std::string default_store() {
    for (;;) {
        int n = detail::check(etna_default_store(nullptr, 0));
        std::string store(static_cast<std::size_t>(n), '\0');
        // n + 1: the library writes the NUL into std::string's own terminator.
        if (detail::check(etna_default_store(&store[0], store.size() + 1)) == n) {
            return store;
        }
        // ETNA_AUTH_STORE changed meanwhile (nothing was written): again.
    }
}

/**
 * The embedded emulator of the token endpoint on 127.0.0.1, for tests and
 * demos (etna_sandbox_start() ... etna_sandbox_stop()). Move-only.
 */
class Sandbox {
public:
    /**
     * The default accounts: alice / alice-pass (single factor), bob /
     * bob-pass (PIN 1234), carol / carol-pass (code 123456), dave /
     * dave-pass (PIN 4321, then code 654321). IOError when no port can be
     * bound.
     */
    Sandbox() : Sandbox(Start{}, nullptr) {}

    /**
     * A sandbox configured by `config_json` (see etna_sandbox_start():
     * "app_key", "port", "max_attempts", "accounts"); ArgumentError for a bad
     * configuration.
     */
    explicit Sandbox(const std::string &config_json)
        : Sandbox(Start{}, detail::c_string(config_json, "config_json").c_str()) {}

    ~Sandbox() { etna_sandbox_stop(handle_); }
    Sandbox(Sandbox &&other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    Sandbox &operator=(Sandbox &&other) noexcept {
        if (this != &other) {
            etna_sandbox_stop(handle_);
            handle_ = std::exchange(other.handle_, nullptr);
        }
        return *this;
    }
    Sandbox(const Sandbox &) = delete;
    Sandbox &operator=(const Sandbox &) = delete;

    /** The base URL to give a Session, e.g. "http://127.0.0.1:40123/api". */
    std::string url() const { return etna_sandbox_url(live()); }
    /** The application key the sandbox accepts. */
    std::string app_key() const { return etna_sandbox_app_key(live()); }
    /** How many requests it has answered. */
    std::uint64_t request_count() const { return etna_sandbox_request_count(live()); }
    /** How many TCP connections it has accepted. */
    std::uint64_t connection_count() const { return etna_sandbox_connection_count(live()); }
    /** The C handle, still owned by this Sandbox. NULL after a move. */
    EtnaSandbox *native() noexcept { return handle_; }

private:
    struct Start {};
    Sandbox(Start, const char *config) {
        check_library_version();
        handle_ = etna_sandbox_start(config);
        if (handle_ == nullptr) {
            detail::throw_last(etna_last_status());
        }
    }

    const EtnaSandbox *live() const {
        if (handle_ == nullptr) {
            throw StateError("this etna::Sandbox was moved from: it has no sandbox");
        }
        return handle_;
    }

    EtnaSandbox *handle_ = nullptr;
};

}  // namespace v0_1
}  // namespace etna

#endif /* ETNA_AUTH_HPP */
