/*
 * The measurement stream benchmark (bench/stream.sh runs it): chunks per
 * second and bytes per second through one stream over the WebSocket, next
 * to the same chunks sent over HTTP in the same process and round — one
 * `measurements.data` call after another through dfx_call(), as a client
 * without a socket does, and the stream itself when the server refuses
 * the upgrade (its HTTP path) — and the memory of open streams.
 *
 *   stream URL ROUNDS CHUNKS CHUNK_BYTES STREAMS
 *
 * Each round: one measurement per path, CHUNKS chunks of CHUNK_BYTES each,
 * timed from the first chunk handed over to the last acknowledgement
 * (results and final results not included: the server's timing). Prints
 * one line per path and round, then medians. Memory: RSS before and after
 * opening STREAMS streams (each connected, logged in and subscribed), per
 * stream.
 */
#define _POSIX_C_SOURCE 200809L
#include <dfx.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *url;
static char license[256], org[256], email[256], password[256], study[256];

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "VmRSS:", 6) == 0) kib = atol(line + 6);
    if (f) fclose(f);
    return kib;
}

static void die(const char *what, DfxStatus s) {
    fprintf(stderr, "%s: %s: %s\n", what, dfx_status_name(s), dfx_last_error_message());
    exit(1);
}

/* A tiny JSON string reader for the control plane's seed (no escapes). */
static void field(const char *json, const char *key, char *dst, size_t cap) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *at = strstr(json, pat);
    dst[0] = '\0';
    if (at) snprintf(dst, cap, "%.*s", (int)strcspn(at + strlen(pat), "\""), at + strlen(pat));
}

struct counts {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int acks, connected, websocket, ended;
    DfxStatus end;
};

static void on_event(void *user_data, const DfxStreamEvent *e) {
    struct counts *c = user_data;
    pthread_mutex_lock(&c->mu);
    if (e->kind == DFX_STREAM_ACK) c->acks++;
    if (e->kind == DFX_STREAM_CONNECTED) c->connected++, c->websocket = e->websocket;
    if (e->kind == DFX_STREAM_END) c->ended = 1, c->end = e->status;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static DfxClient *login(void) {
    DfxClient *c = NULL;
    DfxResponse *r = NULL;
    DfxStatus s;
    if ((s = dfx_client_new(url, &c)) != DFX_OK) die("client", s);
    if ((s = dfx_organization_register_license(c, license, "LINUX", "bench", org, "1", &r)) != DFX_OK) die("register", s);
    dfx_response_free(r);
    if ((s = dfx_user_login(c, email, password, NULL, &r)) != DFX_OK) die("login", s);
    dfx_response_free(r);
    return c;
}

static void create(DfxClient *c, char *id, size_t cap) {
    char params[512];
    DfxResponse *r = NULL;
    snprintf(params, sizeof params, "{\"data\":{\"StudyID\":\"%s\",\"Resolution\":100}}", study);
    DfxStatus s = dfx_call(c, "measurements.create", params, &r);
    if (s != DFX_OK) die("measurements.create", s);
    snprintf(id, cap, "%s", dfx_response_get_string(r, "ID"));
    dfx_response_free(r);
}

static const char *position_action(int i, int n) {
    return i == 0 ? "FIRST::PROCESS" : i == n - 1 ? "LAST::PROCESS" : "CHUNK::PROCESS";
}

/* Seconds to stream n chunks through a stream (until the last ack). */
static double via_stream(DfxClient *c, const unsigned char *chunk, size_t len, int n, int *websocket) {
    char id[128];
    create(c, id, sizeof id);
    struct counts k = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0};
    DfxStream *s = NULL;
    DfxStatus st = dfx_measurement_stream_open(c, id, on_event, &k, &s);
    if (st != DFX_OK) die("open", st);
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        DfxChunkPosition pos = i == 0 ? DFX_CHUNK_FIRST : i == n - 1 ? DFX_CHUNK_LAST : DFX_CHUNK_MIDDLE;
        while ((st = dfx_measurement_stream_send_chunk(s, chunk, len, pos, NULL)) == DFX_ERR_STREAM_FULL) {
            /* Wait for the next acknowledgement (what a producer does). */
            pthread_mutex_lock(&k.mu);
            int seen = k.acks;
            while (k.acks == seen && !k.ended) pthread_cond_wait(&k.cv, &k.mu);
            pthread_mutex_unlock(&k.mu);
        }
        if (st != DFX_OK) die("send_chunk", st);
    }
    pthread_mutex_lock(&k.mu);
    while (k.acks < n && !k.ended) pthread_cond_wait(&k.cv, &k.mu);
    double t = now_s() - t0;
    *websocket = k.websocket;
    pthread_mutex_unlock(&k.mu);
    if (k.acks != n) die("stream", k.end);
    if ((st = dfx_measurement_stream_wait(s, 120000)) != DFX_OK) die("wait", st);
    dfx_measurement_stream_free(s);
    return t;
}

