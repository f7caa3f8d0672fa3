// Logging in to ETNA Trader from a C++ program with etna_auth.hpp, the way a
// trading app does it: one etna::Session for the program's lifetime, reused
// for each login; the user name, password, PIN and verification code read
// from the terminal with the echo off; Ctrl-C cancels the login in flight
// (Session::cancel() from another thread); the Authorization header printed
// for the app's API requests; errors as etna::Error exceptions.
//
//   login https://pub-api-et-demo-prod.etnasoft.us/api APP_KEY
//   login --sandbox          against the embedded emulator (bob: PIN 1234;
//                            dave: PIN 4321, then code 654321; alice: none)
//
// Prompts go to stderr, the header to stdout. An empty user name (or the end
// of the input) quits; an empty PIN or code gives the login up.
// Build: examples/cpp/CMakeLists.txt (find_package(etna_auth), C++17).
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <etna_auth.hpp>

#ifdef _WIN32
#include <windows.h>
#else
#include <pthread.h>
#include <termios.h>
#include <unistd.h>
#endif

namespace {

// The session Ctrl-C cancels, and the lock that keeps it alive while the
// Ctrl-C thread cancels it: main clears it (Cancellable) before the session
// goes, and cancel() never blocks, so the lock is held briefly.
std::mutex current_mutex;
etna::Session *current = nullptr;

void cancel_current() {
    std::lock_guard<std::mutex> lock(current_mutex);
    if (current != nullptr) current->cancel();
}

// `session` is the one Ctrl-C cancels for this object's lifetime (also when
// an exception ends it).
struct Cancellable {
    explicit Cancellable(etna::Session &session) {
        std::lock_guard<std::mutex> lock(current_mutex);
        current = &session;
    }
    ~Cancellable() {
        std::lock_guard<std::mutex> lock(current_mutex);
        current = nullptr;
    }
    Cancellable(const Cancellable &) = delete;
    Cancellable &operator=(const Cancellable &) = delete;
};

// One line from stdin, with the echo off when `hidden` and stdin is a
// terminal; std::nullopt at the end of the input or when Ctrl-C interrupted it.
std::optional<std::string> prompt(const std::string &label, bool hidden) {
    std::cerr << label << std::flush;
#ifdef _WIN32
    HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
    DWORD mode = 0;
    bool console = hidden && GetConsoleMode(in, &mode);
    if (console) SetConsoleMode(in, mode & ~static_cast<DWORD>(ENABLE_ECHO_INPUT));
#else
    termios old{};
    bool console = hidden && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (console) {
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
#endif
    std::string line;
    line.reserve(256);  // no reallocation leaves copies of a secret behind
    bool ok = static_cast<bool>(std::getline(std::cin, line));
#ifdef _WIN32
    if (console) SetConsoleMode(in, mode);
#else
    if (console) tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
#endif
    if (hidden) std::cerr << '\n';
    if (!ok) {
        std::cin.clear();
        return std::nullopt;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

#ifdef _WIN32
// Runs on a thread of its own, where Session::cancel() may be called.
BOOL WINAPI on_ctrl_c(DWORD event) {
    if (event != CTRL_C_EVENT && event != CTRL_BREAK_EVENT) return FALSE;
    cancel_current();
    return TRUE;
}
void cancel_on_ctrl_c() { SetConsoleCtrlHandler(on_ctrl_c, TRUE); }
#else
// A signal handler may only write(): it wakes a thread that calls cancel().
int wake[2];
extern "C" void on_sigint(int) {
    ssize_t n = write(wake[1], "c", 1);
    (void)n;
}
void cancel_on_ctrl_c() {
    if (pipe(wake) != 0) return;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);  // the signal goes to the prompting thread,
    std::thread([] {                         // interrupting its read
        char c;
        while (read(wake[0], &c, 1) == 1) {
            cancel_current();
        }
    }).detach();
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    struct sigaction sa {};
    sa.sa_handler = on_sigint;  // no SA_RESTART: a prompt's read returns
    sigaction(SIGINT, &sa, nullptr);
}
#endif

}  // namespace

int main(int argc, char **argv) {
    try {
        std::optional<etna::Sandbox> sandbox;
        std::string url, app_key;
        if (argc == 2 && std::string(argv[1]) == "--sandbox") {
            sandbox.emplace();
            url = sandbox->url();
            app_key = sandbox->app_key();
        } else if (argc == 3) {
            url = argv[1];
            app_key = argv[2];
        } else {
            std::cerr << "usage: " << argv[0] << " BASE_URL APP_KEY | --sandbox\n";
            return 2;
        }
        etna::Session session(url, app_key);  // checks the library's version too
        Cancellable cancellable(session);     // before the session goes, Ctrl-C no longer reaches it
        cancel_on_ctrl_c();

        // Asked for each factor the server wants, with its Reason ("Invalid pin" after a wrong one).
        etna::Ask ask = [](etna::Step step, std::string_view reason) -> std::optional<std::string> {
            std::optional<std::string> factor =
                prompt(std::string(step == etna::Step::Pin ? "PIN" : "Verification code") + " (" +
                           std::string(reason) + "): ",
                       true);
            if (!factor || factor->empty()) return std::nullopt;  // gives the login up
            return factor;  // moved into the wrapper, which wipes it
        };
        int failures = 0;
        // One session, one login after another: the kept-alive connection is reused.
        while (std::optional<std::string> username = prompt("User name (empty to quit): ", false)) {
            if (username->empty()) break;
            std::optional<std::string> password = prompt("Password: ", true);
            if (!password) break;
            session.end_login();  // drops a Ctrl-C pressed since the last login
            try {
                std::string token = session.login(*username, *password, ask);
                etna::wipe(token);  // the session keeps it: authorization_header() below
                etna::wipe(*password);
            } catch (const etna::CancelledError &e) {
                etna::wipe(*password);
                std::cerr << "login cancelled: " << e.what() << '\n';
                ++failures;
                continue;
            } catch (const etna::Error &e) {  // CredentialsError, NetworkError, ...
                etna::wipe(*password);
                std::cerr << "login failed: " << e.what() << " (status " << e.status()
                          << (e.retryable() ? ", worth retrying" : "") << ")\n";
                ++failures;
                continue;
            }
            // What the app sends with each API request, until the token expires.
            std::string header = session.authorization_header();
            std::cout << "Authorization: " << header << std::endl;
            etna::wipe(header);
            std::time_t until = std::chrono::system_clock::to_time_t(*session.expires_at());
            char when[64];
            std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&until));
            std::cerr << *username << " logged in; the token is valid until " << when << '\n';
        }
        return failures == 0 ? 0 : 3;
    } catch (const etna::Error &e) {
        std::cerr << "etna-auth: " << e.what() << '\n';
        return 1;
    }
}
