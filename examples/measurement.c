/*
 * dfx measurement: what a DeepAffex kiosk or phone app exists for.
 *
 *   measurement BASE_URL LICENSE_KEY ORG_IDENTIFIER EMAIL PASSWORD STUDY_ID CHUNK_FILE...
 *
 * 1. register the license (device token pair) and log in as the user (user
 *    token pair: the one that may take measurements);
 * 2. create a measurement on the study (dfx_call "measurements.create");
 * 3. open a measurement stream and hand it each chunk file's bytes as the
 *    extraction library made them (dfx does the base64 and the JSON), the
 *    first as DFX_CHUNK_FIRST, the last as DFX_CHUNK_LAST;
 * 4. print each acknowledgement and each chunk's result as it arrives (on
 *    dfx's thread, in the stream callback), then the final results;
 * 5. unregister the license.
 *
 * The stream goes over the WebSocket; if the network refuses sockets it
 * uses HTTP instead, and this program does not change. `make quickstart`
 * runs it against the local dfx-sandbox with the synthetic chunks in
 * examples/chunks/ (scripts/run-measurement.sh).
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <dfx.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
static void pause_ms(unsigned ms) { Sleep(ms); }
#else
#include <time.h>
static void pause_ms(unsigned ms) {
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}
#endif

/* Print a call's failure; return 1 if it succeeded. */
static int check(const char *what, DfxStatus status, DfxResponse *response) {
    if (status == DFX_OK) {
        printf("%-24s HTTP %u\n", what, dfx_response_status(response));
        return 1;
    }
    if (status == DFX_ERR_API) {
        const char *code = dfx_response_error_code(response);
        printf("%-24s the API answered HTTP %u %s\n", what, dfx_response_status(response), code ? code : "");
    } else {
        printf("%-24s %s: %s\n", what, dfx_status_name(status), dfx_last_error_message());
    }
    return 0;
}

/* Read a whole file; NULL on failure. */
static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    unsigned char *data = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len == cap) {
            cap = cap ? cap * 2 : 65536;
            unsigned char *grown = realloc(data, cap);
            if (grown == NULL) break;
            data = grown;
        }
        size_t n = fread(data + *len, 1, cap - *len, f);
        if (n == 0) break;
        *len += n;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(data);
        return NULL;
    }
    return data;
}

/* What the stream callback saw (it runs on dfx's thread: keep it short). */
struct seen {
    unsigned acks, results;
    DfxStatus end_status;
    char *final_json; /* a copy of the END event's JSON */
};

static void on_event(void *user_data, const DfxStreamEvent *e) {
    struct seen *seen = user_data;
    switch (e->kind) {
    case DFX_STREAM_CONNECTED:
        printf("  connected (%s, connection %u)\n", e->websocket ? "WebSocket" : "HTTP", e->chunk);
        break;
    case DFX_STREAM_ACK:
        seen->acks++;
        printf("  chunk %u accepted\n", e->chunk);
        break;
    case DFX_STREAM_RESULT: {
        seen->results++;
        /* e->json is the chunk's result: {"MeasurementDataID", "Channels":
         * {signal: {"Data": [...]}}, "Multiplier", ...}: a value is Data / Multiplier
         * (HR_BPM 90000 / 1000 = 90 bpm). Parse it with your
         * JSON library; here, its channels as they came. */
        const char *channels = strstr(e->json, "\"Channels\":");
        printf("  chunk %u result: %.90s%s\n", e->chunk, channels ? channels : e->json,
               strlen(channels ? channels : e->json) > 90 ? "..." : "");
        break;
    }
    case DFX_STREAM_CHUNK_ERROR:
        printf("  chunk %u refused: %s: %s\n", e->chunk, dfx_status_name(e->status), e->message);
        break;
    case DFX_STREAM_END:
        seen->end_status = e->status;
        if (e->status == DFX_OK && e->json != NULL) {
            seen->final_json = malloc(e->json_len + 1);
            if (seen->final_json != NULL) memcpy(seen->final_json, e->json, e->json_len + 1);
        } else if (e->status != DFX_OK) {
            printf("  stream ended: %s: %s\n", dfx_status_name(e->status), e->message);
        }
        break;
    }
}

