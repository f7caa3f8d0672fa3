/*
 * etna_acquire_token() from C, against the sandbox: an empty store logs in
 * (the password and the code asked through the callback) and stores; a
 * second acquire sends nothing and asks nothing; a token that expires too
 * soon forces a login; 8 processes acquiring at once cause one login at
 * the server; a process that dies mid-login does not block the next one;
 * the default store (XDG_CONFIG_HOME) gets owner-only folders; a wait for
 * a login lock another process holds ends at etna_set_lock_timeout_ms()'s
 * timeout (ETNA_ERR_TIMEOUT naming the lock file and the holder's pid) or at
 * once on etna_cancel() from another thread; etna_forget_token() takes the
 * store as etna_acquire_token() does (a path, NULL for the default store,
 * "keyring" for the credential store, never a file of that name). The child
 * processes are this program again: `test_acquire child ROLE URL KEY STORE`.
 * POSIX only (fork, exec, threads). Run under valgrind by tests/run_all.sh.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "etna_auth.h"

#define CHILDREN 8

/* The callback: carol's password and code; counts what it was asked. */
struct asker {
    int asked;
    int steps[8];
    int code_delay_ms; /* a user typing the code */
    int die_at_code;   /* ends the process, as a crash would */
    int hold_ms;       /* a user who takes this long, then gives up the password */
};

