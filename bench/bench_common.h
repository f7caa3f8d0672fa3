/* Shared by the C clients: the account, the result line, the child's own high-water mark. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/resource.h>

#define BENCH_USER "carol"
#define BENCH_PASSWORD "carol-pass"
#define BENCH_CODE "123456"

/* VmHWM of this process (kB), read from /proc/self/status: the peak RSS of
 * this exec'd image only (unlike ru_maxrss, it does not carry a parent's
 * high-water mark across fork+exec). */
static long bench_vmhwm_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL) return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "VmHWM:", 6) == 0) { kb = strtol(line + 6, NULL, 10); break; }
    }
    fclose(f);
    return kb;
}

static double bench_cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
         + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* The clients' command line: reuse|new BASE_URL APP_KEY N [CA_FILE]. */
struct bench_args {
    int reuse;                      /* one connection/session for all logins, else one each */
    const char *url, *key, *ca;     /* ca: NULL for plain http */
    long n;                         /* logins */
};

/* Exits 64 with the usage line when the command line is off. */
static struct bench_args bench_parse_args(const char *client, int argc, char **argv) {
    if (argc < 5 || (strcmp(argv[1], "reuse") != 0 && strcmp(argv[1], "new") != 0)) {
        fprintf(stderr, "usage: %s reuse|new BASE_URL APP_KEY N [CA_FILE]\n", client);
        exit(64);
    }
    struct bench_args a;
    a.reuse = strcmp(argv[1], "reuse") == 0;
    a.url = argv[2];
    a.key = argv[3];
    a.n = strtol(argv[4], NULL, 10);
    a.ca = argc > 5 ? argv[5] : NULL;
    return a;
}

/* One JSON line on stdout, read by bench/bench.py. */
static void bench_report(const char *client, long logins, double loop_cpu, long token_len) {
    printf("{\"client\": \"%s\", \"logins\": %ld, \"loop_cpu\": %.6f, \"vmhwm_kb\": %ld, \"token_len\": %ld}\n",
           client, logins, loop_cpu, bench_vmhwm_kb(), token_len);
    fflush(stdout);
}
#endif
