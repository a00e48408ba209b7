"""Most read: readings counted on our own endpoint (a `sendBeacon` from the story page, no cookie
and no third-party script) in the shared cache, ranked with a time decay, and served as a small
fragment of its own that pages fetch, so a new ranking retires no stored page."""
