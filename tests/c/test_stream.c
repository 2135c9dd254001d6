/*
 * The measurement stream from C, against DFX_SANDBOX_URL: a 20-chunk
 * measurement over the socket (every acknowledgement and result exactly
 * once, in order, then the final results), the server's refusals as their
 * statuses, back-pressure, argument errors, 8 streams at once on one
 * client, and freeing a stream with chunks in flight (run under valgrind
 * and ASan too). Faults (dropped sockets, refused upgrades) in
 * test_stream_faults().
 */
#include <dfx.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "sandbox_ctl.h"

#define MAX_CHUNKS 64

static char license[256], org[256], email[256], password[256], study[256];

/* Everything one stream's callback saw. */
struct rec {
    pthread_mutex_t mu;
    int connected, websocket, acks[MAX_CHUNKS], results[MAX_CHUNKS];
    int result_order[MAX_CHUNKS], nresults;
    int chunk_errors, error_chunk, ends, bad;
    DfxStatus chunk_error_status, end_status;
    char final_status[32];
    char final_results[512];
    char error_message[512];
};

static void rec_init(struct rec *r) {
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    r->end_status = -1;
}

static void on_event(void *user_data, const DfxStreamEvent *e) {
    struct rec *r = user_data;
    pthread_mutex_lock(&r->mu);
    if (r->ends > 0) r->bad++; /* nothing after the end */
    switch (e->kind) {
    case DFX_STREAM_CONNECTED:
        r->connected++;
        r->websocket = e->websocket;
        if (e->chunk != (uint32_t)r->connected) r->bad++;
        break;
    case DFX_STREAM_ACK:
        if (e->chunk < MAX_CHUNKS) r->acks[e->chunk]++;
        if (e->json != NULL || e->status != DFX_OK) r->bad++;
        break;
    case DFX_STREAM_RESULT:
        if (e->chunk < MAX_CHUNKS) r->results[e->chunk]++;
        if (r->nresults < MAX_CHUNKS) r->result_order[r->nresults++] = (int)e->chunk;
        /* The documented shape, as a JSON object of json_len bytes. */
        if (e->json == NULL || strlen(e->json) != e->json_len || e->json[0] != '{' ||
            strstr(e->json, "\"MeasurementDataID\"") == NULL || strstr(e->json, "\"Channels\"") == NULL ||
            strstr(e->json, "\"Multiplier\"") == NULL)
            r->bad++;
        break;
    case DFX_STREAM_CHUNK_ERROR:
        r->chunk_errors++;
        r->error_chunk = (int)e->chunk;
        r->chunk_error_status = e->status;
        if (e->message == NULL || e->status == DFX_OK) r->bad++;
        break;
    case DFX_STREAM_END:
        r->ends++;
        r->end_status = e->status;
        if (e->status == DFX_OK) {
            const char *s = e->json ? strstr(e->json, "\"StatusID\":\"") : NULL;
            if (s != NULL) snprintf(r->final_status, sizeof r->final_status, "%.*s", 8, s + 12);
            const char *res = e->json ? strstr(e->json, "\"Results\":") : NULL;
            if (res != NULL) snprintf(r->final_results, sizeof r->final_results, "%.*s", (int)strcspn(res, "}") + 1, res);
        } else if (e->message != NULL) {
            snprintf(r->error_message, sizeof r->error_message, "%s", e->message);
        }
        break;
    default:
        r->bad++;
    }
    pthread_mutex_unlock(&r->mu);
}

static void pause_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* A client logged in as the sandbox user (device then user pair). */
static DfxClient *logged_in_client(void) {
    DfxClient *c = NULL;
    DfxResponse *r = NULL;
    CHECK_STATUS(dfx_client_new(sandbox_url(), &c), DFX_OK);
    CHECK_STATUS(dfx_organization_register_license(c, license, "LINUX", "c-stream", org, "1.0", &r), DFX_OK);
    dfx_response_free(r);
    CHECK_STATUS(dfx_user_login(c, email, password, NULL, &r), DFX_OK);
    dfx_response_free(r);
    return c;
}

