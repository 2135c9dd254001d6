/*
 * A tiny HTTP/1.1 client for the dfx-sandbox control plane (/_sandbox/...),
 * used by the C tests to create token pairs and inject faults. Test-only:
 * loopback, one request per connection, small bodies.
 */
#ifndef DFX_TEST_SANDBOX_CTL_H
#define DFX_TEST_SANDBOX_CTL_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The sandbox's base URL, from DFX_SANDBOX_URL ("http://127.0.0.1:PORT"). */
static inline const char *sandbox_url(void) {
    const char *url = getenv("DFX_SANDBOX_URL");
    if (url == NULL || strncmp(url, "http://127.0.0.1:", 17) != 0) {
        fprintf(stderr, "DFX_SANDBOX_URL must be http://127.0.0.1:PORT (start the sandbox first)\n");
        exit(2);
    }
    return url;
}

static inline int sandbox_port(void) { return atoi(sandbox_url() + 17); }

/* Send one request; return the response body (malloc'd, caller frees) or exit. */
static inline char *sandbox_request(const char *method, const char *path, const char *body) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)sandbox_port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        perror("sandbox control connect");
        exit(2);
    }
    char head[512];
    size_t len = body ? strlen(body) : 0;
    int n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                     method, path, len);
    if (write(fd, head, (size_t)n) != n || (len && write(fd, body, len) != (ssize_t)len)) {
        perror("sandbox control write");
        exit(2);
    }
    size_t cap = 4096, used = 0;
    char *buf = malloc(cap);
    ssize_t got;
    while ((got = read(fd, buf + used, cap - used - 1)) > 0) {
        used += (size_t)got;
        if (cap - used < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    close(fd);
    buf[used] = '\0';
    if (strncmp(buf, "HTTP/1.1 2", 10) != 0) {
        fprintf(stderr, "sandbox control %s %s failed: %.80s\n", method, path, buf);
        exit(2);
    }
    char *start = strstr(buf, "\r\n\r\n");
    char *out = strdup(start ? start + 4 : "");
    free(buf);
    return out;
}

/* Copy the string value of "key" out of a flat JSON object into dst. */
static inline void json_string_field(const char *json, const char *key, char *dst, size_t cap) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *at = strstr(json, pattern);
    if (at == NULL) {
        fprintf(stderr, "no %s in %s\n", key, json);
        exit(2);
    }
    at += strlen(pattern);
    size_t i = 0;
    while (at[i] && at[i] != '"' && i + 1 < cap) {
        dst[i] = at[i];
        i++;
    }
    dst[i] = '\0';
}

/* A live device token pair. Buffers of at least 2048 bytes. */
static inline void sandbox_pair(char *token, char *refresh) {
    char *body = sandbox_request("POST", "/_sandbox/pairs", "{\"Type\":\"Device\"}");
    json_string_field(body, "Token", token, 2048);
    json_string_field(body, "RefreshToken", refresh, 2048);
    free(body);
}

/* n live device pairs in one control request; tokens[i] and refreshes[i]
 * are malloc'd strings (caller frees). */
static inline void sandbox_pairs(int n, char **tokens, char **refreshes) {
    char body[64];
    snprintf(body, sizeof body, "{\"Count\":%d}", n);
    char *json = sandbox_request("POST", "/_sandbox/pairs", body);
    const char *at = strchr(json, '[');
    for (int i = 0; i < n; i++) {
        char buf[2048];
        at = strstr(at, "{\"");
        if (at == NULL) {
            fprintf(stderr, "sandbox_pairs: only %d pairs\n", i);
            exit(2);
        }
        const char *end = strchr(at, '}');
        size_t len = (size_t)(end - at) + 1;
        char *one = strndup(at, len);
        json_string_field(one, "Token", buf, sizeof buf);
        tokens[i] = strdup(buf);
        json_string_field(one, "RefreshToken", buf, sizeof buf);
        refreshes[i] = strdup(buf);
        free(one);
        at = end + 1;
    }
    free(json);
}

/* Inject a fault (JSON as documented in sandbox/README.md). */
static inline void sandbox_fault(const char *fault_json) {
    free(sandbox_request("POST", "/_sandbox/faults", fault_json));
}

