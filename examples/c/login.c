/*
 * Logging in to ETNA Trader from a C program, the way a trading app does it:
 * one session for the program's lifetime, reused for each login; the user
 * name, password, PIN and verification code read from the terminal with the
 * echo off; Ctrl-C cancels the login in flight; the Authorization header
 * printed for the app's API requests.
 *
 *   login https://pub-api-et-demo-prod.etnasoft.us/api APP_KEY
 *   login --sandbox          against the embedded emulator (bob: PIN 1234;
 *                            dave: PIN 4321, then code 654321; alice: none)
 *
 * Prompts go to stderr, the header to stdout. An empty user name (or the end
 * of the input) quits; an empty PIN or code gives the login up.
 * Build: examples/c/CMakeLists.txt (find_package(etna_auth)).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <etna_auth.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <pthread.h>
#include <termios.h>
#include <unistd.h>
#endif

/* The session Ctrl-C cancels. */
static EtnaSession *session;

/* Overwrites a secret (volatile: the compiler keeps the writes). */
static void wipe(char *s, size_t n) {
    volatile char *p = s;
    while (n-- > 0) *p++ = 0;
}

/* Reads one line from stdin into buf (without the newline), with the echo off
 * when `hidden` and stdin is a terminal. Returns 0, or -1 at the end of the
 * input or when Ctrl-C interrupted the read. */
static int prompt(const char *label, char *buf, size_t size, int hidden) {
    fputs(label, stderr);
    fflush(stderr);
#ifdef _WIN32
    HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
    DWORD mode = 0;
    int console = hidden && GetConsoleMode(in, &mode);
    if (console) SetConsoleMode(in, mode & ~(DWORD)ENABLE_ECHO_INPUT);
#else
    struct termios old, quiet;
    int console = hidden && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (console) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
#endif
    char *line = fgets(buf, (int)size, stdin);
#ifdef _WIN32
    if (console) SetConsoleMode(in, mode);
#else
    if (console) tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
#endif
    if (hidden) fputc('\n', stderr);
    if (line == NULL) {
        clearerr(stdin);
        return -1;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

/* etna_login's callback: asks for the PIN or the code, with the server's Reason. */
static int ask(void *user_data, int step, const char *reason, char *answer, size_t answer_size) {
    (void)user_data;
    char label[512];
    snprintf(label, sizeof label, "%s (%s): ", step == ETNA_NEED_PIN ? "PIN" : "Verification code", reason);
    /* Read straight into the library's buffer, which it wipes after use. */
    if (prompt(label, answer, answer_size, 1) != 0 || answer[0] == '\0') {
        return 1; /* gives the login up */
    }
    return 0;
}

#ifdef _WIN32
/* Runs on a thread of its own: etna_cancel() may be called there. */
static BOOL WINAPI on_ctrl_c(DWORD event) {
    if (event != CTRL_C_EVENT && event != CTRL_BREAK_EVENT) return FALSE;
    etna_cancel(session);
    return TRUE;
}
static void cancel_on_ctrl_c(void) { SetConsoleCtrlHandler(on_ctrl_c, TRUE); }
#else
/* A signal handler may only write(): it wakes a thread that calls etna_cancel(). */
static int wake[2];
static void on_sigint(int sig) {
    (void)sig;
    ssize_t n = write(wake[1], "c", 1);
    (void)n;
}
static void *canceller(void *arg) {
    (void)arg;
    char c;
    while (read(wake[0], &c, 1) == 1) etna_cancel(session);
    return NULL;
}
static void cancel_on_ctrl_c(void) {
    pthread_t thread;
    sigset_t all, old;
    if (pipe(wake) != 0) return;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old); /* the signal goes to the prompting thread, */
    pthread_create(&thread, NULL, canceller, NULL); /* interrupting its read */
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint; /* no SA_RESTART: a prompt's read returns */
    sigaction(SIGINT, &sa, NULL);
}
#endif

int main(int argc, char **argv) {
    EtnaSandbox *sandbox = NULL;
    const char *url, *app_key;
    if (argc == 2 && strcmp(argv[1], "--sandbox") == 0) {
        sandbox = etna_sandbox_start(NULL);
        if (sandbox == NULL) { fprintf(stderr, "sandbox: %s\n", etna_last_error()); return 1; }
        url = etna_sandbox_url(sandbox);
        app_key = etna_sandbox_app_key(sandbox);
    } else if (argc == 3) {
        url = argv[1];
        app_key = argv[2];
    } else {
        fprintf(stderr, "usage: %s BASE_URL APP_KEY | --sandbox\n", argv[0]);
        return 2;
    }
    if (etna_version_number() / 100 != ETNA_AUTH_VERSION_NUMBER / 100) { /* 0.x: the minor is the ABI */
        fprintf(stderr, "etna_auth library %s, but built for %s\n", etna_version(), ETNA_AUTH_VERSION);
        return 1;
    }
    session = etna_new(url, app_key);
    if (session == NULL) { fprintf(stderr, "%s\n", etna_last_error()); return 1; }
    cancel_on_ctrl_c();

    char username[256], password[256];
    int failures = 0;
    /* One session, one login after another: the kept-alive connection is reused. */
    while (prompt("User name (empty to quit): ", username, sizeof username, 0) == 0 && username[0] != '\0') {
        if (prompt("Password: ", password, sizeof password, 1) != 0) break;
        etna_end_login(session); /* drops a Ctrl-C pressed since the last login */
        int rc = etna_login(session, username, password, ask, NULL);
        wipe(password, sizeof password);
        if (rc != ETNA_OK) {
            fprintf(stderr, "login failed: %s (%s)\n", etna_last_error(), etna_status_str(rc));
            failures++;
            continue;
        }
        int n = etna_get_token(session, NULL, 0);
        char *token = malloc((size_t)n + 1);
        if (token == NULL || etna_get_token(session, token, (size_t)n + 1) != n) { free(token); return 1; }
        time_t until = (time_t)etna_token_expires_at(session);
        char when[64];
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", gmtime(&until));
        /* What the app sends with each API request, until the token expires. */
        printf("Authorization: Bearer %s\n", token);
        fflush(stdout);
        fprintf(stderr, "%s logged in; the token is valid until %s\n", username, when);
        wipe(token, (size_t)n);
        free(token);
    }
    etna_free(session); /* wipes the credentials and the token */
    etna_sandbox_stop(sandbox);
    return failures == 0 ? 0 : 3;
}