static void create_measurement(DfxClient *c, char *id, size_t cap) {
    char params[512];
    DfxResponse *r = NULL;
    snprintf(params, sizeof params, "{\"data\":{\"StudyID\":\"%s\",\"Resolution\":100}}", study);
    CHECK_STATUS(dfx_call(c, "measurements.create", params, &r), DFX_OK);
    id[0] = '\0';
    if (r != NULL && dfx_response_get_string(r, "ID") != NULL) snprintf(id, cap, "%s", dfx_response_get_string(r, "ID"));
    CHECK(id[0] != '\0');
    dfx_response_free(r);
}

/* A new measurement (its id in `id`) and a stream on it reporting to `r`. */
static DfxStream *open_new(DfxClient *c, char *id, size_t cap, struct rec *r) {
    create_measurement(c, id, cap);
    rec_init(r);
    DfxStream *s = NULL;
    CHECK_STATUS(dfx_measurement_stream_open(c, id, on_event, r, &s), DFX_OK);
    return s;
}

/* Chunk `i` of a measurement: deterministic bytes, some of them 0 and
 * 0xff (raw bytes, not text). */
static void chunk_bytes(unsigned char *buf, size_t len, int i) {
    for (size_t k = 0; k < len; k++) buf[k] = (unsigned char)((k * 31 + (size_t)i * 7) & 0xff);
}

/* Send `n` chunks (FIRST, MIDDLE..., LAST), retrying on STREAM_FULL. */
static void send_all(DfxStream *s, int n, size_t len) {
    unsigned char *buf = malloc(len);
    for (int i = 0; i < n; i++) {
        chunk_bytes(buf, len, i);
        DfxChunkPosition pos = i == 0 ? DFX_CHUNK_FIRST : i == n - 1 ? DFX_CHUNK_LAST : DFX_CHUNK_MIDDLE;
        uint32_t order = 999;
        DfxStatus st;
        int tries = 0;
        while ((st = dfx_measurement_stream_send_chunk(s, buf, len, pos, &order)) == DFX_ERR_STREAM_FULL && tries++ < 3000)
            pause_ms(2);
        CHECK_STATUS(st, DFX_OK);
        CHECK(order == (uint32_t)i);
    }
    free(buf);
}

/* Every chunk acknowledged once and its result once, in order. */
static void check_complete(struct rec *r, int n, int websocket) {
    CHECK(r->bad == 0);
    CHECK(r->ends == 1);
    CHECK_STATUS(r->end_status, DFX_OK);
    CHECK(strcmp(r->final_status, "COMPLETE") == 0);
    CHECK(r->websocket == websocket);
    int acks_once = 1, results_once = 1, in_order = 1;
    for (int i = 0; i < n; i++) {
        acks_once &= r->acks[i] == 1;
        results_once &= r->results[i] == (websocket ? 1 : 0);
        if (websocket) in_order &= r->nresults == n && r->result_order[i] == i;
    }
    CHECK(acks_once);
    CHECK(results_once);
    CHECK(in_order);
    CHECK(r->chunk_errors == 0);
}

/* A 20-chunk measurement over the socket. */
static void test_twenty_chunks(DfxClient *c) {
    char id[128];
    struct rec r;
    DfxStream *s = open_new(c, id, sizeof id, &r);
    send_all(s, 20, 3000);
    CHECK_STATUS(dfx_measurement_stream_wait(s, 60000), DFX_OK);
    check_complete(&r, 20, 1);
    CHECK(r.connected == 1);
    DfxStreamStats st;
    CHECK_STATUS(dfx_measurement_stream_stats(s, &st), DFX_OK);
    CHECK(st.connections == 1 && st.websocket == 1 && st.resent_chunks == 0 && st.dropped_frames == 0);
    /* After the last chunk and after the end: no more chunks. */
    unsigned char one = 1;
    uint32_t order = 77;
    CHECK_STATUS(dfx_measurement_stream_send_chunk(s, &one, 1, DFX_CHUNK_MIDDLE, &order), DFX_ERR_STREAM_ENDED);
    CHECK(order == 0);
    dfx_measurement_stream_free(s);

    /* A second stream on the same, now closed, measurement. */
    rec_init(&r);
    CHECK_STATUS(dfx_measurement_stream_open(c, id, on_event, &r, &s), DFX_OK);
    CHECK_STATUS(dfx_measurement_stream_send_chunk(s, &one, 1, DFX_CHUNK_FIRST, NULL), DFX_OK);
    CHECK_STATUS(dfx_measurement_stream_wait(s, 60000), DFX_OK);
    CHECK(r.chunk_errors == 1 && r.error_chunk == 0);
    CHECK_STATUS(r.chunk_error_status, DFX_ERR_MEASUREMENT_CLOSED);
    CHECK_STATUS(r.end_status, DFX_ERR_MEASUREMENT_CLOSED);
    CHECK(r.bad == 0 && r.ends == 1);
    dfx_measurement_stream_free(s);
}