/* Seconds to send n chunks by measurements.data, one call after another. */
static double via_http_calls(DfxClient *c, const char *b64, int n) {
    char id[128];
    create(c, id, sizeof id);
    size_t cap = strlen(b64) + 256;
    char *params = malloc(cap);
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        snprintf(params, cap, "{\"id\":\"%s\",\"data\":{\"Action\":\"%s\",\"Payload\":\"%s\"}}", id,
                 position_action(i, n), b64);
        DfxResponse *r = NULL;
        DfxStatus s = dfx_call(c, "measurements.data", params, &r);
        if (s != DFX_OK) die("measurements.data", s);
        dfx_response_free(r);
    }
    double t = now_s() - t0;
    free(params);
    return t;
}

static char *base64(const unsigned char *in, size_t len) {
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < len ? (unsigned)in[i + 1] << 8 : 0) | (i + 2 < len ? in[i + 2] : 0);
        *o++ = a[v >> 18 & 63];
        *o++ = a[v >> 12 & 63];
        *o++ = i + 1 < len ? a[v >> 6 & 63] : '=';
        *o++ = i + 2 < len ? a[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The control plane (plain HTTP on loopback) through dfx itself is not
 * possible (its paths are not API calls), so the script passes the seed
 * and toggles the refusal fault with curl between phases; see stream.sh. */
int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: %s URL SEED_JSON ROUNDS CHUNKS CHUNK_BYTES STREAMS PHASE(socket|refused|memory)\n", argv[0]);
        return 2;
    }
    url = argv[1];
    field(argv[2], "LicenseKey", license, sizeof license);
    field(argv[2], "Organization", org, sizeof org);
    field(argv[2], "Email", email, sizeof email);
    field(argv[2], "Password", password, sizeof password);
    field(argv[2], "StudyID", study, sizeof study);
    int rounds = atoi(argv[3]), n = atoi(argv[4]), streams = atoi(argv[6]);
    size_t len = (size_t)atol(argv[5]);
    const char *phase = argv[7];

    unsigned char *chunk = malloc(len);
    for (size_t i = 0; i < len; i++) chunk[i] = (unsigned char)(i * 131 + 7);
    char *b64 = base64(chunk, len);
    DfxClient *c = login();

    if (strcmp(phase, "memory") == 0) {
        struct counts *k = calloc((size_t)streams, sizeof *k);
        DfxStream **s = calloc((size_t)streams, sizeof *s);
        char id[128];
        create(c, id, sizeof id); /* warm: runtime, connections */
        long before = rss_kib();
        for (int i = 0; i < streams; i++) {
            pthread_mutex_init(&k[i].mu, NULL);
            pthread_cond_init(&k[i].cv, NULL);
            create(c, id, sizeof id);
            DfxStatus st = dfx_measurement_stream_open(c, id, on_event, &k[i], &s[i]);
            if (st != DFX_OK) die("open", st);
        }
        for (int i = 0; i < streams; i++) {
            pthread_mutex_lock(&k[i].mu);
            while (!k[i].connected && !k[i].ended) pthread_cond_wait(&k[i].cv, &k[i].mu);
            pthread_mutex_unlock(&k[i].mu);
        }
        long after = rss_kib();
        printf("memory\t%d streams open (sockets connected, logged in, subscribed)\tRSS +%ld KiB\t%.1f KiB per stream\n",
               streams, after - before, (double)(after - before) / streams);
        for (int i = 0; i < streams; i++) dfx_measurement_stream_free(s[i]);
        free(k);
        free(s);
    } else {
        double *a = calloc((size_t)rounds, sizeof *a), *b = calloc((size_t)rounds, sizeof *b);
        const char *label = strcmp(phase, "socket") == 0 ? "stream (WebSocket)" : "stream (upgrade refused: HTTP)";
        for (int r = 0; r < rounds; r++) {
            int ws = -1;
            a[r] = via_stream(c, chunk, len, n, &ws);
            b[r] = via_http_calls(c, b64, n);
            if (ws != (strcmp(phase, "socket") == 0)) {
                fprintf(stderr, "the stream ran over %s\n", ws ? "the socket" : "HTTP");
                return 1;
            }
            printf("round %d\t%-32s %8.0f chunks/s %8.1f MB/s\t| dfx_call measurements.data %8.0f chunks/s\t%.2fx\n", r + 1,
                   label, n / a[r], n * (double)len / a[r] / 1e6, n / b[r], b[r] / a[r]);
        }
        double ratio[64];
        for (int r = 0; r < rounds && r < 64; r++) ratio[r] = b[r] / a[r];
        double ma = median(a, rounds), mb = median(b, rounds), mr = median(ratio, rounds < 64 ? rounds : 64);
        printf("median\t%-32s %8.0f chunks/s %8.1f MB/s\t| dfx_call measurements.data %8.0f chunks/s %8.1f MB/s\t%.2fx (median of per-round ratios)\n",
               label, n / ma, n * (double)len / ma / 1e6, n / mb, n * (double)len / mb / 1e6, mr);
        free(a);
        free(b);
    }
    dfx_client_free(c);
    free(chunk);
    free(b64);
    return 0;
}
