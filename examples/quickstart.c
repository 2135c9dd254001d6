/*
 * dfx quickstart: renew a token pair, request a login code, request a
 * password-reset link, and handle every outcome by its status code.
 *
 *   quickstart BASE_URL TOKEN REFRESH_TOKEN [PHONE] [ORG_IDENTIFIER] [EMAIL]
 *
 * `make quickstart` builds dfx, starts the local dfx-sandbox, creates a live
 * token pair on it and runs this program. Against the real cloud, pass
 * https://api.deepaffex.ai and a pair from your own registration.
 */
#include <dfx.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Print the outcome of one call; return 1 if it succeeded. */
static int report(const char *what, DfxStatus status, const DfxResponse *response) {
    if (status == DFX_OK) {
        printf("%s: HTTP %u\n", what, dfx_response_status(response));
        return 1;
    }
    if (status == DFX_ERR_API) {
        /* The API said no: the answer is there to read. */
        const char *code = dfx_response_error_code(response);
        const char *message = dfx_response_error_message(response);
        printf("%s: the API answered HTTP %u, code %s: %s\n", what, dfx_response_status(response),
               code ? code : "(none)", message ? message : "(no message)");
    } else if (status == DFX_ERR_OUTCOME_UNKNOWN) {
        /* The renew may have consumed the pair: keep the old one, but be
         * ready to register or log in again. */
        printf("%s: outcome unknown (%s)\n", what, dfx_last_error_message());
    } else {
        /* Never reached the API or no usable answer: no response object. */
        printf("%s: %s: %s\n", what, dfx_status_name(status), dfx_last_error_message());
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s BASE_URL TOKEN REFRESH_TOKEN [PHONE] [ORG] [EMAIL]\n", argv[0]);
        return 2;
    }
    const char *phone = argc > 4 ? argv[4] : "+15555550100";
    const char *org = argc > 5 ? argv[5] : "dfxdemo";
    const char *email = argc > 6 ? argv[6] : "developer@example.com";

    printf("dfx %s (header %s)\n", dfx_version(), DFX_VERSION_STRING);
    DfxClient *client = NULL;
    DfxStatus status = dfx_client_new(argv[1], &client);
    if (status != DFX_OK) {
        fprintf(stderr, "dfx_client_new: %s: %s\n", dfx_status_name(status), dfx_last_error_message());
        return 1;
    }
    dfx_client_set_timeout_ms(client, 10000);

    int ok = 1;
    DfxResponse *response = NULL;

    /* 1. Renew. The old pair is dead once this succeeds: a real app stores
     * the new pair before doing anything else with it. */
    status = dfx_auth_renew(client, argv[2], argv[3], &response);
    ok &= report("renew", status, response);
    if (status == DFX_OK) {
        /* Tokens are secrets: show their size, not their text. */
        printf("  new Token: %zu chars, new RefreshToken: %zu chars\n",
               strlen(dfx_response_get_string(response, "Token")),
               strlen(dfx_response_get_string(response, "RefreshToken")));
    }
    dfx_response_free(response);

    /* 2. The same pair again: it was consumed, so the API refuses it. */
    status = dfx_auth_renew(client, argv[2], argv[3], &response);
    report("renew the old pair again (expected to fail)", status, response);
    dfx_response_free(response);

    /* 3. Request a login code by SMS. */
    status = dfx_auth_request_login_code(client, phone, org, &response);
    ok &= report("request login code", status, response);
    dfx_response_free(response);

    /* 4. Request a password-reset link by e-mail. */
    status = dfx_auth_request_reset_password_link(client, email, org, &response);
    ok &= report("request reset password link", status, response);
    dfx_response_free(response);

    /* 5. An unknown organization: an API error with a code. */
    status = dfx_auth_request_login_code(client, phone, "no-such-org", &response);
    report("request login code for an unknown org (expected to fail)", status, response);
    dfx_response_free(response);

    dfx_client_free(client);
    return ok ? 0 : 1;
}