static void sleep_ms(int ms) {
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int ask(void *user_data, int step, const char *reason, char *answer, size_t size) {
    struct asker *a = user_data;
    (void)reason;
    if (a->asked < 8) {
        a->steps[a->asked] = step;
    }
    a->asked++;
    const char *value = NULL;
    if (step == ETNA_NEED_PASSWORD && a->hold_ms > 0) {
        sleep_ms(a->hold_ms);
        return 1;
    }
    if (step == ETNA_NEED_PASSWORD) {
        value = "carol-pass";
    } else if (step == ETNA_NEED_CODE) {
        if (a->die_at_code) {
            _exit(3);
        }
        struct timespec pause = {a->code_delay_ms / 1000, (a->code_delay_ms % 1000) * 1000000L};
        nanosleep(&pause, NULL);
        value = "123456";
    }
    if (value == NULL || strlen(value) >= size) {
        return 1;
    }
    strcpy(answer, value);
    return 0;
}

static int mode_of(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

static char *token_of(EtnaSession *s) {
    int n = etna_get_token(s, NULL, 0);
    if (n < 0) {
        return NULL;
    }
    char *token = malloc((size_t)n + 1);
    if (token != NULL) {
        etna_get_token(s, token, (size_t)n + 1);
    }
    return token;
}

static EtnaSession *session_for(const EtnaSandbox *sbx) {
    EtnaSession *s = etna_new(etna_sandbox_url(sbx), etna_sandbox_app_key(sbx));
    CHECK(s != NULL);
    return s;
}

static void store_then_reuse(const EtnaSandbox *sbx, const char *dir) {
    char store[512];
    char folder[256];
    snprintf(folder, sizeof folder, "%s/new", dir);
    snprintf(store, sizeof store, "%s/tokens.json", folder);
    uint64_t before = etna_sandbox_request_count(sbx);
    EtnaSession *s = session_for(sbx);
    struct asker a = {0};
    CHECK(etna_acquire_token(s, store, "carol", NULL, 300, ask, &a) == ETNA_OK);
    CHECK(a.asked == 2 && a.steps[0] == ETNA_NEED_PASSWORD && a.steps[1] == ETNA_NEED_CODE);
    CHECK(etna_sandbox_request_count(sbx) - before == 2);
    CHECK(mode_of(store) == 0600);
    CHECK(mode_of(folder) == 0700);
    char *token = token_of(s);
    CHECK(token != NULL);

    /* Again, in a new session, with no password and no callback. */
    EtnaSession *again = session_for(sbx);
    CHECK(etna_acquire_token(again, store, "carol", NULL, 300, NULL, NULL) == ETNA_OK);
    char *same = token_of(again);
    CHECK(same != NULL && token != NULL && strcmp(same, token) == 0);
    CHECK(etna_token_expires_at(again) == etna_token_expires_at(s));
    CHECK(etna_sandbox_request_count(sbx) - before == 2);
    /* With a callback: not called while the stored token is valid. */
    struct asker b = {0};
    CHECK(etna_acquire_token(again, store, "carol", NULL, 300, ask, &b) == ETNA_OK);
    CHECK(b.asked == 0);
    CHECK(etna_sandbox_request_count(sbx) - before == 2);
    free(token);
    free(same);
    etna_free(s);
    etna_free(again);
}

static void too_soon_forces_a_login(const EtnaSandbox *sbx, const char *dir) {
    char store[512];
    snprintf(store, sizeof store, "%s/soon.json", dir);
    /* A token file as etna_save_token() writes it, expiring in 100 s. */
    FILE *f = fopen(store, "w");
    CHECK(f != NULL);
    if (f == NULL) {
        return;
    }
    fprintf(f,
            "{\"format\": \"etna-auth token cache\", \"version\": 1, \"entries\": "
            "[{\"base_url\": \"%s\", \"username\": \"carol\", \"token\": \"soon-token\", "
            "\"expires_at\": %lld}]}\n",
            etna_sandbox_url(sbx), (long long)time(NULL) + 100);
    fclose(f);
    chmod(store, 0600);
    uint64_t before = etna_sandbox_request_count(sbx);
    EtnaSession *s = session_for(sbx);
    CHECK(etna_acquire_token(s, store, "carol", NULL, 60, NULL, NULL) == ETNA_OK);
    char *token = token_of(s);
    CHECK(token != NULL && strcmp(token, "soon-token") == 0);
    free(token);
    CHECK(etna_sandbox_request_count(sbx) == before);
    /* 300 s wanted: no password and no callback, so it gives up, sending
     * nothing and changing nothing: the session keeps the token it had. */
    CHECK(etna_acquire_token(s, store, "carol", NULL, 300, NULL, NULL) == ETNA_ERR_CANCELLED);
    token = token_of(s);
    CHECK(token != NULL && strcmp(token, "soon-token") == 0);
    free(token);
    CHECK(etna_sandbox_request_count(sbx) == before);
    struct asker a = {0};
    CHECK(etna_acquire_token(s, store, "carol", "carol-pass", 300, ask, &a) == ETNA_OK);
    CHECK(a.asked == 1 && a.steps[0] == ETNA_NEED_CODE);
    token = token_of(s);
    CHECK(token != NULL && strcmp(token, "soon-token") != 0);
    free(token);
    CHECK(etna_sandbox_request_count(sbx) - before == 2);
    etna_free(s);
}

/* Starts this program as a child; returns its pid. */
static pid_t spawn(const char *self, const char *role, const EtnaSandbox *sbx, const char *store) {
    pid_t pid = fork();
    if (pid == 0) {
        execl(self, self, "child", role, etna_sandbox_url(sbx), etna_sandbox_app_key(sbx), store,
              (char *)NULL);
        _exit(127);
    }
    return pid;
}

static int exit_code(pid_t pid) {
    int status = 0;
    if (pid <= 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
        return -1;
    }
    return WEXITSTATUS(status);
}

static void eight_processes_one_login(const EtnaSandbox *sbx, const char *dir, const char *self) {
    char store[512];
    snprintf(store, sizeof store, "%s/eight.json", dir);
    uint64_t before = etna_sandbox_request_count(sbx);
    pid_t pids[CHILDREN];
    for (int i = 0; i < CHILDREN; i++) {
        pids[i] = spawn(self, "acquire", sbx, store);
    }
    int asked = 0, reused = 0;
    for (int i = 0; i < CHILDREN; i++) {
        int code = exit_code(pids[i]);
        asked += code == 1;
        reused += code == 0;
    }
    CHECK(asked == 1);
    CHECK(reused == CHILDREN - 1);
    CHECK(etna_sandbox_request_count(sbx) - before == 2);
}

static void a_death_mid_login_frees_the_lock(const EtnaSandbox *sbx, const char *dir, const char *self) {
    char store[512];
    snprintf(store, sizeof store, "%s/die.json", dir);
    uint64_t before = etna_sandbox_request_count(sbx);
    CHECK(exit_code(spawn(self, "die", sbx, store)) == 3);
    CHECK(etna_sandbox_request_count(sbx) - before == 1);
    EtnaSession *s = session_for(sbx);
    struct asker a = {0};
    time_t started = time(NULL);
    CHECK(etna_acquire_token(s, store, "carol", NULL, 300, ask, &a) == ETNA_OK);
    CHECK(time(NULL) - started < 5);
    CHECK(a.asked == 2);
    etna_free(s);
}

static void default_store(const EtnaSandbox *sbx, const char *config) {
    char file[512];
    char folder[256];
    snprintf(folder, sizeof folder, "%s/etna-auth", config);
    snprintf(file, sizeof file, "%s/tokens.json", folder);
    char given[512] = "";
    int n = etna_default_store(NULL, 0);
    CHECK(n == (int)strlen(file));
    CHECK(etna_default_store(given, sizeof given) == n && strcmp(given, file) == 0);
    EtnaSession *s = session_for(sbx);
    CHECK(etna_acquire_token(s, NULL, "alice", "alice-pass", 300, NULL, NULL) == ETNA_OK);
    CHECK(mode_of(config) == 0700);
    CHECK(mode_of(folder) == 0700);
    CHECK(mode_of(file) == 0600);
    etna_free(s);
}

/* etna_cancel() from another thread, a moment after the wait began. */
static void *cancel_later(void *session) {
    sleep_ms(300);
    etna_cancel(session);
    return NULL;
}

static void a_lock_wait_ends_at_its_timeout_or_a_cancel(const EtnaSandbox *sbx, const char *dir,
                                                        const char *self) {
    char store[512];
    snprintf(store, sizeof store, "%s/held.json", dir);
    /* The holder: a login whose user sits at the password prompt. */
    pid_t holder = spawn(self, "hold", sbx, store);
    sleep_ms(1000);
    uint64_t before = etna_sandbox_request_count(sbx);
    EtnaSession *s = session_for(sbx);
    CHECK(etna_set_lock_timeout_ms(NULL, 1) == ETNA_ERR_ARGUMENT);
    CHECK(etna_set_lock_timeout_ms(s, 300) == ETNA_OK);
    double started = now_s();
    CHECK(etna_acquire_token(s, store, "carol", "carol-pass", 300, NULL, NULL) == ETNA_ERR_TIMEOUT);
    CHECK(now_s() - started >= 0.3 && now_s() - started < 3);
    char pid[32];
    snprintf(pid, sizeof pid, "pid %d", (int)holder);
    CHECK(strstr(etna_last_error(), "held.json.login-") != NULL);
    CHECK(strstr(etna_last_error(), pid) != NULL);
    CHECK(strstr(etna_last_error(), "its user's answer") != NULL);
    /* A long wait, ended at once by a cancel from another thread. */
    CHECK(etna_set_lock_timeout_ms(s, 60000) == ETNA_OK);
    pthread_t canceller;
    CHECK(pthread_create(&canceller, NULL, cancel_later, s) == 0);
    started = now_s();
    CHECK(etna_acquire_token(s, store, "carol", "carol-pass", 300, NULL, NULL) == ETNA_ERR_CANCELLED);
    CHECK(now_s() - started < 3);
    pthread_join(canceller, NULL);
    CHECK(etna_sandbox_request_count(sbx) == before);
    kill(holder, SIGKILL);
    exit_code(holder);
    /* The holder is gone: the lock is free, no wait at all is needed. */
    CHECK(etna_set_lock_timeout_ms(s, 0) == ETNA_OK);
    CHECK(etna_acquire_token(s, store, "carol", "carol-pass", 300, ask, &(struct asker){0}) == ETNA_OK);
    etna_free(s);
}

/* Whether `dir` holds no file. */
static int empty_folder(const char *dir) {
    DIR *d = opendir(dir);
    int files = 0;
    if (d == NULL) {
        return 0;
    }
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        files += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    }
    closedir(d);
    return files == 0;
}

static void forget_takes_the_store_of_acquire(const EtnaSandbox *sbx, const char *dir) {
    const char *url = etna_sandbox_url(sbx);
    char store[512];
    snprintf(store, sizeof store, "%s/forget.json", dir);
    EtnaSession *s = session_for(sbx);
    CHECK(etna_acquire_token(s, store, "alice", "alice-pass", 300, NULL, NULL) == ETNA_OK);
    CHECK(etna_forget_token(store, url, "alice") == ETNA_OK);
    CHECK(etna_acquire_token(s, store, "alice", NULL, 300, NULL, NULL) == ETNA_ERR_CANCELLED);
    /* NULL: the default store, where default_store() put alice's token. */
    CHECK(etna_acquire_token(s, NULL, "alice", NULL, 300, NULL, NULL) == ETNA_OK);
    CHECK(etna_forget_token(NULL, url, "alice") == ETNA_OK);
    CHECK(etna_acquire_token(s, NULL, "alice", NULL, 300, NULL, NULL) == ETNA_ERR_CANCELLED);
    /* "keyring" in any case is the credential store (unreachable here: main
     * points D-Bus nowhere), never a file of that name in the current
     * folder; a bare word that is not "keyring" is refused. */
    char here[512];
    char cwd[256];
    snprintf(here, sizeof here, "%s/cwd", dir);
    CHECK(mkdir(here, 0700) == 0);
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(chdir(here) == 0);
    int rc = etna_forget_token("keyring", url, "alice");
    CHECK(rc == ETNA_OK || rc == ETNA_ERR_IO);
    rc = etna_forget_token("KEYRING", url, "alice");
    CHECK(rc == ETNA_OK || rc == ETNA_ERR_IO);
    CHECK(etna_forget_token("keyrnig", url, "alice") == ETNA_ERR_ARGUMENT);
    CHECK(strstr(etna_last_error(), "keyrnig") != NULL);
    CHECK(empty_folder(here));
    CHECK(chdir(cwd) == 0);
    etna_free(s);
}

/* A child: one acquire of carol's token. Exit 0: the stored token, nobody
 * asked; 1: logged in (password and code asked); 2: anything else. */
static int child(const char *role, const char *url, const char *key, const char *store) {
    EtnaSession *s = etna_new(url, key);
    if (s == NULL) {
        return 2;
    }
    struct asker a = {0};
    a.code_delay_ms = 500; /* every other child starts and waits meanwhile */
    a.die_at_code = strcmp(role, "die") == 0;
    a.hold_ms = strcmp(role, "hold") == 0 ? 30000 : 0;
    int rc = etna_acquire_token(s, store, "carol", NULL, 300, ask, &a);
    if (rc != ETNA_OK) {
        fprintf(stderr, "child: %s: %s\n", etna_status_str(rc), etna_last_error());
    }
    etna_free(s);
    if (rc != ETNA_OK) {
        return 2;
    }
    return a.asked == 0 ? 0 : a.asked == 2 ? 1 : 2;
}

int main(int argc, char **argv) {
    if (argc == 6 && strcmp(argv[1], "child") == 0) {
        return child(argv[2], argv[3], argv[4], argv[5]);
    }
    char dir[] = "/tmp/etna-acquire-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char config[128];
    snprintf(config, sizeof config, "%s/config", dir);
    /* Before any thread starts: the default store lives under this folder. */
    setenv("XDG_CONFIG_HOME", config, 1);
    unsetenv("ETNA_AUTH_STORE");
    /* The keyring store is unreachable here: the user's own is never touched. */
    setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/etna-auth-test-bus", 1);
    EtnaSandbox *sbx = etna_sandbox_start(NULL);
    CHECK(sbx != NULL);
    if (sbx == NULL) {
        return report();
    }
    store_then_reuse(sbx, dir);
    too_soon_forces_a_login(sbx, dir);
    eight_processes_one_login(sbx, dir, argv[0]);
    a_death_mid_login_frees_the_lock(sbx, dir, argv[0]);
    default_store(sbx, config);
    a_lock_wait_ends_at_its_timeout_or_a_cancel(sbx, dir, argv[0]);
    forget_takes_the_store_of_acquire(sbx, dir);
    etna_sandbox_stop(sbx);
    char rm[600];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    CHECK(system(rm) == 0);
    return report();
}
