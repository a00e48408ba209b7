vcl 4.1;
# Newsroom behind Varnish 7 (Debian packages varnish and varnish-modules), purged by key.
#
# The app (EDGE_PURGER=varnish, EDGE_VARNISH_URLS=http://<this varnishd>) names the keys each
# public page was built from in an `xkey` header and how long the edge may keep it in
# Surrogate-Control; every write purges exactly the keys it changed with a PURGE request carrying
# `xkey-softpurge` (the old copy may be served for half a second while it is refetched) or
# `xkey-purge` (hard: a story taken down is never served again). Both headers are stripped
# before the reader, who gets the app's short Cache-Control.
#
# Anonymous GET/HEAD requests are cached; a request with the session or messages cookie (staff),
# the admin, previews and /metrics always go to the app and are never stored. Other cookies are
# dropped for caching, so the only variation is Accept-Encoding: a client that takes gzip gets
# the app's gzip copy, one that does not its own plain copy (rather than Varnish unzipping the
# gzip one for every such request).
#
# Run it, for instance: varnishd -a :6081 -f /srv/newsroom/deploy/varnish.vcl -s malloc,1g
# with TLS terminated in front of it (nginx, hitch) and /static/ and /media/ served as before.

import directors;
import std;
import xkey;

# gunicorn (deploy/gunicorn.conf.py): one backend per app server, each added to the director in
# vcl_init. Requests are shared round-robin; a GET or HEAD whose server fails (stopped, crashed,
# unreachable) is retried on the next one, so a server can be stopped for a deploy without a
# reader seeing an error. For servers on other machines, the probe's Host must be one the app's
# ALLOWED_HOSTS accepts (`.request` instead of `.url`).
backend app1 {
    .host = "127.0.0.1";
    .port = "8000";
    .connect_timeout = 2s;
    .first_byte_timeout = 30s;
    .between_bytes_timeout = 10s;
    # Asked every two seconds whether it answers; after four failures in a row it counts as down
    # (a busy server answering slowly does not): when none answers, stale pages stand in
    # (vcl_recv). A request that fails on one server is retried on the next meanwhile.
    .probe = {
        .url = "/healthz";
        .interval = 2s;
        .timeout = 5s;
        .window = 5;
        .threshold = 2;
        .initial = 2;
    }
}

sub vcl_init {
    new apps = directors.round_robin();
    apps.add_backend(app1);
}

# Who may purge: the app servers. Add their addresses when they run on other machines.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    set req.backend_hint = apps.backend();
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (req.http.xkey-purge) {
            set req.http.n-gone = xkey.purge(req.http.xkey-purge);
        } elsif (req.http.xkey-softpurge) {
            set req.http.n-gone = xkey.softpurge(req.http.xkey-softpurge);
        } else {
            return (synth(400, "No keys to purge"));
        }
        return (synth(200, "Invalidated " + req.http.n-gone + " objects"));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # The app decides who is staff by these cookies (newsroom.pagecache.pages.has_session).
    if (req.http.Cookie ~ "(^|;)\s*(sessionid|messages)=[^;]") {
        return (pass);
    }
    if (req.url ~ "^/(admin|metrics)(/|$)" || req.url ~ "[?&]preview(=|&|$)") {
        return (pass);
    }
    if (req.http.Authorization) {
        return (pass);
    }
    unset req.http.Cookie;
    # A page purged (soft) or past its lifetime is served stale only for half a second while
    # its new copy is fetched; after that readers wait for it, so a change reaches them within
    # a second even when the app servers are slow. When none answers, the stale copy stands in
    # for its whole grace (the page's stale-while-revalidate).
    if (std.healthy(req.backend_hint)) {
        set req.grace = 0.5s;
    }
    # Varnish asks the app for gzip whatever the client takes; a client that does not take it
    # is marked, hashed apart and fetched plain (vcl_backend_fetch).
    if (req.http.Accept-Encoding !~ "gzip") {
        set req.http.X-Plain = "1";
    } else {
        unset req.http.X-Plain;
    }
    return (hash);
}

