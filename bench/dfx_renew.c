/*
 * dfx through its C ABI: the same renew as curl_renew.c.
 *
 *   dfx_renew seq   BASE_URL PAIRS_FILE COUNT|Ns 1    dfx_auth_renew(), blocking, sequential
 *   dfx_renew async BASE_URL PAIRS_FILE COUNT|Ns K    dfx_auth_renew_async(), K in flight
 *   dfx_renew call  BASE_URL PAIRS_FILE COUNT|Ns 1    dfx_call("auths.renew"), blocking, sequential
 *   dfx_renew call-async BASE_URL PAIRS_FILE COUNT|Ns K  dfx_call_async("auths.renew"), K in flight
 *
 * The call modes build the params JSON per renew ({"data":{"Token":...,
 * "RefreshToken":...}}), as a caller of the generic call does.
 *
 * async keeps K renews outstanding: the callback (on a dfx thread) only
 * queues the finished chain and signals a condition variable; the main
 * thread takes the answer apart and starts the chain's next renew. With
 * COUNT == K every renew is issued at once (the RSS-at-10,000 figure).
 * Prints one line (see common.h). Exit status 1 if any renew failed.
 */
#include "common.h"

#include <dfx.h>
#include <pthread.h>

/* One chain: its pair and, while queued, its completion. */
struct chain {
    struct pair pair;
    int owned;
    struct chain *next; /* the completion queue */
    DfxStatus status;
    DfxResponse *response;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct chain *head;
} queue = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL};

/* On a dfx thread: hand the answer to the main loop and return. The
 * signal comes after the unlock: signalled under the lock, the main thread
 * (on the same CPU when pinned) would wake only to block on the mutex the
 * callback still holds, and switch back and forth twice more per renew. */
static void on_renewed(void *user_data, DfxStatus status, DfxResponse *response) {
    struct chain *c = user_data;
    c->status = status;
    c->response = response;
    pthread_mutex_lock(&queue.lock);
    int was_empty = queue.head == NULL;
    c->next = queue.head;
    queue.head = c;
    pthread_mutex_unlock(&queue.lock);
    if (was_empty) pthread_cond_signal(&queue.wake);
}

/* The generic call's params for renewing `p` (tokens are JSON-safe
 * base64url and dots). */
static const char *renew_params(const struct pair *p, char *buf, size_t cap) {
    int n = snprintf(buf, cap, "{\"data\":{\"Token\":\"%s\",\"RefreshToken\":\"%s\"}}", p->token, p->refresh);
    if (n < 0 || (size_t)n >= cap) {
        fprintf(stderr, "renew params do not fit in %zu bytes\n", cap);
        exit(1);
    }
    return buf;
}

/* Start one chain's renew in the chosen async form. */
static DfxStatus start_async(DfxClient *client, int generic, struct chain *c) {
    char params[4096];
    if (generic)
        return dfx_call_async(client, "auths.renew", renew_params(&c->pair, params, sizeof params), on_renewed, c,
                              NULL);
    return dfx_auth_renew_async(client, c->pair.token, c->pair.refresh, on_renewed, c, NULL);
}

/* Both strings out of the answer; the pair kept only if the chain goes on. */
static int finish(struct pair *p, int *owned, DfxStatus st, DfxResponse *r, int again) {
    int ok = 0;
    if (st == DFX_OK) {
        const char *token = dfx_response_get_string(r, "Token");
        const char *refresh = dfx_response_get_string(r, "RefreshToken");
        ok = token && refresh;
        if (ok && again) set_pair(p, owned, token, refresh);
    }
    if (!ok) fprintf(stderr, "renew: %s (HTTP %u): %s\n", dfx_status_name(st), dfx_response_status(r),
                     st == DFX_OK ? "no pair in the answer" : dfx_last_error_message());
    dfx_response_free(r);
    return ok;
}

int main(int argc, char **argv) {
    struct args a;
    parse_args(argc, argv, &a, "seq | async | call | call-async");
    int generic = strncmp(a.mode, "call", 4) == 0;
    int async = strcmp(a.mode, "async") == 0 || strcmp(a.mode, "call-async") == 0;
    if (!async && strcmp(a.mode, "seq") != 0 && strcmp(a.mode, "call") != 0)
        usage(argv[0], "seq | async | call | call-async");
    if (!async) a.inflight = 1;

    struct pair *first = load_pairs(a.pairs, a.inflight);
    DfxClient *client = NULL;
    DfxStatus st = dfx_client_new(a.url, &client);
    if (st != DFX_OK) {
        fprintf(stderr, "dfx_client_new: %s: %s\n", dfx_status_name(st), dfx_last_error_message());
        return 1;
    }

    long calls = 0, errors = 0, started = 0;
    double t0 = now_s(), deadline = t0 + a.seconds;
#define MORE() (a.count > 0 ? started < a.count : now_s() < deadline)

    if (!async) {
        struct pair p = first[0];
        int owned = 0;
        while (MORE()) {
            started++;
            DfxResponse *r = NULL;
            char params[4096];
            st = generic ? dfx_call(client, "auths.renew", renew_params(&p, params, sizeof params), &r)
                         : dfx_auth_renew(client, p.token, p.refresh, &r);
            if (finish(&p, &owned, st, r, 1))
                calls++;
            else if (++errors > 10)
                break;
        }
        double secs = now_s() - t0;
        report("dfx", &a, calls, errors, secs);
        dfx_client_free(client);
        return errors ? 1 : 0;
    }

    struct chain *chains = calloc((size_t)a.inflight, sizeof *chains);
    long active = 0;
    for (long i = 0; i < a.inflight && MORE(); i++) {
        chains[i].pair = first[i];
        st = start_async(client, generic, &chains[i]);
        if (st != DFX_OK) {
            fprintf(stderr, "%s: %s: %s\n", a.mode, dfx_status_name(st), dfx_last_error_message());
            return 1;
        }
        started++;
        active++;
    }
    while (active > 0) {
        pthread_mutex_lock(&queue.lock);
        while (queue.head == NULL) pthread_cond_wait(&queue.wake, &queue.lock);
        struct chain *batch = queue.head;
        queue.head = NULL;
        pthread_mutex_unlock(&queue.lock);
        while (batch != NULL) {
            struct chain *c = batch;
            batch = c->next;
            active--;
            int again = MORE();
            if (finish(&c->pair, &c->owned, c->status, c->response, again)) {
                calls++;
            } else {
                errors++;
                again = 0; /* this chain's pair may be dead */
            }
            if (again) {
                st = start_async(client, generic, c);
                if (st != DFX_OK) {
                    fprintf(stderr, "%s: %s: %s\n", a.mode, dfx_status_name(st), dfx_last_error_message());
                    errors++;
                    continue;
                }
                started++;
                active++;
            }
        }
    }
    double secs = now_s() - t0;
    report("dfx", &a, calls, errors, secs);
    dfx_client_free(client);
    return errors ? 1 : 0;
}
