# jq doing the bench's reshape on `jq -c -R -f reshape.jq`: the same 14 fields as rsyslog.conf and
# syslog-ng.conf; lines that are not JSON are dropped (`fromjson?`). jq writes one stream, not one
# file per location.
fromjson?
| {
    time: .time, host: .hostname, level: .level, request_id: .req.id, method: .req.method, url: .req.url,
    service_host: .req.headers.host, agent: .req.headers["user-agent"], correlation_id: .req.headers["correlation-id"],
    address: .req.remoteAddress, status: .res.statusCode, response_time: .responseTime, initiator: .auth.iamId, account: .account
  }