/* Out of order: a MIDDLE chunk first. */
static void test_misaligned(DfxClient *c) {
    char id[128];
    struct rec r;
    DfxStream *s = open_new(c, id, sizeof id, &r);
    unsigned char buf[100];
    chunk_bytes(buf, sizeof buf, 0);
    CHECK_STATUS(dfx_measurement_stream_send_chunk(s, buf, sizeof buf, DFX_CHUNK_MIDDLE, NULL), DFX_OK);
    CHECK_STATUS(dfx_measurement_stream_wait(s, 60000), DFX_OK);
    CHECK(r.chunk_errors == 1 && r.error_chunk == 0 && r.acks[0] == 0);
    CHECK_STATUS(r.chunk_error_status, DFX_ERR_MISALIGNED_CHUNK);
    CHECK_STATUS(r.end_status, DFX_ERR_MISALIGNED_CHUNK);
    CHECK(strstr(r.error_message, "MISALIGNED_CHUNK") != NULL);
    dfx_measurement_stream_free(s);
}

/* A measurement that does not exist: the subscription is refused. */
static void test_invalid_measurement(DfxClient *c) {
    struct rec r;
    rec_init(&r);
    DfxStream *s = NULL;
    CHECK_STATUS(dfx_measurement_stream_open(c, "00000000-0000-4000-8000-000000000000", on_event, &r, &s), DFX_OK);
    CHECK_STATUS(dfx_measurement_stream_wait(s, 60000), DFX_OK);
    CHECK_STATUS(r.end_status, DFX_ERR_INVALID_MEASUREMENT);
    CHECK(r.ends == 1 && r.bad == 0);
    dfx_measurement_stream_free(s);
}

/* Back-pressure and the end, on a server that is not there: chunks are
 * never acknowledged, so the ninth is refused; the stream gives up after
 * its connection attempts and says why. */
static void test_full_and_unreachable(void) {
    DfxClient *c = NULL;
    CHECK_STATUS(dfx_client_new("http://127.0.0.1:9", &c), DFX_OK);
    struct rec r;
    rec_init(&r);
    DfxStream *s = NULL;
    CHECK_STATUS(dfx_measurement_stream_open(c, "m", on_event, &r, &s), DFX_OK);
    unsigned char buf[10] = {0};
    for (uint32_t i = 0; i < DFX_STREAM_MAX_UNACKED; i++) {
        uint32_t order = 99;
        CHECK_STATUS(dfx_measurement_stream_send_chunk(s, buf, sizeof buf, i ? DFX_CHUNK_MIDDLE : DFX_CHUNK_FIRST, &order), DFX_OK);
        CHECK(order == i);
    }
    uint32_t order = 99;
    CHECK_STATUS(dfx_measurement_stream_send_chunk(s, buf, sizeof buf, DFX_CHUNK_MIDDLE, &order), DFX_ERR_STREAM_FULL);
    CHECK(order == 0);
    CHECK(strstr(dfx_last_error_message(), "acknowledgement") != NULL);
    CHECK_STATUS(dfx_measurement_stream_wait(s, 30000), DFX_OK);
    /* No socket in 5 tries: HTTP instead, whose first chunk cannot
     * connect either (nothing sent): that chunk's error, then the end. */
    CHECK_STATUS(r.end_status, DFX_ERR_CONNECT);
    CHECK_STATUS(r.chunk_error_status, DFX_ERR_CONNECT);
    CHECK(r.chunk_errors == 1 && r.error_chunk == 0);
    CHECK(r.connected == 1 && r.websocket == 0 && r.ends == 1 && r.bad == 0);
    CHECK_STATUS(dfx_measurement_stream_send_chunk(s, buf, sizeof buf, DFX_CHUNK_MIDDLE, NULL), DFX_ERR_STREAM_ENDED);
    dfx_measurement_stream_free(s);
    dfx_client_free(c);
}

