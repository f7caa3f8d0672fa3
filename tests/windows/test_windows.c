/*
 * The C ABI from C on Windows, beyond tests/c/test_flows.c (which
 * tests/windows.sh also runs): https with a test CA, etna_cancel from a Win32
 * thread and before any call, and the token cache in a temporary folder.
 * Built with MinGW against etna_auth.dll, run under Wine by tests/windows.sh.
 *
 *   test_windows.exe TLS_PORT WRONG_NAME_PORT CA_PEM OTHER_PEM
 *
 * TLS_PORT: an https server on 127.0.0.1 whose certificate for "localhost"
 * CA_PEM signed, answering every request with the token "tok-abc"
 * (tests/pki/tls_server.py with tests/pki/server.pem, run on the host by
 * tests/windows.sh: a Wine process reaches the host's loopback).
 * WRONG_NAME_PORT: the same with a certificate CA_PEM signed for another
 * name (tests/pki/wrong-name.pem). OTHER_PEM: a CA that signed neither.
 *
 * Build: x86_64-w64-mingw32-gcc -std=c99 -Wall -Wextra -Werror -Iinclude
 *        -Itests/c tests/windows/test_windows.c libetna_auth.dll.a -lws2_32
 */
#include <winsock2.h>
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "etna_auth.h"

/* The token as a string (static buffer), or "" when there is none. */
static const char *token_of(const EtnaSession *s) {
    static char buf[512];
    buf[0] = '\0';
    int n = etna_get_token(s, buf, sizeof buf);
    if (n < 0 || (size_t)n >= sizeof buf) {
        buf[0] = '\0';
    }
    return buf;
}

static void tls(int port, int wrong_name_port, const char *ca, const char *other) {
    char url[128];
    snprintf(url, sizeof url, "https://localhost:%d/api", port);

    EtnaSession *s = etna_new(url, "k");
    CHECK(s != NULL);
    CHECK(etna_set_timeout_ms(s, 10000) == ETNA_OK);
    CHECK(etna_set_ca_file(s, ca) == ETNA_OK);
    CHECK(etna_begin_auth(s, "u", "p") == ETNA_OK);
    CHECK(strcmp(token_of(s), "tok-abc") == 0);
    /* Again on the same session: the kept-alive TLS connection. */
    CHECK(etna_end_login(s) == ETNA_OK);
    CHECK(etna_begin_auth(s, "u", "p") == ETNA_OK);
    etna_free(s);

    /* A certificate that did not sign the server's. */
    s = etna_new(url, "k");
    CHECK(etna_set_ca_file(s, other) == ETNA_OK);
    CHECK(etna_begin_auth(s, "u", "p") == ETNA_ERR_TLS);
    CHECK(strlen(etna_last_error()) > 0);
    etna_free(s);

    /* Windows' own trust store does not hold the test CA. */
    s = etna_new(url, "k");
    CHECK(etna_set_timeout_ms(s, 10000) == ETNA_OK);
    CHECK(etna_begin_auth(s, "u", "p") == ETNA_ERR_TLS);
    etna_free(s);

    /* The right CA, the wrong name: that certificate is for another host. */
    snprintf(url, sizeof url, "https://localhost:%d/api", wrong_name_port);
    s = etna_new(url, "k");
    CHECK(etna_set_ca_file(s, ca) == ETNA_OK);
    CHECK(etna_begin_auth(s, "u", "p") == ETNA_ERR_TLS);
    etna_free(s);
}

/* A listener on 127.0.0.1 that never accepts: connections complete in the
 * backlog, and the request gets no answer. */
static SOCKET silent_listener(int *port) {
    SOCKET l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (l == INVALID_SOCKET) {
        return l;
    }
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    int len = (int)sizeof addr;
    if (bind(l, (struct sockaddr *)&addr, len) != 0 || listen(l, 16) != 0 ||
        getsockname(l, (struct sockaddr *)&addr, &len) != 0) {
        closesocket(l);
        return INVALID_SOCKET;
    }
    *port = ntohs(addr.sin_port);
    return l;
}