sub vcl_backend_fetch {
    if (bereq.http.X-Plain) {
        unset bereq.http.Accept-Encoding;
        unset bereq.http.X-Plain;
    }
}

sub vcl_hash {
    # One copy per page whatever else the address says (utm_…, fbclid, junk): only the query
    # parameters the app's public views read (their `reads=`; keep in step) make another page,
    # in any order, as the app's page cache keys them; the app still gets the whole address.
    if (req.url !~ "\?") {
        hash_data(req.url);  # most requests: nothing to sort out
    } else {
        set req.http.X-Page-Key = std.querysort(regsuball(req.url,
            "(?<=[?&])(?!(page|order|update|after|q|p|section|tag|author|language|since)=)[^&]*(&|$)",
            ""));
        hash_data(regsub(req.http.X-Page-Key, "[?&]+$", ""));
        unset req.http.X-Page-Key;
    }
    if (req.http.X-Plain) {
        hash_data("plain");
    }
    if (req.http.host) {
        hash_data(req.http.host);
    } else {
        hash_data(server.ip);
    }
    return (lookup);
}

sub vcl_backend_response {
    if (bereq.uncacheable) {
        return (deliver);
    }
    if (beresp.http.Surrogate-Control ~ "max-age=[0-9]+") {
        # A purgeable page: kept as long as the app says, then served stale during its grace
        # (stale-while-revalidate) while a fresh copy is fetched; a hard purge removes both.
        set beresp.ttl = std.duration(
            regsub(beresp.http.Surrogate-Control, "^.*max-age=([0-9]+).*$", "\1s"), 0s);
        if (beresp.http.Surrogate-Control ~ "stale-while-revalidate=[0-9]+") {
            set beresp.grace = std.duration(
                regsub(beresp.http.Surrogate-Control,
                       "^.*stale-while-revalidate=([0-9]+).*$", "\1s"), 0s);
        } else {
            set beresp.grace = 0s;
        }
        if (beresp.ttl <= 0s) {
            # Built while what it shows changed, or the previous page standing in while the
            # next is built: never fresh, but shared for a quarter of a second while the next
            # copy is fetched, rather than every reader meanwhile going to the app.
            set beresp.grace = 0.25s;
        }
    } elsif (!beresp.http.Cache-Control && !beresp.http.Expires) {
        # Nothing says it may be kept (a 404 of a story not yet live): it is not.
        set beresp.ttl = 0s;
    } else {
        # Kept as briefly as Cache-Control says (max-age=5 for a page the app did not store);
        # no stale copy beyond that.
        set beresp.grace = 0s;
    }
    # The only variation is the encoding: cookies never reach cached pages. The browser still
    # gets the app's Vary (Cookie: a staff member's browser must not reuse a reader's copy).
    if (beresp.http.Vary) {
        set beresp.http.X-Origin-Vary = beresp.http.Vary;
        set beresp.http.Vary = "Accept-Encoding";
    }
    if (beresp.ttl <= 0s && beresp.grace <= 0s) {
        # Not kept; the next request for it goes to the app again (for one second, without
        # waiting for this one: Varnish's own default would stop caching it for two minutes).
        set beresp.ttl = 1s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    # Set-Cookie, no-store, private and Vary: * are never cached (Varnish's built-in rules).
}

sub vcl_backend_error {
    # The app server could not be reached or broke off: a read is asked again, of the next one.
    if (bereq.retries < 2 && (bereq.method == "GET" || bereq.method == "HEAD")) {
        return (retry);
    }
}

sub vcl_deliver {
    unset resp.http.xkey;
    unset resp.http.Surrogate-Control;
    if (resp.http.X-Origin-Vary) {
        set resp.http.Vary = resp.http.X-Origin-Vary;
        unset resp.http.X-Origin-Vary;
    }
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    unset resp.http.Via;
    unset resp.http.X-Varnish;
}