static void test_argument_errors(DfxClient *c) {
    struct rec r;
    rec_init(&r);
    DfxStream *s = (DfxStream *)&r;
    CHECK_STATUS(dfx_measurement_stream_open(NULL, "m", on_event, &r, &s), DFX_ERR_NULL_ARGUMENT);
    CHECK(s == NULL);
    CHECK_STATUS(dfx_measurement_stream_open(c, NULL, on_event, &r, &s), DFX_ERR_NULL_ARGUMENT);
    CHECK(strstr(dfx_last_error_message(), "measurement_id") != NULL);
    CHECK_STATUS(dfx_measurement_stream_open(c, "m", NULL, &r, &s), DFX_ERR_NULL_ARGUMENT);
    CHECK(strstr(dfx_last_error_message(), "callback") != NULL);
    CHECK_STATUS(dfx_measurement_stream_open(c, "m", on_event, &r, NULL), DFX_ERR_NULL_ARGUMENT);
    CHECK_STATUS(dfx_measurement_stream_open(c, "m\xff", on_event, &r, &s), DFX_ERR_INVALID_UTF8);
    CHECK_STATUS(dfx_measurement_stream_open(c, "", on_event, &r, &s), DFX_ERR_INVALID_ARGUMENT);
    CHECK(s == NULL);

    char id[128];
    create_measurement(c, id, sizeof id);
    CHECK_STATUS(dfx_measurement_stream_open(c, id, on_event, &r, &s), DFX_OK);
    unsigned char b = 0;
    uint32_t order = 5;
    CHECK_STATUS(dfx_measurement_stream_send_chunk(NULL, &b, 1, DFX_CHUNK_FIRST, &order), DFX_ERR_NULL_ARGUMENT);
    CHECK(order == 0);
    CHECK_STATUS(dfx_measurement_stream_send_chunk(s, NULL, 1, DFX_CHUNK_FIRST, NULL), DFX_ERR_NULL_ARGUMENT);
    CHECK_STATUS(dfx_measurement_stream_send_chunk(s, &b, 0, DFX_CHUNK_FIRST, NULL), DFX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(dfx_measurement_stream_send_chunk(s, &b, 1, 7, NULL), DFX_ERR_INVALID_ARGUMENT);
    CHECK(strstr(dfx_last_error_message(), "DFX_CHUNK_FIRST") != NULL);
    CHECK_STATUS(dfx_measurement_stream_send_chunk(s, &b, (size_t)DFX_STREAM_MAX_CHUNK_BYTES + 1, DFX_CHUNK_FIRST, NULL),
                 DFX_ERR_INVALID_ARGUMENT);
    CHECK_STATUS(dfx_measurement_stream_wait(NULL, 1), DFX_ERR_NULL_ARGUMENT);
    CHECK_STATUS(dfx_measurement_stream_wait(s, 50), DFX_ERR_TIMEOUT); /* nothing sent: not ended */
    CHECK_STATUS(dfx_measurement_stream_stats(s, NULL), DFX_ERR_NULL_ARGUMENT);
    CHECK_STATUS(dfx_measurement_stream_stats(NULL, NULL), DFX_ERR_NULL_ARGUMENT);
    dfx_measurement_stream_free(s);
    dfx_measurement_stream_free(NULL);
    CHECK(r.chunk_errors == 0 && r.bad == 0);
}

/* Eight streams at once on one client, each on its own thread. */
struct parallel {
    DfxClient *c;
    struct rec r;
};

static void *run_one(void *arg) {
    struct parallel *p = arg;
    char id[128];
    create_measurement(p->c, id, sizeof id);
    DfxStream *s = NULL;
    CHECK_STATUS(dfx_measurement_stream_open(p->c, id, on_event, &p->r, &s), DFX_OK);
    send_all(s, 12, 2000);
    CHECK_STATUS(dfx_measurement_stream_wait(s, 60000), DFX_OK);
    dfx_measurement_stream_free(s);
    return NULL;
}

static void test_parallel(DfxClient *c) {
    struct parallel p[8];
    pthread_t t[8];
    for (int i = 0; i < 8; i++) {
        p[i].c = c;
        rec_init(&p[i].r);
        pthread_create(&t[i], NULL, run_one, &p[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        check_complete(&p[i].r, 12, 1);
    }
}

/* Free with chunks in flight, from this thread, and from inside the
 * stream's own callback: nothing after, nothing leaked (valgrind, ASan). */
static void free_in_callback(void *user_data, const DfxStreamEvent *e) {
    DfxStream **s = user_data;
    if (e->kind == DFX_STREAM_ACK && *s != NULL) {
        dfx_measurement_stream_free(*s);
        *s = NULL;
    }
}

static void test_free_in_flight(DfxClient *c) {
    char id[128];
    struct rec r;
    DfxStream *s = open_new(c, id, sizeof id, &r);
    unsigned char buf[4096];
    for (int i = 0; i < 5; i++) {
        chunk_bytes(buf, sizeof buf, i);
        CHECK_STATUS(dfx_measurement_stream_send_chunk(s, buf, sizeof buf, i ? DFX_CHUNK_MIDDLE : DFX_CHUNK_FIRST, NULL), DFX_OK);
    }
    dfx_measurement_stream_free(s);
    pthread_mutex_lock(&r.mu);
    int events = r.connected + r.ends + r.nresults;
    for (int i = 0; i < 5; i++) events += r.acks[i];
    pthread_mutex_unlock(&r.mu);
    pause_ms(300);
    pthread_mutex_lock(&r.mu);
    int later = r.connected + r.ends + r.nresults;
    for (int i = 0; i < 5; i++) later += r.acks[i];
    pthread_mutex_unlock(&r.mu);
    CHECK(later == events); /* no callback after free returned */

    create_measurement(c, id, sizeof id);
    DfxStream *volatile self = NULL;
    DfxStream *opened = NULL;
    CHECK_STATUS(dfx_measurement_stream_open(c, id, free_in_callback, (void *)&self, &opened), DFX_OK);
    self = opened;
    for (int i = 0; i < 3; i++) {
        chunk_bytes(buf, sizeof buf, i);
        CHECK_STATUS(dfx_measurement_stream_send_chunk(opened, buf, sizeof buf, i ? DFX_CHUNK_MIDDLE : DFX_CHUNK_FIRST, NULL), DFX_OK);
    }
    for (int i = 0; i < 1000 && self != NULL; i++) pause_ms(5);
    CHECK(self == NULL);
}

/* Run a 20-chunk measurement; return its final "Results" in `results`. */
static void twenty(DfxClient *c, struct rec *r, char *id, size_t cap, DfxStreamStats *st) {
    DfxStream *s = open_new(c, id, cap, r);
    send_all(s, 20, 3000);
    CHECK_STATUS(dfx_measurement_stream_wait(s, 90000), DFX_OK);
    CHECK_STATUS(dfx_measurement_stream_stats(s, st), DFX_OK);
    dfx_measurement_stream_free(s);
}

/* The socket dropped after the server received N frames (the Nth is
 * processed, its answer lost): at login (1), at the subscription (2), at
 * chunks early, mid-way and late. Every result still comes once, and the
 * server counted every chunk once (resends of a processed chunk are
 * duplicates it does not apply). */
static void test_dropped_sockets(DfxClient *c) {
    const int points[] = {1, 2, 3, 8, 14, 22};
    for (size_t i = 0; i < sizeof points / sizeof *points; i++) {
        sandbox_ws_drop(points[i], 1);
        struct rec r;
        char id[128];
        DfxStreamStats st;
        twenty(c, &r, id, sizeof id, &st);
        sandbox_clear_faults();
        check_complete(&r, 20, 1);
        /* Dropped at the login (1) or the subscription (2), the first
         * socket never got ready: one CONNECTED event; later, two. */
        CHECK(r.connected == (points[i] >= 3 ? 2 : 1) && st.connections == 2);
        struct sandbox_measurement_stats m = sandbox_get_measurement_stats(id);
        CHECK(m.chunks_accepted == 20);
        CHECK(m.results_computed == 20);
        CHECK(strcmp(m.status, "COMPLETE") == 0);
        if (points[i] >= 3) {
            /* A chunk was in flight: sent again, and the one the server
             * had processed was counted as a duplicate, not applied. */
            CHECK(st.resent_chunks >= 1);
            CHECK(m.duplicates >= 1 && m.duplicates <= (long long)st.resent_chunks);
        } else {
            CHECK(st.resent_chunks == 0 && m.duplicates == 0);
        }
        if (failed) fprintf(stderr, "  (dropped after frame %d)\n", points[i]);
    }
    struct sandbox_ws_stats ws = sandbox_get_ws_stats();
    CHECK(ws.dropped_by_fault >= 6);
}

/* The upgrade refused (a network that blocks sockets): the same stream
 * goes over HTTP with the same acknowledgements and final results. */
static void test_refused_upgrade(DfxClient *c) {
    struct rec over_socket, over_http;
    char id[128];
    DfxStreamStats st;
    twenty(c, &over_socket, id, sizeof id, &st);
    check_complete(&over_socket, 20, 1);
    long long refused_before = sandbox_get_ws_stats().refused;
    sandbox_ws_refuse(503, 0);
    twenty(c, &over_http, id, sizeof id, &st);
    check_complete(&over_http, 20, 0);
    CHECK(st.websocket == 0 && st.connections == 1);
    CHECK(sandbox_get_ws_stats().refused == refused_before + 1);
    CHECK(over_socket.final_results[0] != '\0');
    CHECK(strcmp(over_socket.final_results, over_http.final_results) == 0);

    /* The server's refusals over HTTP are the same statuses. */
    struct rec r;
    DfxStream *s = open_new(c, id, sizeof id, &r);
    unsigned char b = 1;
    CHECK_STATUS(dfx_measurement_stream_send_chunk(s, &b, 1, DFX_CHUNK_LAST, NULL), DFX_OK);
    CHECK_STATUS(dfx_measurement_stream_wait(s, 30000), DFX_OK);
    CHECK_STATUS(r.chunk_error_status, DFX_ERR_MISALIGNED_CHUNK);
    CHECK_STATUS(r.end_status, DFX_ERR_MISALIGNED_CHUNK);
    CHECK(r.websocket == 0);
    dfx_measurement_stream_free(s);
    sandbox_clear_faults();
}

/* The server's RATE_LIMIT comes out as DFX_ERR_RATE_LIMITED. */
static void test_rate_limited(DfxClient *c) {
    char id[128];
    sandbox_rate_limit(1);
    struct rec r;
    DfxStream *s = open_new(c, id, sizeof id, &r);
    unsigned char b = 1;
    CHECK_STATUS(dfx_measurement_stream_send_chunk(s, &b, 1, DFX_CHUNK_FIRST, NULL), DFX_OK);
    CHECK_STATUS(dfx_measurement_stream_wait(s, 30000), DFX_OK);
    CHECK(r.chunk_errors == 1 && r.error_chunk == 0);
    CHECK_STATUS(r.chunk_error_status, DFX_ERR_RATE_LIMITED);
    CHECK_STATUS(r.end_status, DFX_ERR_RATE_LIMITED);
    CHECK(strstr(r.error_message, "RATE_LIMIT") != NULL);
    dfx_measurement_stream_free(s);
    sandbox_clear_faults();
}

int main(void) {
    char *seed = sandbox_request("GET", "/_sandbox/seed", NULL);
    json_string_field(seed, "LicenseKey", license, sizeof license);
    json_string_field(seed, "Organization", org, sizeof org);
    json_string_field(seed, "Email", email, sizeof email);
    json_string_field(seed, "Password", password, sizeof password);
    json_string_field(seed, "StudyID", study, sizeof study);
    free(seed);

    DfxClient *c = logged_in_client();
    test_argument_errors(c);
    test_twenty_chunks(c);
    test_misaligned(c);
    test_invalid_measurement(c);
    test_parallel(c);
    test_free_in_flight(c);
    test_rate_limited(c);
    test_refused_upgrade(c);
    test_dropped_sockets(c);
    dfx_client_free(c);
    test_full_and_unreachable();
    return check_report("test_stream");
}
