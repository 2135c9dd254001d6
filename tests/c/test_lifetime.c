/*
 * A client's lifetime against its callbacks, against DFX_SANDBOX_URL:
 *  - dfx_client_free() from inside one callback while other callbacks of
 *    the same client run and use the client, many rounds with random
 *    interleavings (random work before and after each use);
 *  - dfx_client_free() while callbacks keep starting new calls: it returns,
 *    each accepted call's callback runs once, none after it returned, and
 *    a call started meanwhile is refused with DFX_ERR_CANCELLED;
 *  - dfx_client_free() with 20 explicit renews (pairs the session does not
 *    hold) held 3 s by the server returns at once, each callback once,
 *    cancelled, saying the request had been sent;
 *  - a renew of the stored pair, cancelled in flight, still stores its new
 *    pair and calls the listener before dfx_client_free() returns.
 * Built with AddressSanitizer and run under valgrind by `make test`.
 * DFX_TEST_ROUNDS sets the number of free-inside rounds (default 300);
 * DFX_TEST_VALGRIND=1 relaxes the one timing bound for valgrind.
 */
#include <dfx.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "sandbox_ctl.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A per-round random source shared by the callbacks (xorshift; atomics so
 * concurrent callbacks draw different numbers). */
static _Atomic uint64_t rng_state;

static uint64_t rng(void) {
    uint64_t x = atomic_load(&rng_state), y;
    do {
        y = x;
        y ^= y << 13;
        y ^= y >> 7;
        y ^= y << 17;
    } while (!atomic_compare_exchange_weak(&rng_state, &x, y));
    return y;
}

/* Busy work of a random length (0 to ~50 µs): shifts the interleaving. */
static void jitter(void) {
    volatile unsigned sink = 0;
    unsigned spins = (unsigned)(rng() % 20000);
    for (unsigned i = 0; i < spins; i++) sink += i;
}

/* ---- free from inside a callback while the others use the client ---- */

struct round {
    DfxClient *client;
    int freer;              /* index of the callback that frees the client */
    atomic_int accepted;    /* _async calls accepted (callbacks owed) */
    atomic_int completed;   /* callbacks that ran */
    atomic_int refused;     /* _async calls refused with DFX_ERR_CANCELLED */
    atomic_int wrong;       /* unexpected statuses */
    atomic_int go;          /* set once every call of the round is issued */
};

struct call {
    struct round *round;
    int index;
    atomic_int calls;
};

static void finish(atomic_int *counter) {
    pthread_mutex_lock(&lock);
    atomic_fetch_add(counter, 1);
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
}

static void on_nested(void *user_data, DfxStatus status, DfxResponse *response) {
    struct round *r = user_data;
    dfx_response_free(response);
    if (status != DFX_OK && status != DFX_ERR_CANCELLED) atomic_fetch_add(&r->wrong, 1);
    finish(&r->completed);
}

static void on_round(void *user_data, DfxStatus status, DfxResponse *response) {
    struct call *c = user_data;
    struct round *r = c->round;
    atomic_fetch_add(&c->calls, 1);
    /* The main thread must be done with the client before anyone frees it. */
    while (!atomic_load(&r->go)) sched_yield();
    dfx_response_free(response);
    if (status != DFX_OK && status != DFX_ERR_CANCELLED) {
        fprintf(stderr, "callback status %s: %s\n", dfx_status_name(status), dfx_last_error_message());
        atomic_fetch_add(&r->wrong, 1);
    }
    jitter();
    if (c->index == r->freer) {
        dfx_client_free(r->client);
    } else {
        /* Use the client, whether or not another callback freed it meanwhile. */
        if (dfx_client_set_timeout_ms(r->client, 5000 + (uint64_t)(rng() % 100)) != DFX_OK)
            atomic_fetch_add(&r->wrong, 1);
        jitter();
        char *json = NULL;
        if (dfx_session_to_json(r->client, &json) != DFX_OK) atomic_fetch_add(&r->wrong, 1);
        dfx_string_free(json);
        dfx_client_cancel(r->client, (uint64_t)(rng() % 64));
        uint64_t id = 77;
        DfxStatus st = dfx_general_status_async(r->client, on_nested, r, &id);
        if (st == DFX_OK) {
            atomic_fetch_add(&r->accepted, 1);
        } else if (st == DFX_ERR_CANCELLED) {
            atomic_fetch_add(&r->refused, 1);
            if (id != 0) atomic_fetch_add(&r->wrong, 1); /* out-parameter not cleared */
        } else {
            atomic_fetch_add(&r->wrong, 1);
        }
        jitter();
    }
    finish(&r->completed);
}

