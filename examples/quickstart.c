/*
 * dfx quickstart: the whole token lifecycle, handling every outcome by its
 * status code.
 *
 *   quickstart BASE_URL LICENSE_KEY [ORG_IDENTIFIER] [PHONE] [SESSION_FILE]
 *
 * 1. load the session from SESSION_FILE if it holds a device pair, else
 *    register the license (device token pair);
 * 2. persist every change of the session to SESSION_FILE through the
 *    session listener, before the call that changed it returns;
 * 3. renew the device pair, verify the token;
 * 4. request a login code by SMS, read it from standard input, log in with
 *    it (user token pair), renew the user pair;
 * 5. request a password-reset link, then unregister the license.
 *
 * `make quickstart` builds dfx, starts the local dfx-sandbox, and feeds
 * this program the login code the sandbox "sent". Against the real cloud:
 * quickstart https://api.deepaffex.ai YOUR-LICENSE-KEY YOUR-ORG +1...
 */
/* isatty() and fileno() are POSIX: ask for them in strict C11 too. */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <dfx.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <io.h>
#define stdin_is_a_terminal() _isatty(_fileno(stdin))
#else
#include <unistd.h>
#define stdin_is_a_terminal() isatty(fileno(stdin))
#endif

/* Set by the session listener (which runs inside the call that changed the
 * session), told by report() under that call's line. */
static const char *saved_to = NULL;

static void tell_if_saved(void) {
    if (saved_to != NULL) printf("  (session saved to %s)\n", saved_to);
    saved_to = NULL;
}

/* Print the outcome of one call; return 1 if it succeeded. */
static int report(const char *what, DfxStatus status, const DfxResponse *response) {
    if (status == DFX_OK) {
        printf("%-28s HTTP %u\n", what, dfx_response_status(response));
        tell_if_saved();
        return 1;
    }
    if (status == DFX_ERR_API) {
        /* The API said no: the answer is there to read. */
        const char *code = dfx_response_error_code(response);
        const char *message = dfx_response_error_message(response);
        printf("%-28s the API answered HTTP %u, %s: %s\n", what, dfx_response_status(response),
               code ? code : "(no code)", message ? message : "(no message)");
    } else if (status == DFX_ERR_OUTCOME_UNKNOWN) {
        /* The renew may have consumed the pair; the session keeps the old
         * one. Try once more later; if it is refused, register again. */
        printf("%-28s outcome unknown: %s\n", what, dfx_last_error_message());
    } else {
        /* No usable answer, and no response object. */
        printf("%-28s %s: %s\n", what, dfx_status_name(status), dfx_last_error_message());
    }
    tell_if_saved();
    return 0;
}

/* The session listener: write the new session to the file atomically
 * (temporary file + rename), so a crash never leaves half a session. */