struct cancel_job {
    EtnaSession *session;
    DWORD delay_ms;
    int status;
};

static DWORD WINAPI cancel_later(LPVOID arg) {
    struct cancel_job *job = arg;
    Sleep(job->delay_ms);
    job->status = etna_cancel(job->session);
    return 0;
}

/* etna_cancel from another thread while etna_begin_auth waits for an answer
 * that never comes. */
static void cancel_in_flight(void) {
    int port = 0;
    SOCKET l = silent_listener(&port);
    CHECK(l != INVALID_SOCKET);
    if (l == INVALID_SOCKET) {
        return;
    }
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api", port);
    EtnaSession *s = etna_new(url, "k");
    CHECK(s != NULL);
    CHECK(etna_set_timeout_ms(s, 20000) == ETNA_OK);
    for (int round = 0; round < 2; round++) {
        struct cancel_job job = {s, 300, -1};
        HANDLE t = CreateThread(NULL, 0, cancel_later, &job, 0, NULL);
        CHECK(t != NULL);
        if (t == NULL) {
            break;
        }
        ULONGLONG started = GetTickCount64();
        CHECK(etna_begin_auth(s, "u", "p") == ETNA_ERR_CANCELLED);
        ULONGLONG took = GetTickCount64() - started;
        CHECK(etna_last_status() == ETNA_ERR_CANCELLED);
        CHECK(took >= 250 && took < 5000);
        if (!(took < 5000)) {
            fprintf(stderr, "cancel took %llu ms\n", (unsigned long long)took);
        }
        CHECK(WaitForSingleObject(t, 10000) == WAIT_OBJECT_0);
        CHECK(job.status == ETNA_OK);
        CloseHandle(t);
    }
    etna_free(s);
    closesocket(l);
}

/* A cancel with no call in flight stops the next call, which sends nothing;
 * each cancel is used once; etna_end_login drops an unused one. */
static void cancel_before(const EtnaSandbox *sbx) {
    EtnaSession *s = etna_new(etna_sandbox_url(sbx), etna_sandbox_app_key(sbx));
    CHECK(s != NULL);
    uint64_t requests = etna_sandbox_request_count(sbx);
    check_cancel_before_a_call(sbx, s);

    /* Two cancels in a row stop one call. */
    CHECK(etna_end_login(s) == ETNA_OK);
    CHECK(etna_cancel(s) == ETNA_OK);
    CHECK(etna_cancel(s) == ETNA_OK);
    CHECK(etna_begin_auth(s, "bob", "bob-pass") == ETNA_ERR_CANCELLED);
    CHECK(etna_begin_auth(s, "bob", "bob-pass") == ETNA_NEED_PIN);
    /* Cancelled mid-login: the step stands, as after a network error. */
    CHECK(etna_cancel(s) == ETNA_OK);
    CHECK(etna_supply_pin(s, "1234") == ETNA_ERR_CANCELLED);
    CHECK(etna_supply_pin(s, "1234") == ETNA_OK);
    CHECK(etna_sandbox_request_count(sbx) == requests + 3);

    CHECK(etna_cancel(s) == ETNA_OK);
    CHECK(etna_end_login(s) == ETNA_OK);
    CHECK(etna_begin_auth(s, "alice", "alice-pass") == ETNA_OK);
    CHECK(etna_cancel(NULL) == ETNA_ERR_ARGUMENT);
    etna_free(s);
}