static void test_free_inside_while_others_run(int rounds) {
    enum { K = 8 };
    int clean = 0, refused = 0;
    for (int n = 0; n < rounds; n++) {
        static struct round r;
        static struct call calls[K];
        memset(&r, 0, sizeof r);
        memset(calls, 0, sizeof calls);
        CHECK_STATUS(dfx_client_new(sandbox_url(), &r.client), DFX_OK);
        r.freer = (int)(rng() % K);
        for (int i = 0; i < K; i++) {
            calls[i].round = &r;
            calls[i].index = i;
            atomic_fetch_add(&r.accepted, 1);
            if (dfx_general_status_async(r.client, on_round, &calls[i], NULL) != DFX_OK) {
                atomic_fetch_sub(&r.accepted, 1);
                atomic_fetch_add(&r.wrong, 1);
            }
        }
        atomic_store(&r.go, 1);
        /* Every accepted call's callback (nested ones too) runs once; a
         * callback counts its nested call before it counts itself. */
        pthread_mutex_lock(&lock);
        while (atomic_load(&r.completed) < atomic_load(&r.accepted)) pthread_cond_wait(&wake, &lock);
        pthread_mutex_unlock(&lock);
        int once = 0;
        for (int i = 0; i < K; i++) once += atomic_load(&calls[i].calls) == 1;
        if (once == K && atomic_load(&r.wrong) == 0 && atomic_load(&r.completed) == atomic_load(&r.accepted))
            clean++;
        else
            fprintf(stderr, "round %d: %d of %d callbacks once, %d unexpected statuses, %d/%d completed\n", n,
                    once, K, atomic_load(&r.wrong), atomic_load(&r.completed), atomic_load(&r.accepted));
        refused += atomic_load(&r.refused);
    }
    CHECK(clean == rounds);
    printf("free inside a callback: %d of %d rounds clean; %d calls from callbacks refused after free\n", clean,
           rounds, refused);
}

/* ---- free while callbacks keep starting new calls ---- */

struct chain {
    DfxClient *client;
    atomic_int *accepted, *completed, *late, *after_free;
    atomic_int refused_cancelled, refused_other;
};

static void on_chain(void *user_data, DfxStatus status, DfxResponse *response) {
    struct chain *c = user_data;
    (void)status;
    dfx_response_free(response);
    if (atomic_load(c->after_free)) atomic_fetch_add(c->late, 1);
    /* Always retry: a callback that never gives up. */
    DfxStatus st = dfx_general_status_async(c->client, on_chain, c, NULL);
    if (st == DFX_OK)
        atomic_fetch_add(c->accepted, 1);
    else if (st == DFX_ERR_CANCELLED)
        atomic_fetch_add(&c->refused_cancelled, 1);
    else
        atomic_fetch_add(&c->refused_other, 1);
    atomic_fetch_add(c->completed, 1);
}

