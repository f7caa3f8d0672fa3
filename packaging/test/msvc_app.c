/* A program built the MSVC way (clang --target=x86_64-pc-windows-msvc, lld-link)
 * against lib/etna_auth.lib, with no C runtime (none is on this machine): it
 * checks the version, logs in to the sandbox as bob through etna_login and
 * prints one line with kernel32's WriteFile. Exit code 0 when it works. */
#include "etna_auth.h"

typedef void *HANDLE;
__declspec(dllimport) HANDLE __stdcall GetStdHandle(unsigned long);
__declspec(dllimport) int __stdcall WriteFile(HANDLE, const void *, unsigned long, unsigned long *, void *);
__declspec(dllimport) void __stdcall ExitProcess(unsigned int);

static void say(const char *s) {
    unsigned long n = 0, written = 0;
    while (s[n] != 0) n++;
    WriteFile(GetStdHandle((unsigned long)-11), s, n, &written, 0);
}

static int ask(void *user_data, int step, const char *reason, char *answer, size_t size) {
    (void)user_data; (void)reason;
    if (step != ETNA_NEED_PIN || size < 5) return 1;
    answer[0] = '1'; answer[1] = '2'; answer[2] = '3'; answer[3] = '4'; answer[4] = 0;
    return 0;
}

void mainCRTStartup(void) {
    if (etna_version_number() != ETNA_AUTH_VERSION_NUMBER) { say("version mismatch\n"); ExitProcess(1); }
    EtnaSandbox *sb = etna_sandbox_start(0);
    if (sb == 0) { say("sandbox: "); say(etna_last_error()); say("\n"); ExitProcess(2); }
    EtnaSession *s = etna_new(etna_sandbox_url(sb), etna_sandbox_app_key(sb));
    if (s == 0) { say("etna_new failed\n"); ExitProcess(3); }
    int rc = etna_login(s, "bob", "bob-pass", ask, 0);
    int n = rc == ETNA_OK ? etna_get_token(s, 0, 0) : -1;
    if (rc != ETNA_OK || n <= 0) { say("login: "); say(etna_last_error()); say("\n"); ExitProcess(4); }
    say("msvc_app: etna-auth "); say(etna_version()); say(" via etna_auth.lib: bob logged in through etna_login\n");
    etna_free(s);
    etna_sandbox_stop(sb);
    ExitProcess(0);
}
