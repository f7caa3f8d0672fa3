/*
 * syscall_cost: what the system calls that ureq adds to every request cost
 * on this machine (bench/costs.py counts them: per request, two pool probes
 * of ioctl(FIONBIO on) + recv (EAGAIN) + ioctl(FIONBIO off), and
 * SO_SNDTIMEO + SO_RCVTIMEO set again because the deadline moved).
 *
 *   syscall_cost [ITERATIONS]
 *
 * Connects a TCP socket pair on 127.0.0.1 and times each pattern on the
 * idle connection with CLOCK_PROCESS_CPUTIME_ID.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static double cpu_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &al)) return 1;
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&a, sizeof a)) return 1;
    int s = accept(l, NULL, NULL);
    (void)s;
    char b;
    double t0 = cpu_ns();
    for (long i = 0; i < n; i++) {
        int on = 1, off = 0;
        ioctl(c, FIONBIO, &on);
        if (recv(c, &b, 1, 0) != -1) return 2;
        ioctl(c, FIONBIO, &off);
    }
    double t1 = cpu_ns();
    for (long i = 0; i < n; i++) {
        struct timeval tv = {.tv_sec = 29, .tv_usec = (suseconds_t)(i % 1000000)};
        setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    double t2 = cpu_ns();
    double probe = (t1 - t0) / n, timeouts = (t2 - t1) / n;
    printf("one pool probe (ioctl + recv EAGAIN + ioctl): %.0f ns\n", probe);
    printf("SO_SNDTIMEO + SO_RCVTIMEO: %.0f ns\n", timeouts);
    printf("per two-factor login (2 requests x (2 probes + 2 timeouts)): %.1f us\n", 2 * (2 * probe + timeouts) / 1000);
    return 0;
}
