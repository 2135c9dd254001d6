// include/dfx.hpp against a running dfx-sandbox (DFX_SANDBOX_URL): RAII and
// move-only handles, answers as Responses, failures as dfx::Error, string
// arguments, the session listener. Built with -Wall -Wextra -Werror -pedantic.
#include <dfx.hpp>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

static_assert(!std::is_copy_constructible_v<dfx::Client> && !std::is_copy_assignable_v<dfx::Client>);
static_assert(std::is_nothrow_move_constructible_v<dfx::Client> && std::is_nothrow_move_assignable_v<dfx::Client>);
static_assert(!std::is_copy_constructible_v<dfx::Response> && !std::is_copy_assignable_v<dfx::Response>);
static_assert(std::is_nothrow_move_constructible_v<dfx::Response>);
static_assert(std::is_base_of_v<std::runtime_error, dfx::Error>);

static int failures = 0;
#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            ++failures;                                                      \
        }                                                                    \
    } while (0)

template <class F>
static DfxStatus status_thrown(F f) {
    try {
        f();
    } catch (const dfx::Error &e) {
        CHECK(std::string(e.what()).rfind(e.name(), 0) == 0);  // "NAME: message"
        CHECK(!e.message().empty());
        return e.status();
    }
    return DFX_OK;
}