static inline void sandbox_reset(void) { free(sandbox_request("POST", "/_sandbox/reset", "{}")); }

/* ---- The measurement stream (WebSocket) faults and counters ---- */

/* The integer value of "key" in a flat JSON object, or exit. */
static inline long long json_int_field(const char *json, const char *key) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *at = strstr(json, pattern);
    if (at == NULL) {
        fprintf(stderr, "no %s in %s\n", key, json);
        exit(2);
    }
    return strtoll(at + strlen(pattern), NULL, 10);
}

/* The next `count` sockets opened (0 = all until sandbox_clear_faults) are
 * each cut after they received `after_frames` frames: the last frame takes
 * effect, its answer is never sent, no close frame. */
static inline void sandbox_ws_drop(int after_frames, int count) {
    char body[96];
    snprintf(body, sizeof body, "{\"AfterFrames\":%d,\"Count\":%d}", after_frames, count);
    free(sandbox_request("POST", "/_sandbox/ws/drop", body));
}

/* The next `count` upgrades (0 = all until cleared) are answered HTTP
 * `status` with {"Code":"UPGRADE_REFUSED",...} instead of 101. */
static inline void sandbox_ws_refuse(int status, int count) {
    char body[96];
    snprintf(body, sizeof body, "{\"Status\":%d,\"Count\":%d}", status, count);
    free(sandbox_request("POST", "/_sandbox/ws/refuse", body));
}

/* Each chunk result is computed `ms` after its chunk (0 = at once). */
static inline void sandbox_results_delay(int ms) {
    char body[64];
    snprintf(body, sizeof body, "{\"DelayMs\":%d}", ms);
    free(sandbox_request("POST", "/_sandbox/results-delay", body));
}

/* The next `chunks` data calls (socket 0506 and HTTP) get 429 RATE_LIMIT. */
static inline void sandbox_rate_limit(int chunks) {
    char body[64];
    snprintf(body, sizeof body, "{\"Chunks\":%d}", chunks);
    free(sandbox_request("POST", "/_sandbox/rate-limit", body));
}

/* Removes every fault (HTTP and stream faults; the results delay goes to 0). */
static inline void sandbox_clear_faults(void) { free(sandbox_request("DELETE", "/_sandbox/faults", NULL)); }

struct sandbox_ws_stats {
    long long opened, refused, frames, malformed_frames, dropped_by_fault;
};

static inline struct sandbox_ws_stats sandbox_get_ws_stats(void) {
    char *json = sandbox_request("GET", "/_sandbox/ws/stats", NULL);
    struct sandbox_ws_stats s = {
        json_int_field(json, "Opened"), json_int_field(json, "Refused"), json_int_field(json, "Frames"),
        json_int_field(json, "MalformedFrames"), json_int_field(json, "DroppedByFault"),
    };
    free(json);
    return s;
}

struct sandbox_measurement_stats {
    long long chunks_accepted, duplicates, results_computed;
    char status[16]; /* CAPTURING, PROCESSING or COMPLETE */
};

/* Counters of one measurement (exits if the sandbox has no such ID). */
static inline struct sandbox_measurement_stats sandbox_get_measurement_stats(const char *measurement_id) {
    char path[256];
    snprintf(path, sizeof path, "/_sandbox/measurements/%s", measurement_id);
    char *json = sandbox_request("GET", path, NULL);
    struct sandbox_measurement_stats s;
    s.chunks_accepted = json_int_field(json, "ChunksAccepted");
    s.duplicates = json_int_field(json, "Duplicates");
    s.results_computed = json_int_field(json, "ResultsComputed");
    json_string_field(json, "StatusID", s.status, sizeof s.status);
    free(json);
    return s;
}

/* The chunk results computed so far, as a JSON array text (malloc'd,
 * caller frees): the exact objects pushed to 0510 subscribers. */
static inline char *sandbox_chunk_results(const char *measurement_id) {
    char path[256];
    snprintf(path, sizeof path, "/_sandbox/measurements/%s/results", measurement_id);
    return sandbox_request("GET", path, NULL);
}

#endif