/* Removes the files of a folder, then the folder. */
static void remove_dir(const char *dir) {
    char pattern[MAX_PATH + 8];
    snprintf(pattern, sizeof pattern, "%s\\*", dir);
    WIN32_FIND_DATAA found;
    HANDLE h = FindFirstFileA(pattern, &found);
    if (h != INVALID_HANDLE_VALUE) {
        do {
            if (!(found.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) {
                char file[2 * MAX_PATH];
                snprintf(file, sizeof file, "%s\\%s", dir, found.cFileName);
                DeleteFileA(file);
            }
        } while (FindNextFileA(h, &found));
        FindClose(h);
    }
    RemoveDirectoryA(dir);
}

static void token_cache(const EtnaSandbox *sbx) {
    char tmp[MAX_PATH];
    DWORD n = GetTempPathA(sizeof tmp, tmp);
    CHECK(n > 0 && n < sizeof tmp);
    char dir[MAX_PATH + 64];
    snprintf(dir, sizeof dir, "%setna-c-cache-%lu", tmp, (unsigned long)GetCurrentProcessId());
    CHECK(CreateDirectoryA(dir, NULL) || GetLastError() == ERROR_ALREADY_EXISTS);
    char path[MAX_PATH + 96], corrupt[MAX_PATH + 96], missing[MAX_PATH + 96];
    snprintf(path, sizeof path, "%s\\tokens.json", dir);
    snprintf(corrupt, sizeof corrupt, "%s\\corrupt.json", dir);
    snprintf(missing, sizeof missing, "%s\\none.json", dir);
    const char *url = etna_sandbox_url(sbx);
    const char *key = etna_sandbox_app_key(sbx);

    EtnaSession *s = etna_new(url, key);
    CHECK(etna_save_token(s, path) == ETNA_ERR_STATE); /* no token yet */
    CHECK(etna_begin_auth(s, "alice", "alice-pass") == ETNA_OK);
    char token[512];
    strcpy(token, token_of(s));
    CHECK(strlen(token) > 0);
    CHECK(etna_save_token(s, path) == ETNA_OK);
    CHECK(GetFileAttributesA(path) != INVALID_FILE_ATTRIBUTES);
    /* Saving again replaces the entry. */
    CHECK(etna_save_token(s, path) == ETNA_OK);

    EtnaSession *t = etna_new(url, key);
    uint64_t requests = etna_sandbox_request_count(sbx);
    CHECK(etna_load_token(t, path, "alice", 60) == ETNA_OK);
    CHECK(strcmp(token_of(t), token) == 0);
    CHECK(etna_token_expires_at(t) == etna_token_expires_at(s));
    CHECK(etna_sandbox_request_count(sbx) == requests); /* no login */
    CHECK(etna_load_token(t, path, "bob", 60) == ETNA_ERR_NO_TOKEN);
    /* Valid for 24 h: not for two days more. */
    CHECK(etna_load_token(t, path, "alice", 2 * 86400) == ETNA_ERR_NO_TOKEN);
    CHECK(etna_load_token(t, missing, "alice", 60) == ETNA_ERR_NO_TOKEN);

    CHECK(etna_forget_token(path, url, "alice") == ETNA_OK);
    CHECK(etna_load_token(t, path, "alice", 60) == ETNA_ERR_NO_TOKEN);
    CHECK(etna_forget_token(path, url, "alice") == ETNA_OK); /* no entry */
    CHECK(etna_forget_token(missing, url, "alice") == ETNA_OK); /* no file */

    FILE *f = fopen(corrupt, "wb");
    CHECK(f != NULL);
    if (f != NULL) {
        fputs("not a token cache", f);
        fclose(f);
    }
    CHECK(etna_load_token(t, corrupt, "alice", 60) == ETNA_ERR_IO);
    CHECK(strlen(etna_last_error()) > 0);
    CHECK(etna_load_token(t, NULL, "alice", 60) == ETNA_ERR_ARGUMENT);

    etna_free(t);
    etna_free(s);
    remove_dir(dir);
    CHECK(GetFileAttributesA(dir) == INVALID_FILE_ATTRIBUTES);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: test_windows TLS_PORT WRONG_NAME_PORT CA_PEM OTHER_PEM\n");
        return 64;
    }
    WSADATA wsa;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
        fprintf(stderr, "WSAStartup failed\n");
        return 1;
    }
    EtnaSandbox *sbx = etna_sandbox_start(NULL);
    if (sbx == NULL) {
        fprintf(stderr, "cannot start the sandbox: %s\n", etna_last_error());
        return 1;
    }
    tls(atoi(argv[1]), atoi(argv[2]), argv[3], argv[4]);
    cancel_in_flight();
    cancel_before(sbx);
    token_cache(sbx);
    etna_sandbox_stop(sbx);
    WSACleanup();
    return report();
}
