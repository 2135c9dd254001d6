/*
 * Shared by the benchmark clients (curl_renew.c, dfx_renew.c): argument
 * parsing, the token pairs, the clock, the result line.
 *
 * Every client renews *chains*: chain i starts with pair i of the pairs
 * file (i modulo the number of lines) and each renew sends the pair the
 * previous renew of that chain returned, exactly as an application keeps
 * its device's pair alive. Against nginx (fixed answer) the pair never
 * changes; against dfx-sandbox every renew consumes a live one-time pair
 * and the next one uses the fresh pair from the answer.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define MAX_TOKEN 4096

/* A chain's current pair (heap strings; chains may share their first
 * pair when the file has fewer lines than chains). */
struct pair {
    char *token;
    char *refresh;
};

struct args {
    const char *mode;     /* seq | async (dfx) / seq | multi (curl) */
    const char *url;      /* base URL, e.g. http://127.0.0.1:8080 */
    const char *pairs;    /* file: one "TOKEN REFRESH_TOKEN" per line */
    long count;           /* calls to make (count mode), or -1 */
    double seconds;       /* run time (duration mode), or 0 */
    long inflight;        /* requests in flight (seq: 1) */
};

static inline double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline long max_rss_kib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss; /* KiB on Linux */
}

static inline void usage(const char *prog, const char *modes) {
    fprintf(stderr,
            "usage: %s MODE BASE_URL PAIRS_FILE COUNT|Ns INFLIGHT\n"
            "  MODE      %s\n"
            "  COUNT     number of renews, or e.g. 5s to run for 5 seconds\n"
            "  INFLIGHT  requests kept in flight (1 for seq)\n"
            "prints: client=.. mode=.. inflight=.. calls=.. errors=.. seconds=.. calls_per_s=.. maxrss_kib=..\n",
            prog, modes);
    exit(2);
}

static inline void parse_args(int argc, char **argv, struct args *a, const char *modes) {
    if (argc != 6) usage(argv[0], modes);
    a->mode = argv[1];
    a->url = argv[2];
    a->pairs = argv[3];
    size_t n = strlen(argv[4]);
    if (n > 1 && argv[4][n - 1] == 's') {
        a->count = -1;
        a->seconds = atof(argv[4]);
        if (a->seconds <= 0) usage(argv[0], modes);
    } else {
        a->count = atol(argv[4]);
        a->seconds = 0;
        if (a->count <= 0) usage(argv[0], modes);
    }
    a->inflight = atol(argv[5]);
    if (a->inflight <= 0) usage(argv[0], modes);
    if (a->count > 0 && a->inflight > a->count) a->inflight = a->count;
}

/* Load the first `want` chains' starting pairs (cycling through the file
 * when it has fewer lines). */
static inline struct pair *load_pairs(const char *path, long want) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        exit(1);
    }
    struct pair *p = calloc((size_t)want, sizeof *p);
    long n = 0;
    char fmt[64];
    static char token[MAX_TOKEN], refresh[MAX_TOKEN];
    snprintf(fmt, sizeof fmt, "%%%ds %%%ds", MAX_TOKEN - 1, MAX_TOKEN - 1);
    while (n < want && fscanf(f, fmt, token, refresh) == 2) {
        p[n].token = strdup(token);
        p[n].refresh = strdup(refresh);
        n++;
    }
    fclose(f);
    if (n == 0) {
        fprintf(stderr, "%s: no pairs\n", path);
        exit(1);
    }
    for (long i = n; i < want; i++) p[i] = p[i % n];
    return p;
}

/* Store the chain's next pair. The old strings may be shared with other
 * chains (first pairs), so they are not freed: a chain leaks at most its
 * first pair, and only the chains that go on renewing copy (a run with
 * as many chains as calls keeps no copies, so peak RSS is the library's). */
static inline void set_pair(struct pair *p, int *owned, const char *token, const char *refresh) {
    if (*owned) {
        size_t lt = strlen(token), lr = strlen(refresh);
        if (strlen(p->token) >= lt && strlen(p->refresh) >= lr) {
            memcpy(p->token, token, lt + 1);
            memcpy(p->refresh, refresh, lr + 1);
            return;
        }
        free(p->token);
        free(p->refresh);
    }
    p->token = strdup(token);
    p->refresh = strdup(refresh);
    *owned = 1;
}

static inline void report(const char *client, const struct args *a, long calls, long errors, double seconds) {
    printf("client=%s mode=%s inflight=%ld calls=%ld errors=%ld seconds=%.4f calls_per_s=%.1f maxrss_kib=%ld\n",
           client, a->mode, a->inflight, calls, errors, seconds, seconds > 0 ? (double)calls / seconds : 0.0,
           max_rss_kib());
    fflush(stdout);
}

#endif