/* The measurement id from measurements.create's answer {"ID": "..."}. */
static int create_measurement(DfxClient *client, const char *study_id, char *id, size_t id_size) {
    char params[512];
    snprintf(params, sizeof params, "{\"data\": {\"StudyID\": \"%s\", \"Resolution\": 100}}", study_id);
    DfxResponse *r = NULL;
    DfxStatus s = dfx_call(client, "measurements.create", params, &r);
    int ok = check("measurements.create", s, r);
    const char *value = ok ? dfx_response_get_string(r, "ID") : NULL;
    if (value != NULL) snprintf(id, id_size, "%s", value);
    dfx_response_free(r);
    return value != NULL;
}

int main(int argc, char **argv) {
    if (argc < 8) {
        fprintf(stderr, "usage: %s BASE_URL LICENSE_KEY ORG_IDENTIFIER EMAIL PASSWORD STUDY_ID CHUNK_FILE...\n"
                        "       (at least two chunk files: the first and the last)\n", argv[0]);
        return 2;
    }
    const char *url = argv[1], *license = argv[2], *org = argv[3], *email = argv[4], *password = argv[5],
               *study = argv[6];
    char **files = argv + 7;
    int nfiles = argc - 7;

    DfxClient *client = NULL;
    if (dfx_client_new(url, &client) != DFX_OK) {
        fprintf(stderr, "dfx_client_new: %s\n", dfx_last_error_message());
        return 1;
    }
    int ok = 0;
    DfxResponse *r = NULL;
    DfxStream *stream = NULL;
    struct seen seen = {0, 0, DFX_OK, NULL};
    char measurement[128];

    DfxStatus s = dfx_organization_register_license(client, license, "LINUX", "measurement-example", org, "1.0.0", &r);
    if (!check("register license", s, r)) goto out;
    dfx_response_free(r);
    r = NULL;
    s = dfx_user_login(client, email, password, NULL, &r);
    if (!check("user login", s, r)) goto out;
    dfx_response_free(r);
    r = NULL;
    if (!create_measurement(client, study, measurement, sizeof measurement)) goto out;
    printf("measurement %s: streaming %d chunks\n", measurement, nfiles);

    s = dfx_measurement_stream_open(client, measurement, on_event, &seen, &stream);
    if (s != DFX_OK) {
        printf("stream: %s: %s\n", dfx_status_name(s), dfx_last_error_message());
        goto out;
    }
    for (int i = 0; i < nfiles; i++) {
        size_t len = 0;
        unsigned char *data = read_file(files[i], &len);
        if (data == NULL) {
            perror(files[i]);
            goto out;
        }
        DfxChunkPosition position = i == 0 ? DFX_CHUNK_FIRST : i == nfiles - 1 ? DFX_CHUNK_LAST : DFX_CHUNK_MIDDLE;
        /* A real app sends a chunk every few seconds; if the server falls
         * behind, the stream says so instead of buffering without end. */
        while ((s = dfx_measurement_stream_send_chunk(stream, data, len, position, NULL)) == DFX_ERR_STREAM_FULL)
            pause_ms(10);
        free(data);
        if (s != DFX_OK) {
            printf("chunk %d: %s: %s\n", i, dfx_status_name(s), dfx_last_error_message());
            break;
        }
    }
    if (dfx_measurement_stream_wait(stream, 120000) != DFX_OK) {
        printf("the stream did not end: %s\n", dfx_last_error_message());
        goto out;
    }
    printf("%u chunks accepted, %u results\n", seen.acks, seen.results);
    if (seen.end_status != DFX_OK) goto out;
    /* The END event's JSON is the measurement as measurements.retrieve
     * returns it once COMPLETE; its "Results" are the final results. */
    const char *results = seen.final_json ? strstr(seen.final_json, "\"Results\":") : NULL;
    printf("final results: %.*s\n", results ? (int)(strchr(results, '}') - results + 1) : 6,
           results ? results : "(none)");
    ok = 1;

out:
    dfx_measurement_stream_free(stream);
    free(seen.final_json);
    dfx_response_free(r);
    r = NULL;
    s = dfx_organization_unregister_license(client, &r);
    if (!check("unregister license", s, r)) ok = 0;
    dfx_response_free(r);
    dfx_client_free(client);
    return ok ? 0 : 1;
}
