// dfx quickstart in C++ (include/dfx.hpp): the whole token lifecycle, as
// examples/quickstart.c does it, with RAII handles and exceptions.
//
//   quickstart-cpp BASE_URL LICENSE_KEY [ORG_IDENTIFIER] [PHONE] [SESSION_FILE]
//
// Loads the session from SESSION_FILE (else registers the license), saves
// every change of it there through the session listener, renews and verifies
// the device token, logs a user in with the SMS code read from standard
// input, renews the user pair, and unregisters.
#include <dfx.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

namespace {

// Print one answer; true if it was a 2xx.
bool report(const char *what, const dfx::Response &r) {
    std::printf("%-28s HTTP %u", what, static_cast<unsigned>(r.status()));
    if (!r.ok()) {
        const std::string code(r.error_code().value_or("(no code)"));
        const std::string message(r.error_message().value_or("(no message)"));
        std::printf(" %s: %s", code.c_str(), message.c_str());
    }
    std::printf("\n");
    return r.ok();
}

// Write the session atomically (temporary file + rename): a crash never
// leaves half a session on disk.
void persist(const std::string &path, std::string_view session_json) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << session_json;
        if (!out.flush()) {
            std::perror("persisting the session");
            return;
        }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::perror("persisting the session");
        return;
    }
    std::printf("  (session saved to %s)\n", path.c_str());
}

std::string field(const dfx::Response &r, std::string_view name) {
    return std::string(r.get_string(name).value_or(""));
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s BASE_URL LICENSE_KEY [ORG] [PHONE] [SESSION_FILE]\n", argv[0]);
        return 2;
    }
    const std::string base_url = argv[1], license = argv[2];
    const std::string org = argc > 3 ? argv[3] : "dfxdemo";
    const std::string phone = argc > 4 ? argv[4] : "+15555550100";
    const std::string session_file = argc > 5 ? argv[5] : "dfx-session.json";

    std::printf("dfx %s (header %s)\n", std::string(dfx::version()).c_str(), DFX_VERSION_STRING);
    if (!dfx::library_matches_header()) {
        std::fprintf(stderr, "the library is not the version of the header\n");
        return 1;
    }

    bool ok = true;
    try {
        dfx::Client api(base_url);
        api.set_timeout_ms(10000);

        // 1. A saved session, if any; then persist every change.
        std::ifstream saved(session_file);
        if (saved) {
            std::string json((std::istreambuf_iterator<char>(saved)), std::istreambuf_iterator<char>());
            api.session_from_json(json);
            std::printf("loaded the session from %s\n", session_file.c_str());
        }
        api.set_session_listener([&session_file](std::string_view json) { persist(session_file, json); });

        dfx::Response r = api.general_status();
        ok &= report("status", r);
        std::printf("  StatusID %s\n", field(r, "StatusID").c_str());

        // 2. Register the license unless the session already has a device.
        if (api.session_get(dfx::SessionField::device_token).empty()) {
            r = api.organization_register_license(license, "LINUX", "dfx quickstart (C++)", org, "1.0");
            if (!report("register license", r)) return 1;
            std::printf("  DeviceID %s\n", field(r, "DeviceID").c_str());
        }

        // 3. Renew the device pair: the listener saved the new pair before this returns.
        std::printf("  the device token expires at %lld (Unix time)\n",
                    static_cast<long long>(api.session_token_expiry(dfx::TokenKind::device)));
        ok &= report("renew device pair", api.session_renew(dfx::TokenKind::device));
        r = api.general_verify_token();
        ok &= report("verify token", r);
        std::printf("  Type %s, DeviceID %s\n", field(r, "Type").c_str(), field(r, "DeviceID").c_str());

        // 4. Log a user in with a code sent by SMS.
        if (report("request login code", api.auth_request_login_code(phone, org))) {
            std::printf("  login code sent to %s; enter it: ", phone.c_str());
            std::fflush(stdout);
            std::string code;
            if (std::getline(std::cin, code)) {
                std::printf("\n");
                if (report("login with phone code", api.user_login_with_phone_code(code, phone, org)))
                    ok &= report("renew user pair", api.session_renew(dfx::TokenKind::user));
                else
                    ok = false;
            } else {
                std::printf("\n  no code read\n");
                ok = false;
            }
        } else {
            ok = false;
        }

        // A wrong code: the API refuses, with a code to act on (not an exception).
        report("login with a wrong code", api.user_login_with_phone_code("000000", phone, org));

        // 5. A reset link, then unregister (the device part of the session is cleared).
        ok &= report("request reset password link", api.auth_request_reset_password_link("developer@example.com", org));
        ok &= report("unregister license", api.organization_unregister_license());
    } catch (const dfx::Error &e) {
        // No answer from the API. An outcome-unknown renew: the session kept
        // the old pair, which the server may have consumed; try once more later.
        std::printf("failed: %s%s\n", e.what(), e.outcome_unknown() ? " (the pair may be dead)" : "");
        ok = false;
    }
    std::printf(ok ? "quickstart: every step succeeded\n" : "quickstart: some steps failed\n");
    return ok ? 0 : 1;
}
