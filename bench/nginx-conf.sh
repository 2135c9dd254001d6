#!/usr/bin/env bash
# Print the benchmark's nginx configuration: one worker on 127.0.0.1:PORT
# answering POST /auths/renew with a fixed JSON pair (the one in PAIR_FILE),
# keep-alive without a request limit, no access log, every path under DIR.
#   bench/nginx-conf.sh DIR PORT PAIR_FILE > DIR/nginx.conf
#   nginx -c DIR/nginx.conf -p DIR        (runs in the foreground)
set -euo pipefail
dir=$1 port=$2
read -r tok ref <"$3"
body="{\"Token\":\"$tok\",\"RefreshToken\":\"$ref\"}"
cat <<CONF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
worker_rlimit_nofile 65536;
events { worker_connections 16384; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    keepalive_requests 1000000000;
    keepalive_timeout 300s;
    server {
        listen 127.0.0.1:$port;
        # $(( ${#body} ))-byte answer
        location = /auths/renew {
            default_type application/json;
            return 200 '$body';
        }
    }
}
CONF