static void test_free_while_callbacks_retry(void) {
    enum { N = 20 };
    DfxClient *client = NULL;
    CHECK_STATUS(dfx_client_new(sandbox_url(), &client), DFX_OK);
    static struct chain chains[N];
    atomic_int accepted = 0, completed = 0, late = 0, after_free = 0;
    for (int i = 0; i < N; i++) {
        chains[i] = (struct chain){client, &accepted, &completed, &late, &after_free, 0, 0};
        atomic_fetch_add(&accepted, 1);
        CHECK_STATUS(dfx_general_status_async(client, on_chain, &chains[i], NULL), DFX_OK);
    }
    /* Let the chains run a while. */
    struct timespec pause = {0, 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
    double start = now();
    dfx_client_free(client);
    double took = now() - start;
    atomic_store(&after_free, 1);
    int refused = 0, other = 0;
    for (int i = 0; i < N; i++) {
        refused += atomic_load(&chains[i].refused_cancelled);
        other += atomic_load(&chains[i].refused_other);
    }
    CHECK(atomic_load(&completed) == atomic_load(&accepted));
    CHECK(atomic_load(&late) == 0);
    CHECK(refused == N); /* each chain ends exactly once, refused as cancelled */
    CHECK(other == 0);
    CHECK(took < 5.0);
    printf("free while callbacks retry: returned after %.3f s; %d calls, each callback once; %d refused\n", took,
           atomic_load(&completed), refused);
}

/* ---- free with explicit renews in flight: no waiting for their answers ---- */

struct renew_slot {
    atomic_int calls;
    DfxStatus status;
    char message[512];
    atomic_int *after_free, *late, *done;
};

static void on_renew(void *user_data, DfxStatus status, DfxResponse *response) {
    struct renew_slot *s = user_data;
    if (atomic_load(s->after_free)) atomic_fetch_add(s->late, 1);
    s->status = status;
    snprintf(s->message, sizeof s->message, "%s", dfx_last_error_message());
    dfx_response_free(response);
    atomic_fetch_add(&s->calls, 1);
    finish(s->done);
}

static void test_free_with_explicit_renews(void) {
    enum { N = 20 };
    DfxClient *client = NULL;
    CHECK_STATUS(dfx_client_new(sandbox_url(), &client), DFX_OK);
    char *tokens[N], *refreshes[N];
    sandbox_pairs(N, tokens, refreshes);
    sandbox_fault("{\"Path\":\"auths/renew\",\"DelayMs\":3000,\"Count\":0}");
    static struct renew_slot slots[N];
    atomic_int after_free = 0, late = 0, done = 0;
    for (int i = 0; i < N; i++) {
        slots[i] = (struct renew_slot){0, -1, "", &after_free, &late, &done};
        CHECK_STATUS(dfx_auth_renew_async(client, tokens[i], refreshes[i], on_renew, &slots[i], NULL), DFX_OK);
    }
    /* Wait until the sandbox holds all of them (their requests have left). */
    for (int tries = 0; tries < 200; tries++) {
        char *body = sandbox_request("GET", "/_sandbox/requests", NULL);
        int seen = 0;
        for (char *p = body; (p = strstr(p, "auths/renew")) != NULL; p++) seen++;
        free(body);
        if (seen >= N) break;
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    double start = now();
    dfx_client_free(client);
    double took = now() - start;
    atomic_store(&after_free, 1);
    int once = 0, cancelled = 0, said_sent = 0;
    for (int i = 0; i < N; i++) {
        once += atomic_load(&slots[i].calls) == 1;
        cancelled += slots[i].status == DFX_ERR_CANCELLED;
        said_sent += strstr(slots[i].message, "after it was sent") != NULL;
    }
    /* Under valgrind everything is ~50x slower: there it must still return
     * well before the server's 3 s answer. */
    CHECK(took < (getenv("DFX_TEST_VALGRIND") ? 2.5 : 0.1));
    CHECK(once == N);
    CHECK(cancelled == N);
    CHECK(said_sent == N);
    CHECK(atomic_load(&late) == 0);
    printf("free with %d explicit renews held 3 s: returned in %.1f ms; %d callbacks once, %d cancelled "
           "(\"%s\")\n", N, took * 1000, once, cancelled, slots[0].message);
    sandbox_reset();
    for (int i = 0; i < N; i++) {
        free(tokens[i]);
        free(refreshes[i]);
    }
}

/* ---- a stored-pair renew cancelled in flight still reaches the listener ---- */

struct listened {
    atomic_int calls;
    char token[1024];
};

static void on_session(void *user_data, const char *json) {
    struct listened *l = user_data;
    json_string_field(json, "deviceToken", l->token, sizeof l->token);
    atomic_fetch_add(&l->calls, 1);
}

static void test_stored_renew_cancelled_reaches_listener(int by_free) {
    DfxClient *client = NULL;
    CHECK_STATUS(dfx_client_new(sandbox_url(), &client), DFX_OK);
    char token[1024], refresh[1024];
    sandbox_pair(token, refresh);
    CHECK_STATUS(dfx_session_set(client, DFX_SESSION_DEVICE_TOKEN, token), DFX_OK);
    CHECK_STATUS(dfx_session_set(client, DFX_SESSION_DEVICE_REFRESH_TOKEN, refresh), DFX_OK);
    static struct listened heard;
    memset(&heard, 0, sizeof heard);
    CHECK_STATUS(dfx_client_set_session_listener(client, on_session, &heard), DFX_OK);
    sandbox_fault("{\"Path\":\"auths/renew\",\"DelayMs\":400,\"Count\":0}");
    static struct renew_slot slot;
    atomic_int after_free = 0, late = 0, done = 0;
    slot = (struct renew_slot){0, -1, "", &after_free, &late, &done};
    uint64_t id = 0;
    /* An explicit renew of the pair the session holds: carried through too. */
    CHECK_STATUS(dfx_auth_renew_async(client, token, refresh, on_renew, &slot, &id), DFX_OK);
    struct timespec pause = {0, 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
    if (by_free) {
        dfx_client_free(client);
        CHECK(atomic_load(&heard.calls) == 1); /* before free returned */
        CHECK(heard.token[0] != '\0' && strcmp(heard.token, token) != 0);
    } else {
        CHECK_STATUS(dfx_client_cancel(client, id), DFX_OK);
        pthread_mutex_lock(&lock);
        while (atomic_load(&done) < 1) pthread_cond_wait(&wake, &lock);
        pthread_mutex_unlock(&lock);
        for (int i = 0; i < 300 && atomic_load(&heard.calls) == 0; i++) nanosleep(&(struct timespec){0, 10000000}, NULL);
        CHECK(atomic_load(&heard.calls) == 1);
        char *stored = NULL;
        CHECK_STATUS(dfx_session_get(client, DFX_SESSION_DEVICE_TOKEN, &stored), DFX_OK);
        CHECK(stored != NULL && strcmp(stored, heard.token) == 0 && strcmp(stored, token) != 0);
        dfx_string_free(stored);
        dfx_client_free(client);
    }
    CHECK(atomic_load(&slot.calls) == 1);
    CHECK_STATUS(slot.status, DFX_ERR_CANCELLED);
    CHECK(strstr(slot.message, "background") != NULL);
    printf("stored-pair renew cancelled by %s: listener called %d time(s); callback: \"%s\"\n",
           by_free ? "dfx_client_free" : "dfx_client_cancel", atomic_load(&heard.calls), slot.message);
    sandbox_reset();
}

int main(void) {
    const char *env = getenv("DFX_TEST_ROUNDS");
    int rounds = env ? atoi(env) : 300;
    uint64_t seed = (uint64_t)time(NULL) * 2654435761u + 1;
    atomic_store(&rng_state, seed);
    printf("seed %llu\n", (unsigned long long)seed);
    sandbox_reset();
    test_free_inside_while_others_run(rounds);
    test_free_while_callbacks_retry();
    test_free_with_explicit_renews();
    test_stored_renew_cancelled_reaches_listener(0);
    test_stored_renew_cancelled_reaches_listener(1);
    return check_report("test_lifetime");
}