int main() {
    const char *url = std::getenv("DFX_SANDBOX_URL");
    if (url == nullptr) {
        std::fprintf(stderr, "DFX_SANDBOX_URL is not set (run under scripts/with-sandbox.sh)\n");
        return 2;
    }
    CHECK(dfx::library_matches_header());
    CHECK(dfx::status_name(DFX_ERR_API) == "DFX_ERR_API");

    // Failures before anything is sent, and no answer at all, throw.
    CHECK(status_thrown([] { dfx::Client bad("http://example.com"); }) == DFX_ERR_INVALID_URL);
    {
        dfx::Client refused("http://127.0.0.1:1");
        CHECK(status_thrown([&] { refused.auth_renew("t", "r"); }) == DFX_ERR_CONNECT);
    }
    dfx::Client api(url);
    CHECK(status_thrown([&] { api.auth_renew("", "r"); }) == DFX_ERR_INVALID_ARGUMENT);
    CHECK(status_thrown([&] { api.auth_renew(std::string_view("t\0x", 3), "r"); }) == DFX_ERR_INVALID_ARGUMENT);
    CHECK(status_thrown([&] { api.auth_renew("\xff", "r"); }) == DFX_ERR_INVALID_UTF8);
    CHECK(status_thrown([&] { api.session_renew(dfx::TokenKind::device); }) == DFX_ERR_INVALID_ARGUMENT);
    CHECK(status_thrown([] { dfx::token_expiry("not a jwt"); }) == DFX_ERR_INVALID_ARGUMENT);
    CHECK(status_thrown([&] { api.add_ca_pem("no certificate here"); }) == DFX_ERR_INVALID_ARGUMENT);
    CHECK(status_thrown([&] { api.add_ca_file("/no/such/ca.pem"); }) == DFX_ERR_INVALID_ARGUMENT);
    CHECK(status_thrown([&] { api.set_trust(4); }) == DFX_ERR_INVALID_ARGUMENT);
    CHECK(status_thrown([&] { api.set_trust(DFX_TRUST_BUILTIN); }) == DFX_OK);

    // An answer is a Response, 2xx or not.
    dfx::Response status = api.general_status();
    CHECK(status.ok() && status.status() == 200);
    CHECK(status.get_string("StatusID") == std::optional<std::string_view>("ACTIVE"));
    CHECK(!status.get_string("nope").has_value());
    CHECK(!status.error_code().has_value());
    dfx::Response refused = api.auth_renew("not-a-token", "not-a-refresh-token");
    CHECK(refused.status() == 401 && !refused.ok());
    CHECK(refused.error_code().has_value());
    CHECK(refused.body().find("Code") != std::string_view::npos);

    // The session and its listener; moving a client keeps both.
    std::vector<std::string> heard;
    api.set_session_listener([&heard](std::string_view json) { heard.emplace_back(json); });
    dfx::Response reg = api.organization_register_license("DFX-SANDBOX-LICENSE", "LINUX", "cpp-test", "dfxdemo", "1.0");
    CHECK(reg.ok());
    CHECK(heard.size() == 1 && heard.back().find("deviceToken") != std::string::npos);
    CHECK(api.session_get(dfx::SessionField::device_token) == reg.get_string("Token").value_or("?"));
    CHECK(api.session_token_expiry(dfx::TokenKind::device) == dfx::token_expiry(*reg.get_string("Token")));

    dfx::Client moved(std::move(api));
    CHECK(api.get() == nullptr);  // NOLINT(bugprone-use-after-move): a moved-from client holds nothing
    CHECK(status_thrown([&] { api.general_status(); }) == DFX_ERR_NULL_ARGUMENT);
    dfx::Response renewed = moved.session_renew(dfx::TokenKind::device);
    CHECK(renewed.ok());
    CHECK(heard.size() == 2);
    CHECK(moved.general_verify_token().get_string("Type") == std::optional<std::string_view>("Device"));
    CHECK(moved.general_verify_token(std::string_view("bogus")).status() == 401);

    // A throwing listener does not unwind into C.
    moved.set_session_listener([](std::string_view) { throw std::runtime_error("listener failure"); });
    moved.session_set(dfx::SessionField::role_id, "r-1");
    CHECK(moved.session_get(dfx::SessionField::role_id) == "r-1");
    moved.set_session_listener(nullptr);

    // The session moves between clients as JSON.
    dfx::Client other(url);
    other.session_from_json(moved.session_to_json());
    CHECK(other.session_get(dfx::SessionField::device_id) == moved.session_get(dfx::SessionField::device_id));
    other = dfx::Client(url);  // move-assign frees the old client
    CHECK(other.session_get(dfx::SessionField::device_id).empty());
    CHECK(moved.organization_unregister_license().ok());

    // Any operation by its JavaScript name, blocking and async.
    dfx::Response lic = moved.call("organizations.registerLicense",
        R"({"data": {"Key": "DFX-SANDBOX-LICENSE", "DeviceTypeID": "LINUX", "Name": "cpp", "Identifier": "dfxdemo",
            "Version": "1.0"}})");
    CHECK(lic.ok() && moved.session_get(dfx::SessionField::device_token) == lic.get_string("Token").value_or("?"));
    dfx::Response login = moved.call("users.login",
        R"({"data": {"Email": "developer@example.com", "Password": "sandbox-password"}})");
    CHECK(login.ok() && moved.session_get(dfx::SessionField::user_token) == login.get_string("Token").value_or("?"));
    // The sandbox's seed study (sandbox/README.md).
    dfx::Response created = moved.call("measurements.create",
        R"({"data": {"StudyID": "5b0e8d3c-2f4a-4e61-9c7d-1a2b3c4d5e60", "Resolution": 100}})");
    CHECK(created.ok() && created.get_string("ID").has_value());
    std::string chunk = R"({"id": ")" + std::string(created.get_string("ID").value_or("?")) +
                        R"(", "data": {"Action": "FIRST::PROCESS", "Payload": "Y2h1bmsx"}})";
    CHECK(moved.call("measurements.data", chunk).ok());
    CHECK(moved.call("general.status").get_string("StatusID") == std::optional<std::string_view>("ACTIVE"));
    CHECK(status_thrown([&] { moved.call("measurement.create", "{}"); }) == DFX_ERR_INVALID_ARGUMENT);
    CHECK(status_thrown([&] { moved.call("measurements.create", R"({"data": {"StudyID": 1}})"); }) ==
          DFX_ERR_INVALID_ARGUMENT);
    CHECK(status_thrown([&] { moved.call("measurements.create", "{"); }) == DFX_ERR_INVALID_ARGUMENT);
    {
        std::mutex m;
        std::condition_variable cv;
        int calls = 0;
        DfxStatus got = DFX_ERR_INTERNAL;
        std::string token;
        std::uint64_t id = moved.call_async("auths.renew",
            R"({"data": {"Token": ")" + std::string(*lic.get_string("Token")) + R"(", "RefreshToken": ")" +
                std::string(*lic.get_string("RefreshToken")) + R"("}, "tokenType": "device"})",
            [&](DfxStatus status, dfx::Response r) {
                std::lock_guard<std::mutex> lock(m);
                got = status;
                token = std::string(r.get_string("Token").value_or(""));
                ++calls;
                cv.notify_one();
            });
        CHECK(id != 0);
        std::unique_lock<std::mutex> lock(m);
        cv.wait(lock, [&] { return calls == 1; });
        CHECK(got == DFX_OK && !token.empty());
        CHECK(moved.session_get(dfx::SessionField::device_token) == token);  // stored before the completion
        CHECK(status_thrown([&] { moved.call_async("auths.rnew", "{}", [](DfxStatus, dfx::Response) {}); }) ==
              DFX_ERR_INVALID_ARGUMENT);
    }
    CHECK(moved.call("organizations.unregisterLicense").ok());

    // Giving up ownership.
    DfxResponse *raw = moved.general_status().release();
    CHECK(dfx_response_status(raw) == 200);
    dfx_response_free(raw);

    if (failures) std::fprintf(stderr, "%d checks failed\n", failures);
    else std::printf("dfx.hpp: every check passed\n");
    return failures ? 1 : 0;
}