static void persist_session(void *user_data, const char *session_json) {
    const char *path = (const char *)user_data;
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL || fputs(session_json, f) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
        perror("persisting the session");
        return;
    }
    saved_to = path;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "r");
    if (f == NULL) return NULL;
    static char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static int has_field(DfxClient *client, DfxSessionField field) {
    char *value = NULL;
    int set = dfx_session_get(client, field, &value) == DFX_OK && value[0] != '\0';
    dfx_string_free(value);
    return set;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s BASE_URL LICENSE_KEY [ORG] [PHONE] [SESSION_FILE]\n", argv[0]);
        return 2;
    }
    const char *base_url = argv[1], *license = argv[2];
    const char *org = argc > 3 ? argv[3] : "dfxdemo";
    const char *phone = argc > 4 ? argv[4] : "+15555550100";
    const char *session_file = argc > 5 ? argv[5] : "dfx-session.json";

    printf("dfx %s (header %s)\n", dfx_version(), DFX_VERSION_STRING);
    DfxClient *client = NULL;
    DfxStatus st = dfx_client_new(base_url, &client);
    if (st != DFX_OK) {
        fprintf(stderr, "dfx_client_new: %s: %s\n", dfx_status_name(st), dfx_last_error_message());
        return 1;
    }
    dfx_client_set_timeout_ms(client, 10000);

    /* 1. A saved session, if any. */
    const char *saved = read_file(session_file);
    if (saved != NULL && dfx_session_from_json(client, saved) == DFX_OK)
        printf("loaded the session from %s\n", session_file);
    dfx_client_set_session_listener(client, persist_session, (void *)session_file);

    int ok = 1;
    DfxResponse *r = NULL;
    int64_t exp = 0;
    st = dfx_general_status(client, &r);
    ok &= report("status", st, r);
    if (st == DFX_OK) printf("  StatusID %s\n", dfx_response_get_string(r, "StatusID"));
    dfx_response_free(r);

    /* 2. Register the license unless the session already has a device. */
    if (!has_field(client, DFX_SESSION_DEVICE_TOKEN)) {
        st = dfx_organization_register_license(client, license, "LINUX", "dfx quickstart", org, "1.0", &r);
        ok &= report("register license", st, r);
        if (st == DFX_OK) printf("  DeviceID %s\n", dfx_response_get_string(r, "DeviceID"));
        dfx_response_free(r);
        if (st != DFX_OK) goto done;
    }

    /* 3. Renew the device pair: the listener saved the new pair before this returns. */
    if (dfx_session_token_expiry(client, DFX_TOKEN_DEVICE, &exp) == DFX_OK)
        printf("  the device token expires at %lld (Unix time)\n", (long long)exp);
    st = dfx_session_renew(client, DFX_TOKEN_DEVICE, &r);
    ok &= report("renew device pair", st, r);
    dfx_response_free(r);

    st = dfx_general_verify_token(client, NULL, &r);
    ok &= report("verify token", st, r);
    if (st == DFX_OK) printf("  Type %s, DeviceID %s\n", dfx_response_get_string(r, "Type"),
                             dfx_response_get_string(r, "DeviceID"));
    dfx_response_free(r);

    /* 4. Log a user in with a phone code. */
    st = dfx_auth_request_login_code(client, phone, org, &r);
    ok &= report("request login code", st, r);
    dfx_response_free(r);
    if (st == DFX_OK) {
        char code[64] = "";
        printf("  login code sent to %s; enter it: ", phone);
        fflush(stdout);
        if (fgets(code, sizeof code, stdin) != NULL) {
            code[strcspn(code, "\r\n")] = '\0';
            /* Typed at a terminal, the code is on screen already; from a
             * pipe (make quickstart) show what was read. */
            if (!stdin_is_a_terminal()) printf("%s (read from standard input)", code);
            printf("\n");
            st = dfx_user_login_with_phone_code(client, code, phone, org, &r);
            ok &= report("login with phone code", st, r);
            dfx_response_free(r);
            if (st == DFX_OK) {
                st = dfx_session_renew(client, DFX_TOKEN_USER, &r);
                ok &= report("renew user pair", st, r);
                dfx_response_free(r);
            }
        } else {
            ok = 0;
            printf("\n  no code read\n");
        }
    }

    /* A wrong code: the API refuses, with a code to act on. */
    st = dfx_user_login_with_phone_code(client, "000000", phone, org, &r);
    report("login with a wrong code", st, r);
    dfx_response_free(r);

    /* 5. A reset link, then unregister (the device part of the session is cleared). */
    st = dfx_auth_request_reset_password_link(client, "developer@example.com", org, &r);
    ok &= report("request reset password link", st, r);
    dfx_response_free(r);

    st = dfx_organization_unregister_license(client, &r);
    ok &= report("unregister license", st, r);
    dfx_response_free(r);

done:
    dfx_client_free(client);
    printf(ok ? "quickstart: every step succeeded\n" : "quickstart: some steps failed\n");
    return ok ? 0 : 1;
}
